"""Generate a dataset from a built-in template or a schema file into a directory, without a database.

One file per table (named after it) plus manifest.json, which records everything needed to regenerate
the same bytes: the document's hash, the seed, the reference time and the scale. Rows are produced and
written chunk by chunk, so memory stays flat however many rows a table has.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.generation.engine import generate_chunk, parse_spec, plan
from apps.generation.engine.builtin_templates import UnknownTemplate, load_template
from apps.generation.engine.errors import SpecError

FORMATS = ("csv", "jsonl", "json")
GENERATOR = "synthhub-engine"


def generator_version() -> str:
    try:
        return metadata.version("synthhub")
    except metadata.PackageNotFoundError:
        return "unknown"


# ------------------------------------------------------------------------------------------ encoders
def csv_cell(value: object) -> object:
    """A JSON-ready value as CSV text: null empty, booleans true/false, arrays and objects compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return value


class CsvEncoder:
    """RFC 4180: a header row, then one record per row, CRLF line ends, quoting only where needed."""

    extension = "csv"

    def __init__(self, column_names: list[str]):
        self.column_names = column_names

    def _encode(self, records) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerows(records)
        return buffer.getvalue().encode("utf-8")

    def head(self) -> bytes:
        return self._encode([self.column_names])

    def chunk(self, batch, first: bool) -> bytes:
        names = self.column_names
        return self._encode([csv_cell(row[name]) for name in names] for row in batch.rows())

    def tail(self, rows: int) -> bytes:
        return b""


class JsonLinesEncoder:
    """One compact JSON object per line."""

    extension = "jsonl"

    def __init__(self, column_names: list[str]):
        self.column_names = column_names

    def head(self) -> bytes:
        return b""

    def chunk(self, batch, first: bool) -> bytes:
        lines = batch.json_rows()
        return b"\n".join(lines) + b"\n" if lines else b""

    def tail(self, rows: int) -> bytes:
        return b""


class JsonArrayEncoder:
    """One JSON array of row objects, one row per line, written without holding the table in memory."""

    extension = "json"

    def __init__(self, column_names: list[str]):
        self.column_names = column_names

    def head(self) -> bytes:
        return b"["

    def chunk(self, batch, first: bool) -> bytes:
        lines = batch.json_rows()
        if not lines:
            return b""
        return (b"\n" if first else b",\n") + b",\n".join(lines)

    def tail(self, rows: int) -> bytes:
        return b"\n]\n" if rows else b"]\n"


ENCODERS = {"csv": CsvEncoder, "jsonl": JsonLinesEncoder, "json": JsonArrayEncoder}


class HashingWriter:
    """Writes bytes to a file and keeps their sha256, so the manifest needs no second pass over the file."""

    def __init__(self, path: Path):
        self.path = path
        self.digest = hashlib.sha256()
        self.handle = open(path, "wb")  # noqa: SIM115 - closed in close(), after the last chunk

    def write(self, data: bytes) -> None:
        if data:
            self.digest.update(data)
            self.handle.write(data)

    def close(self) -> str:
        self.handle.close()
        return self.digest.hexdigest()


# ------------------------------------------------------------------------------------------ parsing
def parse_rows_scale(text: object) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise CommandError(f"--rows-scale must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise CommandError(f"--rows-scale must be a finite number greater than 0, got {text!r}")
    return value


def parse_positive_int(option: str, text: object) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise CommandError(f"{option} must be an integer, got {text!r}") from None
    if value <= 0:
        raise CommandError(f"{option} must be at least 1, got {value}")
    return value


def parse_seed(text: object) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise CommandError(f"--seed must be an integer, got {text!r}") from None
    if not 0 <= value <= 2**63 - 1:
        raise CommandError(f"--seed must be between 0 and {2**63 - 1}, got {value}")
    return value


def parse_reference_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise CommandError(f"--reference-time must be an ISO 8601 datetime, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def spec_error_message(what: str, exc: SpecError, reason: str = "is not a valid schema document") -> str:
    lines = [f"{what} {reason}:"]
    lines += [f"  {problem}" for problem in exc.problems]
    return "\n".join(lines)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------------------------------ command
class Command(BaseCommand):
    help = ("Generate a dataset from a built-in template (--template) or a schema file (--spec) into --out: "
            "one file per table plus manifest.json. Needs no database.")

    # Generation is pure computation: no system checks (they may inspect the database) and no migration
    # check, so the command runs on a machine where no database was ever set up.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--template", help="name of a built-in template")
        source.add_argument("--spec", help="path of a schema document (YAML or JSON)")
        parser.add_argument("--seed", help="seed (default: the document's seed)")
        parser.add_argument("--rows-scale", default="1", help="multiply every fixed row count (default 1)")
        parser.add_argument("--format", choices=FORMATS, default="csv", help="file format (default csv)")
        parser.add_argument("--chunk-size", default="50000", help="rows generated per step (default 50000)")
        parser.add_argument("--reference-time",
                            help="ISO datetime that relative dates (today, -2y, ...) count from (default: now); "
                                 "pass the manifest's value to regenerate identical files")
        parser.add_argument("--out", required=True, help="output directory (created if missing)")

    def handle(self, *args, **options):
        spec, label = self._load(options)
        seed = parse_seed(options["seed"])
        rows_scale = parse_rows_scale(options["rows_scale"])
        chunk_size = parse_positive_int("--chunk-size", options["chunk_size"])
        reference_time = parse_reference_time(options["reference_time"])
        try:
            the_plan = plan(spec, seed=seed, reference_time=reference_time, rows_scale=rows_scale,
                            chunk_size=chunk_size)
        except SpecError as exc:
            reason = f"cannot be generated at --rows-scale {rows_scale:g}"
            raise CommandError(spec_error_message(label, exc, reason)) from exc
        except ValueError as exc:
            raise CommandError(f"cannot plan {label}: {exc}") from exc

        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"cannot create output directory {out}: {exc}") from exc

        tables = self._write_tables(the_plan, out, options["format"])
        manifest = {
            "generator": GENERATOR,
            "generator_version": generator_version(),
            "engine_version": the_plan.manifest().get("engine_version"),
            "template": options["template"],
            "spec": None if options["template"] else str(options["spec"]),
            "name": spec.name,
            "spec_hash": spec.hash,
            "seed": the_plan.seed,
            "reference_time": iso_utc(the_plan.reference_time),
            "rows_scale": rows_scale,
            "format": options["format"],
            "tables": tables,
        }
        manifest_path = out / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for entry in tables.values():
            self.stdout.write(f"{entry['file']}: {entry['rows']} rows")
        self.stdout.write(self.style.SUCCESS(
            f"Generated {sum(t['rows'] for t in tables.values())} rows of {spec.name} into {out} "
            f"(seed {the_plan.seed}); manifest: {manifest_path}"))

    def _load(self, options):
        if options["template"]:
            try:
                return load_template(options["template"]), f"template {options['template']!r}"
            except UnknownTemplate as exc:
                raise CommandError(str(exc)) from exc
        path = Path(options["spec"])
        try:
            source = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read spec file {path}: {exc.strerror or exc}") from exc
        try:
            return parse_spec(source), f"spec file {path}"
        except SpecError as exc:
            raise CommandError(spec_error_message(f"spec file {path}", exc)) from exc

    def _write_tables(self, the_plan, out: Path, file_format: str) -> dict:
        chunks_by_table: dict[str, list] = {name: [] for name in the_plan.table_order}
        for chunk in the_plan.chunks:
            chunks_by_table[chunk.table].append(chunk)
        total = sum(the_plan.row_counts[name] for name in the_plan.table_order)
        # The bar goes to the terminal the user watches; piped or captured output stays clean.
        progress = tqdm(total=total, unit="rows", unit_scale=True, disable=not self.stdout.isatty(),
                        file=getattr(self.stdout, "_out", sys.stdout))
        tables = {}
        try:
            for name in the_plan.table_order:
                progress.set_description(name)
                tables[name] = self._write_table(the_plan, name, chunks_by_table[name], out, file_format, progress)
        finally:
            progress.close()
        return tables

    def _write_table(self, the_plan, name: str, chunks: list, out: Path, file_format: str, progress) -> dict:
        encoder_class = ENCODERS[file_format]
        file_name = f"{name}.{encoder_class.extension}"
        # Written under a temporary name and renamed when complete, so an interrupted run never leaves a
        # truncated file under the final name.
        partial = out / (file_name + ".part")
        writer = HashingWriter(partial)
        rows = 0
        try:
            encoder = None
            for chunk in sorted(chunks, key=lambda c: c.start):
                batch = generate_chunk(the_plan, name, chunk.start, chunk.stop)
                if encoder is None:
                    encoder = encoder_class(list(batch.column_names))
                    writer.write(encoder.head())
                writer.write(encoder.chunk(batch, first=rows == 0))
                rows += len(batch)
                progress.update(len(batch))
            if encoder is None:
                encoder = encoder_class(list(the_plan.spec.table(name)["columns"]))
                writer.write(encoder.head())
            writer.write(encoder.tail(rows))
        except BaseException:
            writer.close()
            partial.unlink(missing_ok=True)
            raise
        digest = writer.close()
        os.replace(partial, out / file_name)
        return {"file": file_name, "rows": rows, "sha256": digest}
