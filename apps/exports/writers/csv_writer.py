"""CSV per RFC 4180: a header row, `\\r\\n` line endings, fields quoted only when they need it.

Cells: numbers as written in JSON, booleans `true`/`false`, null as an empty cell (so null and an
empty string look the same, as in any CSV), dates and times in their ISO form, arrays and objects as
compact JSON.

Text that a spreadsheet would evaluate (a cell starting with `= + - @`, a tab or a carriage return)
gets a leading single quote by default, the usual defence against CSV formula injection. Only
string-typed columns are touched: a negative number in a numeric column is data, not a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import BinaryIO

import orjson

from .columns import BOOLEAN, STRING, TableSchema
from .rows import Row, iter_dicts
from .streams import TextBuffer

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_CHARS = frozenset(FORMULA_TRIGGERS)
_ROWS_PER_FLUSH = 2_000


def write_csv(stream: BinaryIO, schema: TableSchema, rows: Iterable[Row], *, neutralise_formulas: bool = True) -> int:
    """Write the header and one line per row as UTF-8 to `stream`; returns the number of rows."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    out = TextBuffer(stream)
    names = schema.names
    # Only columns whose values need more than str() get a formatter; the csv module already
    # writes ints and floats as Python (and JSON) does and None as an empty cell.
    formatters = [
        (index, formatter)
        for index, column in enumerate(schema.columns)
        if (formatter := _formatter(column.type.kind, column.type.is_nested, neutralise_formulas)) is not None
    ]
    writer.writerow(names)
    cells_of = _cell_reader(names)
    count = 0
    block: list[list] = []
    for row in iter_dicts(rows):
        cells = cells_of(row)
        for index, formatter in formatters:
            value = cells[index]
            if value is not None:
                cells[index] = formatter(value)
        block.append(cells)
        if len(block) == _ROWS_PER_FLUSH:
            count += _flush(writer, block, text, out)
    count += _flush(writer, block, text, out)
    out.flush()
    return count


def _flush(writer, block: list[list], text: io.StringIO, out: TextBuffer) -> int:
    writer.writerows(block)
    out.write(text.getvalue())
    text.seek(0)
    text.truncate()
    written = len(block)
    block.clear()
    return written


def _cell_reader(names: tuple[str, ...]) -> Callable[[Mapping], list]:
    """row -> its cells in column order; a missing key is a null cell."""
    if len(names) == 1:
        name = names[0]
        return lambda row: [row.get(name)]
    getter = itemgetter(*names)

    def cells(row: Mapping) -> list:
        try:
            return list(getter(row))
        except KeyError:
            return [row.get(name) for name in names]

    return cells


def _formatter(kind: str, nested: bool, neutralise: bool) -> Callable[[object], str] | None:
    if nested:
        return _json_text
    if kind == BOOLEAN:
        return _boolean_text
    if kind == STRING:
        return _neutralised_text if neutralise else _plain_text
    return None


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


def _boolean_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _plain_text(value: object) -> str:
    if type(value) is str:
        return value
    # A text column can carry non-text values (a choice mixing strings and numbers): show their JSON form.
    return _json_text(value)


def _neutralised_text(value: object) -> str:
    text = value if type(value) is str else _json_text(value)
    return "'" + text if text[:1] in _TRIGGER_CHARS else text
