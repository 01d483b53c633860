"""JSON: one array of row objects per table, streamed row by row, UTF-8.

The output is a valid JSON document whatever the number of rows (`[]` for none), with one row per
line so that large files stay readable by line-oriented tools.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from .columns import TableSchema
from .rows import Row, iter_json

_ROWS_PER_WRITE = 2_000


def write_json(stream: BinaryIO, schema: TableSchema, rows: Iterable[Row]) -> int:
    """Write the rows as one JSON array; returns the number of rows.

    `schema` is accepted so every writer has the same signature; values are written unchanged.
    """
    block: list[bytes] = []
    count = 0
    for line in iter_json(rows):
        block.append(line)
        count += 1
        if len(block) == _ROWS_PER_WRITE:
            stream.write((b"[\n" if count == _ROWS_PER_WRITE else b",\n") + b",\n".join(block))
            block.clear()
    if block:
        stream.write((b"[\n" if count == len(block) else b",\n") + b",\n".join(block))
    stream.write(b"\n]\n" if count else b"[]\n")
    return count
