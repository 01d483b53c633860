"""generate_chunk: any row range of any table as a columnar Batch, a pure function of the plan."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import orjson

from .planner import Plan
from .rowcounts import BLOCK_ROWS
from .runtime import runtime_for
from .values import KIND_DTYPES, Col, to_pylist


class Batch:
    """Rows [start, stop) of one table, held by column.

    `columns` maps each column name to its JSON-ready values (SCHEMA_DSL "Values": dates `YYYY-MM-DD`,
    datetimes ISO 8601, times `HH:MM:SS`, None for null); `kinds` gives each column's value kind
    (int, float, bool, str, date, datetime, time or json) for writers that keep native types.
    """

    def __init__(self, table: str, start: int, stop: int, column_names: list[str], cols: dict[str, Col]):
        self.table = table
        self.start = start
        self.stop = stop
        self.column_names = list(column_names)
        self._cols = cols
        self._columns: dict[str, list] | None = None

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def kinds(self) -> dict[str, str]:
        return {name: self._cols[name].kind for name in self.column_names}

    @property
    def columns(self) -> dict[str, list]:
        if self._columns is None:
            self._columns = {name: to_pylist(self._cols[name]) for name in self.column_names}
        return self._columns

    def rows(self) -> Iterator[dict]:
        names = self.column_names
        lists = [self.columns[name] for name in names]
        for row in zip(*lists, strict=True):
            yield dict(zip(names, row, strict=True))

    def json_rows(self) -> list[bytes]:
        """Each row as compact JSON (keys in column order), the same bytes as orjson.dumps of `rows()`.

        Rows are assembled with one %-format per row from per-column arguments: numbers as Python
        numbers, strings that need no escaping as they are (quoted by the format), anything else as
        JSON text made by orjson. This is several times faster than building and dumping a dict per row.
        """
        if not len(self):
            return []
        pieces = []
        arguments = []
        for name in self.column_names:
            values, quoted = _json_arguments(self._cols[name], self.columns[name])
            pieces.append(f'"{name}":"%s"' if quoted else f'"{name}":%s')
            arguments.append(values)
        row_format = "{" + ",".join(pieces) + "}"
        return [(row_format % row).encode() for row in zip(*arguments)]  # noqa: B905 - equal lengths


def _json_arguments(col: Col, values: list) -> tuple[list, bool]:
    """(per-row arguments of the row format, whether the format must quote them) for one column."""
    has_nulls = col.nulls is not None and bool(col.nulls.any())
    kind = col.kind
    if kind == "int" and not has_nulls:
        return values, False
    if kind == "float" and not has_nulls and bool(np.isfinite(col.values).all()):
        # Python's repr and orjson write floats alike, except tiny ones (1e-05 against 0.00001).
        magnitudes = np.abs(col.values)
        if not bool(((magnitudes < 1e-4) & (magnitudes > 0)).any()):
            return values, False
    if kind == "bool" and not has_nulls:
        return np.where(col.values, "true", "false").tolist(), False
    if kind in ("date", "datetime", "time") and not has_nulls:
        return values, True
    if kind == "str" and not has_nulls:
        text = "".join(values)
        # isprintable() is False for every control character; quotes and backslashes need escaping too.
        if text.isprintable() and '"' not in text and "\\" not in text:
            return values, True
    dumps = orjson.dumps
    return [dumps(v).decode() for v in values], False


def generate_chunk(plan: Plan, table: str, start: int, stop: int) -> Batch:
    """Rows [start, stop) of `table`: the same values whatever the chunking and the process."""
    if table not in plan.row_counts:
        raise ValueError(f"unknown table {table!r}")
    count = plan.row_counts[table]
    if not (0 <= start <= stop <= count):
        raise ValueError(f"row range [{start}, {stop}) is outside table {table!r} of {count} rows")
    runtime = runtime_for(plan)
    names = list(plan.spec.doc["tables"][table]["columns"])
    if start == stop:
        cols = {name: Col(runtime.kind(table, name), np.empty(0, dtype=KIND_DTYPES[runtime.kind(table, name)]))
                for name in names}
        return Batch(table, start, stop, names, cols)
    table_runtime = runtime.tables[table]
    computed = {name: runtime.column_range(table, name, start, stop) for name in table_runtime.order}
    return Batch(table, start, stop, names, {name: computed[name] for name in names})


def iter_batches(plan: Plan, table: str, start: int, stop: int) -> Iterator[Batch]:
    """Rows [start, stop) of `table` as consecutive batches cut at the engine's block boundaries, so a
    caller can hand one batch on (to a database, a file) while the next is made, and no block is drawn
    twice. Concatenated, the batches equal generate_chunk(plan, table, start, stop)."""
    lo = start
    while lo < stop:
        hi = min(stop, (lo // BLOCK_ROWS + 1) * BLOCK_ROWS)
        yield generate_chunk(plan, table, lo, hi)
        lo = hi
