"""The profile of a set of sample tables: column statistics, keys, foreign keys, child counts, PII, correlations.

Each table is read twice in record batches (first its column kinds, then its statistics), so memory is
bounded by a batch, the row sample and the capped distinct sets, never by the file. A `TableSource` is
anything that can give its batches again: a stored sample, a local file (the `profile_sample` command).

Foreign keys are found by value inclusion: a column whose distinct values (exact, under the cap) all occur
among the values of another table's key candidate, with the same kind, references it. Child counts per
parent are then counted exactly from the child column's value counts (parents without children count 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from apps.generation.engine.types.copula import MAX_GROUP_SIZE, normal_ppf

from . import pii
from .column_kinds import column_types_of, convert_batch
from .stats import (
    QUANTILES,
    ColumnAccumulator,
    RowReservoir,
    distinct_cap,
    numeric_view,
    patterns_of,
    quantiles_of,
    reservoir_rows,
)

# A text column with at most this many distinct values (or under CATEGORY_SHARE of its rows) is a category.
CATEGORY_MAX = 50
CATEGORY_SHARE = 0.05
# Categories rarer than this share are folded into one "other" value in the inferred spec.
RARE_SHARE = 0.005
# A column with 2 to STRATA_MAX distinct values may stratify its table's copula group (`_stratifier`): values
# held by MIN_STRATUM_ROWS rows of the row sample or more each get their own distributions of the other
# columns, when that explains STRATA_GAIN more of some column's variance than the correlation does.
STRATA_MAX = 12
MIN_STRATUM_ROWS = 50
STRATA_GAIN = 0.05


@dataclass
class TableSource:
    name: str
    batches: Callable[[], Iterator[pa.RecordBatch]]
    rows: int = 0  # known row count (for progress), 0 if unknown


def _json_value(value):
    """A statistic as JSON: dates and datetimes as ISO text."""
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text.replace("+00:00", "Z")
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _from_number(number: float, kind: str):
    if kind == "date":
        return str(np.datetime64(int(np.floor(number)), "D"))
    if kind == "datetime":
        return str(np.datetime64(int(np.floor(number)), "us").astype("datetime64[s]")) + "Z"
    if kind == "int":
        return int(round(number))
    return float(f"{number:.12g}")


def _decimals(values: list[float]) -> int:
    """The most decimals the values are written with (at most 6): what generated floats are rounded to."""
    most = 0
    for value in values:
        text = repr(float(value))
        if "e" in text:
            return 6
        most = max(most, len(text.split(".")[1].rstrip("0")) if "." in text else 0)
    return min(most, 6)


def _normal_scores(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Rank-based normal scores (ties share their mean rank); missing values score 0 (the median)."""
    out = np.zeros(len(values))
    present = ~missing
    if present.sum() < 3:
        return out
    data = values[present]
    order = np.argsort(data, kind="stable")
    ranks = np.empty(len(data))
    ranks[order] = np.arange(1, len(data) + 1)
    _, inverse, counts = np.unique(data, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    ranks = sums[inverse] / counts[inverse]
    out[present] = normal_ppf((ranks - 0.5) / len(data))
    return out


def _nearest_correlation(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    fixed = vectors @ np.diag(np.clip(values, 1e-6, None)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(scale, scale)
    np.fill_diagonal(fixed, 1.0)
    return fixed


class TableProfiler:
    def __init__(self, source: TableSource, progress: Callable[[int], None] | None = None):
        self.source = source
        self.progress = progress or (lambda rows: None)

    def run(self) -> tuple[dict, pa.Table | None, dict[str, ColumnAccumulator]]:
        kinds = column_types_of(self.source.batches())
        accumulators: dict[str, ColumnAccumulator] = {}
        reservoir = RowReservoir(size=reservoir_rows(len(kinds)))
        names: list[str] = []
        cap = distinct_cap(len(kinds))
        for batch in self.source.batches():
            typed = convert_batch(batch, kinds)
            if not names:
                names = list(typed.schema.names)
                accumulators = {name: ColumnAccumulator(name, kinds[name], cap) for name in names}
            for name, array in zip(typed.schema.names, typed.columns, strict=True):
                accumulators[name].add(array)
            reservoir.add(typed)
            self.progress(batch.num_rows)
        rows = next(iter(accumulators.values())).count if accumulators else 0
        columns = {name: self._column(acc, reservoir.table, rows) for name, acc in accumulators.items()}
        keys = [name for name, acc in accumulators.items()
                if rows and acc.nulls == 0 and acc.exact is not None and len(acc.exact) == rows
                and acc.kind in ("int", "string")]
        table = {"rows": rows, "columns": columns, "key_candidates": keys,
                 "primary_key": self._primary_key(keys, accumulators)}
        return table, reservoir.table, accumulators

    @staticmethod
    def _primary_key(keys: list[str], accumulators) -> str | None:
        if not keys:
            return None
        ranked = sorted(keys, key=lambda n: (0 if n.lower() in ("id", "pk") or n.lower().endswith("_id") and
                                             False else 1, 0 if accumulators[n].kind == "int" else 1))
        exact_id = [n for n in keys if n.lower() == "id"]
        return exact_id[0] if exact_id else ranked[0]

    def _column(self, acc: ColumnAccumulator, sample: pa.Table | None, rows: int) -> dict:
        non_null = acc.count - acc.nulls
        info = {
            "kind": acc.kind,
            "null_share": round(acc.nulls / acc.count, 6) if acc.count else 0.0,
            "distinct": acc.distinct,
            "distinct_exact": acc.exact is not None,
            "min": _json_value(acc.low),
            "max": _json_value(acc.high),
            "top_values": [{"value": _json_value(v), "count": int(c)} for v, c in acc.top()],
        }
        column = sample.column(acc.name).combine_chunks() if sample is not None else pa.array([])
        quantiles = quantiles_of(column, acc.kind)
        if quantiles is not None:
            info["quantiles"] = [_from_number(q, acc.kind) for q in quantiles]
        if acc.kind == "float":
            info["decimals"] = _decimals(column.drop_null().slice(0, 2000).to_pylist() if len(column) else [])
        if acc.kind == "string":
            info["length"] = {"min": acc.length_min, "max": acc.length_max,
                              "mean": round(acc.length_sum / non_null, 3) if non_null else None}
            texts = list(column.drop_null().to_pylist()) if len(column) else []
            info["patterns"] = patterns_of(texts)
        info["category"] = self._is_category(acc, non_null)
        if info["category"]:
            counts = acc.exact if acc.exact is not None else acc.overflow_counts
            total = sum(counts.values()) or 1
            ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
            info["categories"] = [{"value": _json_value(v), "share": round(c / total, 6)} for v, c in ordered]
        sampled = (column.drop_null().slice(0, pii.MAX_VALUES).to_pylist()
                   if acc.kind in ("string", "int") and len(column) else [])
        info["pii"] = [f.as_dict() for f in pii.findings_for(acc.name, acc.kind, sampled)]
        return info

    @staticmethod
    def _is_category(acc: ColumnAccumulator, non_null: int) -> bool:
        if acc.kind == "bool":
            return True
        if acc.kind != "string" or not non_null or acc.exact is None:
            return False
        return acc.distinct <= CATEGORY_MAX or (acc.distinct <= 1000 and acc.distinct / non_null <= CATEGORY_SHARE)


def _correlations(table: dict, sample: pa.Table | None, skip: set[str]) -> dict | None:
    """Correlation of normal scores of the table's numeric, temporal and category columns (the copula's
    matrix), from the row sample; at most MAX_GROUP_SIZE columns (the first ones in file order). When one of
    them is a stratifier (`_stratifier`), the others' scores are ranked within its strata and their
    per-stratum distributions are returned as `given`."""
    if sample is None or sample.num_rows < 10:
        return None
    chosen, scores, coded, present = [], [], [], []
    for name, info in table["columns"].items():
        if name in skip or info["pii"] or info["kind"] == "bool" or len(chosen) >= MAX_GROUP_SIZE:
            continue
        kind = info["kind"]
        column = sample.column(name).combine_chunks()
        missing = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if kind in ("int", "float", "date", "datetime") and not info["category"]:
            filled = column.fill_null(0) if column.null_count else column
            values = numeric_view(filled, kind)
        elif info["category"]:
            order = {str(c["value"]): i for i, c in enumerate(info["categories"])}
            values = np.asarray([order.get(str(v), len(order)) if v is not None else 0
                                 for v in column.to_pylist()], dtype=np.float64)
        else:
            continue
        if info["distinct"] < 2:
            continue
        chosen.append(name)
        scores.append(_normal_scores(values, missing))
        coded.append(values)
        present.append(~missing)
    if len(chosen) < 2:
        return None
    stratifier = _stratifier(table, chosen, scores, coded, present)
    given = None if stratifier is None else _given(table, chosen, *stratifier, scores, coded, present)
    matrix = _nearest_correlation(np.corrcoef(np.vstack(scores)))
    out = {"columns": chosen, "matrix": np.round(matrix, 4).tolist()}
    if given is not None:
        out["given"] = given
    return out


def _strata_of(info: dict, values: np.ndarray, present: np.ndarray) -> list[tuple[object, np.ndarray]] | None:
    """(value, rows) of each value of a column with few distinct values (a category, or a number column with
    at most STRATA_MAX exact values) that MIN_STRATUM_ROWS rows of the sample or more hold; None otherwise."""
    if not 2 <= (info.get("distinct") or 0) <= STRATA_MAX or not info.get("distinct_exact"):
        return None
    if info["category"]:
        labels = [c["value"] for c in info["categories"]]
    elif info["kind"] in ("int", "float"):
        labels = None
    else:
        return None
    strata = []
    for code in np.unique(values[present]):
        rows = present & (values == code)
        if rows.sum() >= MIN_STRATUM_ROWS:
            if labels is not None:
                if int(code) >= len(labels):
                    continue
                value = labels[int(code)]
            else:
                value = int(code) if info["kind"] == "int" else float(code)
            strata.append((value, rows))
    return strata if len(strata) >= 2 else None


def _stratifier(table: dict, chosen: list[str], scores, coded, present) -> tuple[int, list] | None:
    """The group column that, as strata, explains the most of the other columns beyond what their linear
    correlation with it does: for each other column x, the share of the variance of x's normal scores between
    the strata (eta squared) minus its squared correlation with the column's scores (what the copula alone
    keeps). A column qualifies when that gain reaches STRATA_GAIN for at least one other column (a relation
    that is not monotone, or not linear in the scores, such as a nominal category); the one with the largest
    total gain is the stratifier."""
    best = None
    for index, name in enumerate(chosen):
        strata = _strata_of(table["columns"][name], coded[index], present[index])
        if strata is None:
            continue
        covered = np.zeros(len(coded[index]), dtype=bool)
        for _, rows in strata:
            covered |= rows
        gains = []
        for other, score in enumerate(scores):
            if other == index:
                continue
            x = score[covered]
            total = float(((x - x.mean()) ** 2).sum())
            if total <= 0:
                continue
            between = sum(rows[covered].sum() * (x[rows[covered]].mean() - x.mean()) ** 2 for _, rows in strata)
            r = np.corrcoef(x, scores[index][covered])[0, 1] if np.std(scores[index][covered]) > 0 else 0.0
            gains.append(between / total - float(np.nan_to_num(r)) ** 2)
        if gains and max(gains) >= STRATA_GAIN and (best is None or sum(gains) > best[0]):
            best = (sum(gains), index, strata)
    return None if best is None else (best[1], best[2])


def _given(table: dict, chosen: list[str], index: int, strata: list, scores, coded, present) -> dict:
    """The per-stratum distributions of the other group columns (quantiles, or category shares in the order
    of the column's categories), and their scores re-ranked within each stratum (in place)."""
    name = chosen[index]
    per_column: dict = {}
    for other, column in enumerate(chosen):
        if other == index:
            continue
        info = table["columns"][column]
        rows_list = []
        for _, rows in strata:
            here = rows & present[other]
            if info["category"]:
                counts = np.bincount(coded[other][here].astype(np.int64), minlength=len(info["categories"]))
                shares = counts[: len(info["categories"])] / max(1, here.sum())
                rows_list.append([round(float(v), 6) for v in shares])
            elif here.sum():
                quantiles = np.quantile(coded[other][here], QUANTILES)
                rows_list.append([_from_number(q, info["kind"]) for q in quantiles])
            else:
                rows_list.append(None)
            inside = rows & present[other]
            if inside.sum() >= 3:
                scores[other][inside] = _normal_scores(coded[other][inside], np.zeros(int(inside.sum()), bool))
        per_column[column] = rows_list
    return {"column": name, "values": [value for value, _ in strata], "columns": per_column}


def _singular(name: str) -> str:
    lowered = name.lower()
    for suffix, replacement in (("ies", "y"), ("ses", "s"), ("s", "")):
        if lowered.endswith(suffix) and len(lowered) > len(suffix) + 1:
            return lowered[: -len(suffix)] + replacement
    return lowered


def _name_score(column: str, parent: str, key: str) -> int:
    """How strongly a column's name says it points at parent.key: 2 `customer_id`/`customerid` for customers.id,
    1 a column named like the key (not a bare `id`) or naming the parent, 0 nothing."""
    column, key, singular = column.lower(), key.lower(), _singular(parent)
    if column in (f"{singular}_{key}", f"{singular}{key}", f"{parent.lower()}_{key}"):
        return 2
    if (column == key and key != "id") or (singular in column and column.endswith(("_id", "id", "_key", "_code"))):
        return 1
    return 0


def _foreign_keys(tables: dict, accumulators: dict) -> list[dict]:
    """Columns whose values are all among another table's key values. Integer ranges overlap by accident
    (1..2000 is inside 1..4000), so an integer column also needs a name that points at the parent; a table's
    own primary key never references; a reference that would close a cycle between tables is dropped."""
    candidates = [(t, k) for t, table in tables.items() for k in table["key_candidates"]]
    proposals = []
    for child_name, table in tables.items():
        for column, info in table["columns"].items():
            acc = accumulators[child_name][column]
            if acc.exact is None or not acc.exact or column == table.get("primary_key") or info["kind"] == "float":
                continue
            child_values = acc.exact.keys()
            best = None
            for parent_name, key in candidates:
                parent_acc = accumulators[parent_name][key]
                if parent_name == child_name or parent_acc.kind != acc.kind:
                    continue
                score = _name_score(column, parent_name, key)
                if acc.kind == "int" and score == 0:
                    continue
                if not child_values <= parent_acc.exact.keys():
                    continue
                if best is None or score > best[0]:
                    best = (score, parent_name, key)
            if best is not None:
                proposals.append((best[0], child_name, column, best[1], best[2]))
    proposals.sort(key=lambda p: -p[0])
    edges: dict[str, set[str]] = {}
    found = []
    for _, child_name, column, parent_name, key in proposals:
        if _reaches(edges, parent_name, child_name):
            continue  # parent already depends on child: a cycle
        edges.setdefault(child_name, set()).add(parent_name)
        acc, parent_acc = accumulators[child_name][column], accumulators[parent_name][key]
        per_parent = np.asarray([acc.exact.get(value, 0) for value in parent_acc.exact], dtype=np.int64)
        found.append({
            "table": child_name, "column": column, "parent": parent_name, "parent_column": key,
            "coverage": round(len(acc.exact) / max(1, len(parent_acc.exact)), 6),
            "child_counts": {
                "min": int(per_parent.min()), "max": int(per_parent.max()),
                "mean": round(float(per_parent.mean()), 4),
                "quantiles": np.quantile(per_parent, [0, 0.25, 0.5, 0.75, 1]).tolist(),
                "histogram": np.bincount(np.minimum(per_parent, 50)).tolist(),
            },
        })
    return found


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return False


def profile_tables(sources: list[TableSource], progress: Callable[[float], None] | None = None,
                   table_done: Callable[[str, int, float], None] | None = None) -> dict:
    """The profile of every table: statistics, keys, foreign keys, PII findings and correlations.

    `table_done(name, rows, seconds)` is called as each table's statistics are complete (a profile job's
    timeline: names and counts only)."""
    total = sum(s.rows for s in sources) or 0
    seen = [0]

    def advance(rows: int) -> None:
        seen[0] += rows
        if progress is not None and total:
            progress(min(1.0, seen[0] / total))

    tables, samples, accumulators = {}, {}, {}
    for source in sources:
        began = time.monotonic()
        table, sample, accs = TableProfiler(source, advance).run()
        if table_done is not None:
            table_done(source.name, int(table.get("rows", 0) or 0), time.monotonic() - began)
        tables[source.name], samples[source.name], accumulators[source.name] = table, sample, accs
    foreign_keys = _foreign_keys(tables, accumulators)
    references = {(fk["table"], fk["column"]) for fk in foreign_keys}
    for name, table in tables.items():
        skip = set(table["key_candidates"]) | {c for t, c in references if t == name}
        table["correlations"] = _correlations(table, samples[name], skip)
    findings = [{"table": t, "column": c, **finding} for t, table in tables.items()
                for c, info in table["columns"].items() for finding in info["pii"]]
    return {"tables": tables, "foreign_keys": foreign_keys, "pii": findings,
            "limits": {"distinct_cap": {name: distinct_cap(len(t["columns"])) for name, t in tables.items()},
                       "row_sample": {name: reservoir_rows(len(t["columns"])) for name, t in tables.items()}}}
