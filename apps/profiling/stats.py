"""Column statistics of one sample table, computed chunk by chunk in bounded memory.

Per column: kind, null share, distinct count, min/max, quantiles, top values, text lengths and patterns.
What needs the whole column is bounded:

- distinct values are counted exactly up to a cap per column (DISTINCT_CAP, lowered for wide tables so a
  table holds at most DISTINCT_BUDGET exact values in all: `distinct_cap(columns)`); past it the count is an
  estimate from a
  K-minimum-values sketch over 64-bit hashes (relative error about 1/sqrt(KMV_K), 3%), flagged `exact: false`;
- top values are exact while the distinct values fit the cap, else counted over the rows seen since;
- quantiles, patterns, PII checks and the correlations of the inferred spec read a uniform sample of at most
  RESERVOIR_ROWS whole rows, fewer for wide tables (at most SAMPLE_CELLS cells: `reservoir_rows(columns)`)
  (bottom-k of a seeded random key per row: the same file gives the same sample).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DISTINCT_CAP = 100_000
DISTINCT_BUDGET = 2_000_000
SAMPLE_CELLS = 2_000_000
KMV_K = 1024
RESERVOIR_ROWS = 20_000


def distinct_cap(columns: int) -> int:
    """Exact distinct values kept per column of a table with `columns` columns."""
    return max(1_000, min(DISTINCT_CAP, DISTINCT_BUDGET // max(1, columns)))


def reservoir_rows(columns: int) -> int:
    return max(1_000, min(RESERVOIR_ROWS, SAMPLE_CELLS // max(1, columns)))
TOP_VALUES = 20
QUANTILES = tuple(i / 100 for i in range(101))
PATTERN_EXAMPLES = 2_000
_SEED = 20240613


def _hashes(values: list) -> np.ndarray:
    return np.fromiter((int.from_bytes(hashlib.blake2b(repr(v).encode(), digest_size=8).digest(), "little")
                        for v in values), dtype=np.uint64, count=len(values))


@dataclass
class ColumnAccumulator:
    name: str
    kind: str
    cap: int = DISTINCT_CAP
    count: int = 0
    nulls: int = 0
    exact: Counter | None = field(default_factory=Counter)
    sketch: np.ndarray | None = None  # the KMV_K smallest hashes, once the exact counts overflowed
    overflow_counts: Counter = field(default_factory=Counter)
    low: object = None
    high: object = None
    length_min: int | None = None
    length_max: int | None = None
    length_sum: int = 0

    def add(self, array: pa.Array) -> None:
        self.count += len(array)
        self.nulls += array.null_count
        values = array.drop_null() if array.null_count else array
        if not len(values):
            return
        if self.kind != "bool":
            extremes = pc.min_max(values)
            low, high = extremes["min"].as_py(), extremes["max"].as_py()
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)
        if self.kind == "string":
            lengths = pc.utf8_length(values)
            extremes = pc.min_max(lengths)
            low, high = extremes["min"].as_py(), extremes["max"].as_py()
            self.length_min = low if self.length_min is None else min(self.length_min, low)
            self.length_max = high if self.length_max is None else max(self.length_max, high)
            self.length_sum += pc.sum(lengths).as_py() or 0
        counted = pc.value_counts(values)
        keys = counted.field("values").to_pylist()
        counts = counted.field("counts").to_numpy()
        if self.exact is not None:
            self.exact.update(dict(zip(keys, counts.tolist(), strict=True)))
            if len(self.exact) > self.cap:
                self.sketch = np.sort(_hashes(list(self.exact)))[:KMV_K]
                self.overflow_counts = Counter(dict(self.exact.most_common(TOP_VALUES * 50)))
                self.exact = None
            return
        self.sketch = np.unique(np.concatenate([self.sketch, _hashes(keys)]))[:KMV_K]
        self.overflow_counts.update(dict(zip(keys, counts.tolist(), strict=True)))
        if len(self.overflow_counts) > TOP_VALUES * 200:
            self.overflow_counts = Counter(dict(self.overflow_counts.most_common(TOP_VALUES * 50)))

    @property
    def distinct(self) -> int:
        if self.exact is not None:
            return len(self.exact)
        if len(self.sketch) < KMV_K:
            return len(self.sketch)
        kth = float(self.sketch[-1]) / float(2**64)
        return int(round((KMV_K - 1) / kth))

    def top(self) -> list[tuple[object, int]]:
        source = self.exact if self.exact is not None else self.overflow_counts
        return source.most_common(TOP_VALUES)


class RowReservoir:
    """A uniform sample of whole rows: the RESERVOIR_ROWS rows with the smallest seeded random keys."""

    def __init__(self, size: int = RESERVOIR_ROWS, seed: int = _SEED):
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.keys = np.empty(0)
        self.table: pa.Table | None = None

    def add(self, batch: pa.RecordBatch) -> None:
        keys = self.rng.random(batch.num_rows)
        chunk = pa.Table.from_batches([batch])
        merged = chunk if self.table is None else pa.concat_tables([self.table, chunk])
        all_keys = np.concatenate([self.keys, keys])
        if len(all_keys) > self.size:
            keep = np.sort(np.argpartition(all_keys, self.size)[: self.size])
            merged = merged.take(pa.array(keep))
            all_keys = all_keys[keep]
        self.table, self.keys = merged, all_keys


def quantiles_of(array: pa.Array, kind: str) -> list | None:
    values = array.drop_null() if array.null_count else array
    if not len(values) or kind not in ("int", "float", "date", "datetime"):
        return None
    numbers = numeric_view(values, kind)
    return np.quantile(numbers, QUANTILES).tolist()


def numeric_view(array: pa.Array, kind: str) -> np.ndarray:
    """Numbers standing for the values: floats, days since 1970 for dates, microseconds for datetimes."""
    if kind == "date":
        return pc.cast(array, pa.int32()).to_numpy(zero_copy_only=False).astype(np.float64)
    if kind == "datetime":
        return pc.cast(array, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
    if kind == "bool":
        return pc.cast(array, pa.int8()).to_numpy(zero_copy_only=False).astype(np.float64)
    return pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)


# ----------------------------------------------------------------------------- patterns

_CLASSES = ((re.compile(r"[A-Z]"), "A"), (re.compile(r"[a-z]"), "a"), (re.compile(r"[0-9]"), "9"))


def _shape(text: str) -> str:
    """Each character as its class: A upper, a lower, 9 digit; other characters are kept (they are the
    separators that make a code a code: `-`, `/`, `.`, space)."""
    out = []
    for char in text:
        if "A" <= char <= "Z":
            out.append("A")
        elif "a" <= char <= "z":
            out.append("a")
        elif "0" <= char <= "9":
            out.append("9")
        elif char.isalpha():
            out.append("L")
        else:
            out.append(char)
    return "".join(out)


_TOKEN = {"A": "[A-Z]", "a": "[a-z]", "9": r"\d", "L": r"\w"}
_META = frozenset(".^$*+?{}[]\\|()")


def shape_to_regex(shape: str) -> str:
    """`AA-99999` -> `[A-Z]{2}-\\d{5}`: runs of one class become one counted class."""
    parts = []
    for match in re.finditer(r"(.)\1*", shape):
        char, run = match.group(1), len(match.group(0))
        token = _TOKEN.get(char, "\\" + char if char in _META else char)
        parts.append(token if run == 1 else f"{token}{{{run}}}")
    return "".join(parts)


def patterns_of(values: list[str]) -> list[dict]:
    """The shapes covering the values, most common first, as regexes with their share (up to 5)."""
    if not values:
        return []
    shapes = Counter(_shape(v) for v in values[:PATTERN_EXAMPLES])
    total = sum(shapes.values())
    return [{"regex": shape_to_regex(shape), "share": round(count / total, 4)}
            for shape, count in shapes.most_common(5)]
