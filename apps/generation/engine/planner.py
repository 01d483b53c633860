"""Planning a generation: seed, reference time, table order, row counts and chunks."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import analysis, bounds, limits
from .errors import Problem, SpecError
from .rowcounts import child_counts
from .spec import Spec
from .timeparse import TimeValueError
from .types import reference
from .validation import nested_problems, range_problem, unique_problem

ENGINE_VERSION = 1
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Chunk:
    table: str
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class Plan:
    spec: Spec
    seed: int
    reference_time: datetime
    rows_scale: float
    table_order: list[str]
    row_counts: dict[str, int]
    chunk_size: int
    chunks: list[Chunk] = field(default_factory=list)
    # Absolute row counts asked for by table; they win over rows_scale (and `scale: false`) for those tables.
    rows: dict[str, int] = field(default_factory=dict)
    # Keys of document columns (x509_certificate, sod, ...) derive from it: the service passes a per-tenant
    # secret so tenants with the same seed never share keys (docs/documents.md "Keys"). Never in the manifest.
    document_secret: bytes = field(default=b"", repr=False)

    @property
    def key(self) -> tuple:
        """Identifies the rows this plan makes (chunking aside)."""
        return (self.spec.hash, self.seed, self.reference_time.isoformat(), self.rows_scale,
                tuple(sorted(self.row_counts.items())), tuple(sorted(self.rows.items())),
                hashlib.blake2b(self.document_secret).hexdigest())

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())

    def manifest(self) -> dict:
        """What regenerating and comparing these rows needs, JSON-ready."""
        return {
            "engine_version": ENGINE_VERSION,
            "spec_name": self.spec.name,
            "spec_hash": self.spec.hash,
            "seed": self.seed,
            "reference_time": self.reference_time.isoformat().replace("+00:00", "Z"),
            "rows_scale": self.rows_scale,
            "rows": dict(self.rows),
            "table_order": list(self.table_order),
            "row_counts": dict(self.row_counts),
            "chunk_size": self.chunk_size,
            "chunks": len(self.chunks),
        }


def plan(spec: Spec, *, seed: int | None = None, reference_time: datetime | None = None, rows_scale: float = 1.0,
         tables: list[str] | None = None, chunk_size: int = 50_000, rows: Mapping[str, int] | None = None,
         document_secret: bytes = b"") -> Plan:
    """Everything needed to generate `spec`'s rows: SpecError when the plan breaks the document's limits.

    A table's row count is, in order of precedence: `rows[table]` when given; its own `rows` when it says
    `scale: false`; its `rows` times `rows_scale` otherwise. A `{per: ...}` table follows its parent.
    """
    problems: list[Problem] = []
    doc = spec.doc
    if seed is None:
        seed = doc["seed"] if doc["seed"] is not None else secrets.randbits(63)
    if type(seed) is not int or not 0 <= seed <= MAX_SEED:
        problems.append(Problem("seed", f"must be an integer from 0 to {MAX_SEED}"))
    if not isinstance(rows_scale, int | float) or isinstance(rows_scale, bool) or not rows_scale > 0 \
            or rows_scale > 1e6:
        problems.append(Problem("rows_scale", "must be a number greater than 0 (and at most 1000000)"))
    if type(chunk_size) is not int or chunk_size < 1:
        problems.append(Problem("chunk_size", "must be a positive integer"))
    if tables is not None:
        for name in tables:
            if name not in doc["tables"]:
                problems.append(Problem("tables", f"unknown table {name!r}"))
    problems.extend(rows_problems(spec, rows))
    if problems:
        raise SpecError(problems)
    rows = dict(rows or {})
    reference_time = _aware_utc(reference_time)
    order = analysis.topological_order(analysis.table_graph(doc))
    counts: dict[str, int] = {}
    for name in order:
        table = doc["tables"][name]
        declared = table["rows"]
        if name in rows:
            counts[name] = rows[name]
        elif isinstance(declared, int):
            counts[name] = declared if table.get("scale", True) is False else int(round(declared * rows_scale))
        else:
            parent = table["columns"][declared["per"]]["table"]
            counts[name] = int(child_counts(seed, name, declared, counts[parent]).sum())
    problems.extend(_limits(spec, counts, reference_time, rows))
    if problems:
        raise SpecError(problems)
    chosen = [name for name in order if tables is None or name in tables]
    chunks = [Chunk(name, start, min(start + chunk_size, counts[name]))
              for name in chosen for start in range(0, counts[name], chunk_size)]
    return Plan(spec, seed, reference_time, float(rows_scale), order, counts, chunk_size, chunks, rows,
                document_secret=bytes(document_secret))


def rows_problems(spec: Spec, rows: object) -> list[Problem]:
    """What is wrong with a request's absolute row counts (`{table: n}`), each under `rows.<table>`."""
    if rows is None:
        return []
    if not isinstance(rows, Mapping):
        return [Problem("rows", "must be a mapping of table names to row counts")]
    problems = []
    tables = spec.doc["tables"]
    for name, count in rows.items():
        path = f"rows.{name}"
        if name not in tables:
            problems.append(Problem(path, f"unknown table {name!r}; the spec has {', '.join(tables)}"))
        elif isinstance(tables[name]["rows"], Mapping):
            parent = tables[name]["columns"][tables[name]["rows"]["per"]]["table"]
            problems.append(Problem(path, f"{name} has rows per row of {parent} ({{per: ...}}): it follows its "
                                          f"parent's row count; size {parent} instead"))
        elif type(count) is not int or count < 0:
            problems.append(Problem(path, "must be an integer of at least 0"))
        elif count > limits.MAX_TABLE_ROWS:
            problems.append(Problem(path, f"must be at most {limits.MAX_TABLE_ROWS:,}"))
    return problems


def _aware_utc(moment: datetime | None) -> datetime:
    if moment is None:
        moment = datetime.now(UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _limits(spec: Spec, counts: dict[str, int], reference_time: datetime, requested: dict[str, int]) -> list[Problem]:
    """Checks that need the real row counts and reference time: quota, unique domains, date ranges."""
    problems = []
    doc = spec.doc
    if spec.max_rows is not None:
        for name, count in counts.items():
            if count > spec.max_rows:
                path = f"rows.{name}" if name in requested else f"tables.{name}.rows"
                problems.append(Problem(path, f"{count} rows is above the limit of {spec.max_rows}"))
        total = sum(counts.values())
        if total > spec.max_rows:
            problems.append(Problem("tables", f"the plan makes {total} rows in total, above the limit of "
                                              f"{spec.max_rows}"))
    for name, table in doc["tables"].items():
        for column, col_spec in table["columns"].items():
            path = f"tables.{name}.columns.{column}"
            for variant, vpath in _variants(col_spec, path):
                if variant["type"] in ("date", "datetime") and not bounds.has_expression_bounds(variant):
                    try:
                        low, high = analysis.resolved_range(variant, reference_time)
                    except TimeValueError as exc:
                        problems.append(Problem(vpath, str(exc)))
                        continue
                    if low > high:
                        problems.append(Problem(vpath, f"start ({variant['start']}) is after end ({variant['end']}) "
                                                       f"at the reference time {reference_time.isoformat()}"))
            problems.extend(nested_problems(doc, name, col_spec, path, counts, reference_time))
            if col_spec["type"] == "sequence":
                last = col_spec["start"] + max(counts[name] - 1, 0) * col_spec["step"]
                if abs(last) >= 2**63:
                    problems.append(Problem(path, f"the sequence reaches {last}, beyond 64-bit integers"))
            if col_spec["type"] == "series_time" and not isinstance(table["rows"], dict):
                # rows_scale can make more rows than validation sized the series for.
                problem = range_problem(col_spec, counts[name], reference_time)
                if problem:
                    problems.append(Problem(path, problem))
            if col_spec["type"] == "reference":
                problems.extend(Problem(where, message) for where, message
                                in reference.plan_problems(doc, name, column, col_spec, path, counts))
            if col_spec["unique"]:
                problem = unique_problem(doc, name, col_spec, counts[name], counts, reference_time)
                if problem:
                    problems.append(Problem(path, problem))
    return problems


def _variants(spec: dict, path: str):
    yield spec, path
    for i, clause in enumerate(spec["when"]):
        yield {**spec, **clause["then"]}, f"{path}.when[{i}].then"
    if spec["type"] == "array" and spec["of"] is not None:
        yield from _nested(spec["of"], f"{path}.of")
    if spec["type"] == "object":
        for name, field_spec in spec["fields"].items():
            yield from _nested(field_spec, f"{path}.fields.{name}")


def _nested(spec: dict, path: str):
    yield spec, path
    if spec["type"] == "array" and spec["of"] is not None:
        yield from _nested(spec["of"], f"{path}.of")
    if spec["type"] == "object":
        for name, field_spec in spec["fields"].items():
            yield from _nested(field_spec, f"{path}.fields.{name}")
