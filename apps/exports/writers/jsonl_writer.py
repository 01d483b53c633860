"""JSON Lines: one compact JSON object per row, each ending in `\\n`, UTF-8."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from .columns import TableSchema
from .rows import Row, iter_json

_ROWS_PER_WRITE = 2_000


def write_jsonl(stream: BinaryIO, schema: TableSchema, rows: Iterable[Row]) -> int:
    """Write each row as one line; returns the number of rows.

    `schema` is accepted so every writer has the same signature; the rows already carry their
    JSON-ready values (see the schema language's "Values"), which are written unchanged.
    """
    block: list[bytes] = []
    count = 0
    for line in iter_json(rows):
        block.append(line)
        count += 1
        if len(block) == _ROWS_PER_WRITE:
            stream.write(b"\n".join(block) + b"\n")
            block.clear()
    if block:
        stream.write(b"\n".join(block) + b"\n")
    return count
