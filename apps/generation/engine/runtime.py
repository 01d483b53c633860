"""Per-process state for generating rows of a plan: blocks of rows, their columns, and caches.

A block is a fixed run of BLOCK_ROWS rows of one table. All draws of a block come from generators
named after it, so a block's values are the same whoever computes it; chunks are cut from blocks,
and references recompute the blocks of the parent rows they point at. Caches only save work: a
result never depends on what is cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import orjson

from . import analysis
from .generators import generate_column
from .randomness import derive_key, derive_rng
from .rowcounts import BLOCK_ROWS, child_counts
from .values import Col, gather

if TYPE_CHECKING:
    from .planner import Plan

# Blocks of the table a chunk is cut from are kept only to serve the next chunk; blocks recomputed for
# references and lookups hold just the columns asked for and are worth keeping longer.
CHUNK_CACHE_CELLS = 600_000
REFERENCE_CACHE_CELLS = 3_000_000
_RUNTIMES: OrderedDict = OrderedDict()
_MAX_RUNTIMES = 2


class Env:
    """Where a generator draws from: the rows it makes, its stream names and the row's other columns."""

    __slots__ = ("runtime", "table", "rows", "n", "path", "block", "ctx", "salt")

    def __init__(self, runtime: PlanRuntime, table: TableRuntime, rows: np.ndarray, path: str, block: int,
                 ctx: BlockContext | None, salt: str = ""):
        self.runtime = runtime
        self.table = table
        self.rows = rows
        self.n = len(rows)
        self.path = path
        self.block = block
        self.ctx = ctx
        self.salt = salt

    def rng(self, purpose: str) -> np.random.Generator:
        return derive_rng(self.runtime.seed, self.table.name, self.path, self.salt, purpose, self.block)

    def key(self, purpose: str) -> int:
        return derive_key(self.runtime.seed, self.table.name, self.path, purpose)

    def derived(self, salt: str) -> Env:
        return Env(self.runtime, self.table, self.rows, self.path, self.block, self.ctx, salt)

    def nested(self, path: str, rows: np.ndarray) -> Env:
        return Env(self.runtime, self.table, rows, path, self.block, None, self.salt)

    def series_positions(self) -> np.ndarray:
        return self.ctx.positions()


class TableRuntime:
    def __init__(self, runtime: PlanRuntime, name: str):
        doc = runtime.doc
        self.name = name
        self.spec = doc["tables"][name]
        self.columns: dict = self.spec["columns"]
        self.row_count = runtime.row_counts[name]
        self.order = analysis.column_order(name, self.spec)
        rows = self.spec["rows"]
        self.per_column = rows["per"] if isinstance(rows, dict) else None
        self.parent = self.columns[self.per_column]["table"] if self.per_column else None
        self._starts: np.ndarray | None = None
        self._ends: np.ndarray | None = None

    def run_bounds(self, runtime: PlanRuntime) -> tuple[np.ndarray, np.ndarray]:
        """(first child row, end) of every parent's run of child rows."""
        if self._ends is None:
            counts = child_counts(runtime.seed, self.name, self.spec["rows"], runtime.row_counts[self.parent])
            self._ends = np.cumsum(counts)
            self._starts = self._ends - counts
        return self._starts, self._ends


class BlockContext:
    """The columns of one block of rows of a table, computed on demand and kept."""

    def __init__(self, runtime: PlanRuntime, table: TableRuntime, block: int):
        self.runtime = runtime
        self.table = table
        self.block = block
        self.lo = block * BLOCK_ROWS
        self.hi = min(self.lo + BLOCK_ROWS, table.row_count)
        self.rows = np.arange(self.lo, self.hi, dtype=np.int64)
        self.per_column = table.per_column
        self.cols: dict[str, Col] = {}
        self.indices: dict[str, np.ndarray] = {}
        self.pending: dict[tuple[str, str], np.ndarray] = {}
        self._parents: np.ndarray | None = None

    @property
    def cells(self) -> int:
        return len(self.rows) * max(1, len(self.cols))

    def get(self, name: str) -> Col:
        col = self.cols.get(name)
        if col is None:
            spec = self.table.columns[name]
            col = generate_column(spec, Env(self.runtime, self.table, self.rows, name, self.block, self))
            self.cols[name] = col
        return col

    def remember_indices(self, column: str, indices: np.ndarray) -> None:
        self.indices[column] = indices

    def reference_indices(self, column: str) -> np.ndarray:
        self.get(column)
        return self.indices[column]

    def reference_indices_of(self, column: str) -> np.ndarray:
        """Parent row indices (-1: null) of this block's `column` (a reference column, or the `per`
        column of a child table, whose indices are the parent of each row's run)."""
        if column == self.per_column:
            return self.parent_indices()
        return self.reference_indices(column)

    def referenced(self, reference: str, column: str) -> Col:
        """`column` of the parent rows that this block's `reference` column points at."""
        indices = self.reference_indices(reference)
        return self.runtime.values_at(self.table.columns[reference]["table"], column, indices)

    def parent_indices(self) -> np.ndarray:
        if self._parents is None:
            _, ends = self.table.run_bounds(self.runtime)
            self._parents = np.searchsorted(ends, self.rows, side="right").astype(np.int64)
        return self._parents

    def positions(self) -> np.ndarray:
        """Position of each row in its series: within its parent's run, or in the table."""
        if self.per_column is None:
            return self.rows
        starts, _ = self.table.run_bounds(self.runtime)
        return self.rows - starts[self.parent_indices()]


class PlanRuntime:
    def __init__(self, doc: dict, seed: int, reference_time: datetime, row_counts: dict[str, int],
                 document_secret: bytes = b""):
        self.doc = doc
        self.document_secret = document_secret
        self.seed = seed
        self.reference_time = reference_time
        self.row_counts = row_counts
        self.tables = {name: TableRuntime(self, name) for name in doc["tables"]}
        self._blocks: OrderedDict[tuple[str, int], BlockContext] = OrderedDict()
        self._referenced_blocks: OrderedDict[tuple[str, int], BlockContext] = OrderedDict()
        self._memo: dict = {}
        self._walk_prefix: dict[tuple[str, str], list[float]] = {}

    # -- blocks
    def block(self, table: str, block: int, *, referenced: bool = False) -> BlockContext:
        cache, limit = ((self._referenced_blocks, REFERENCE_CACHE_CELLS) if referenced
                        else (self._blocks, CHUNK_CACHE_CELLS))
        key = (table, block)
        ctx = cache.get(key)
        if ctx is not None:
            cache.move_to_end(key)
            return ctx
        ctx = BlockContext(self, self.tables[table], block)
        cache[key] = ctx
        total = sum(entry.cells for entry in cache.values())
        while total > limit and len(cache) > 1:
            _, evicted = cache.popitem(last=False)
            total -= evicted.cells
        return ctx

    def column_range(self, table: str, column: str, start: int, stop: int) -> Col:
        from .values import concat

        parts = []
        first, last = start // BLOCK_ROWS, (stop - 1) // BLOCK_ROWS
        for block in range(first, last + 1):
            ctx = self.block(table, block)
            col = ctx.get(column)
            lo = max(start, ctx.lo) - ctx.lo
            hi = min(stop, ctx.hi) - ctx.lo
            parts.append(col if (lo, hi) == (0, len(col)) else col.slice(lo, hi))
        return concat(parts)

    def values_at(self, table: str, column: str, indices: np.ndarray) -> Col:
        """`column` of `table` at arbitrary row indices (-1: null), recomputing the covering blocks."""
        spec = self.tables[table].columns[column]
        valid = indices >= 0
        if spec["type"] == "sequence" and not spec["when"] and spec["null_ratio"] == 0:
            values = spec["start"] + np.where(valid, indices, 0) * spec["step"]
            return Col("int", values, None if valid.all() else ~valid)
        positions = np.flatnonzero(valid)
        blocks = indices[positions] // BLOCK_ROWS
        order = np.argsort(blocks, kind="stable")
        positions, blocks = positions[order], blocks[order]
        unique_blocks, starts = np.unique(blocks, return_index=True)
        ends = np.append(starts[1:], len(blocks)).astype(np.int64) if len(blocks) else starts
        parts = []
        for block, lo, hi in zip(unique_blocks.tolist(), starts.tolist(), ends.tolist(), strict=True):
            where = positions[lo:hi]
            col = self.block(table, block, referenced=True).get(column)
            parts.append((where, col.take(indices[where] - block * BLOCK_ROWS)))
        kind = parts[0][1].kind if parts else self.kind(table, column)
        timezone = parts[0][1].timezone if parts else spec.get("timezone", "UTC")
        return gather(kind, len(indices), parts, timezone)

    def reference_indices_at(self, table: str, column: str, rows: np.ndarray) -> np.ndarray:
        """Parent row indices that `column` (a reference) of `table` holds at `rows`."""
        out = np.full(len(rows), -1, dtype=np.int64)
        blocks = rows // BLOCK_ROWS
        for block in np.unique(blocks).tolist():
            here = blocks == block
            ctx = self.block(table, block, referenced=True)
            out[here] = ctx.reference_indices_of(column)[rows[here] - block * BLOCK_ROWS]
        return out

    def children(self, table: str, parent: int) -> tuple[int, int]:
        """[first, end) rows of `table` (declared `rows: {per: ...}`) that belong to parent row `parent`."""
        starts, ends = self.tables[table].run_bounds(self)
        return int(starts[parent]), int(ends[parent])

    # -- facts about the plan, computed once
    def cached(self, key, make: Callable):
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def kind(self, table: str, column: str) -> str:
        kind = self.cached(("kind", table, column),
                           lambda: analysis.column_kind(self.doc, self.doc["tables"][table], column))
        return "float" if kind == "number" else kind

    def referenced_column(self, spec: dict) -> str:
        return analysis.referenced_column(self.doc, spec)

    def resolved_range(self, spec: dict) -> tuple:
        key = ("range", spec["type"], spec["start"], spec["end"], spec["timezone"])
        return self.cached(key, lambda: analysis.resolved_range(spec, self.reference_time))

    def unique_domain(self, table: str, spec: dict) -> float:
        key = ("domain", table, orjson.dumps(spec))
        per = isinstance(self.doc["tables"][table]["rows"], dict)
        return self.cached(key, lambda: analysis.unique_domain(self.doc, table, spec, self.row_counts,
                                                               self.reference_time, per_table=per))

    def item_domain(self, spec: dict) -> float:
        key = ("items", orjson.dumps(spec))
        return self.cached(key, lambda: analysis.unique_domain(self.doc, "", spec, self.row_counts,
                                                               self.reference_time))

    def faker_kind(self, spec: dict) -> str:
        key = ("faker", spec["provider"], spec["locale"], orjson.dumps(spec["args"]))
        return self.cached(key, lambda: analysis.faker_kind(spec))

    # -- random walks of timeseries columns
    def walk(self, table: str, path: str, sigma: float, rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Sum of the walk steps of each row's series up to the row (the first row of a series is 0)."""
        return self._walk_total(table, path, sigma, rows) - self._walk_total(table, path, sigma, rows - positions)

    def _walk_steps(self, table: str, path: str, sigma: float, block: int) -> np.ndarray:
        count = min(BLOCK_ROWS, self.row_counts[table] - block * BLOCK_ROWS)
        return derive_rng(self.seed, table, path, "walk", block).normal(0.0, sigma, count)

    def _walk_total(self, table: str, path: str, sigma: float, rows: np.ndarray) -> np.ndarray:
        """Sum of steps of rows 0..row (inclusive), from per-block prefix sums."""
        prefix = self._walk_prefix.setdefault((table, path), [0.0])
        blocks = rows // BLOCK_ROWS
        needed = int(blocks.max()) if len(rows) else 0
        while len(prefix) <= needed:
            prefix.append(prefix[-1] + float(self._walk_steps(table, path, sigma, len(prefix) - 1).sum()))
        out = np.empty(len(rows), dtype=np.float64)
        for block in np.unique(blocks).tolist():
            here = blocks == block
            running = np.cumsum(self._walk_steps(table, path, sigma, block))
            out[here] = prefix[block] + running[rows[here] - block * BLOCK_ROWS]
        return out


def runtime_for(plan: Plan) -> PlanRuntime:
    key = plan.key
    runtime = _RUNTIMES.get(key)
    if runtime is None:
        runtime = PlanRuntime(plan.spec.doc, plan.seed, plan.reference_time, dict(plan.row_counts),
                              plan.document_secret)
        _RUNTIMES[key] = runtime
        while len(_RUNTIMES) > _MAX_RUNTIMES:
            _RUNTIMES.popitem(last=False)
    else:
        _RUNTIMES.move_to_end(key)
    return runtime
