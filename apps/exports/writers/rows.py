"""Rows as the writers receive them: JSON-ready dicts, or each row's compact JSON.

The engine can hand over either form (`Batch.rows()` or `Batch.json_rows()`); callers may also mix
them. Writers that need values ask for dicts, the JSON writers ask for encoded lines, and each form is
converted only when it is not already the one wanted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import orjson

Row = Mapping | bytes | bytearray | memoryview | str


def iter_dicts(rows: Iterable[Row]) -> Iterator[Mapping]:
    """Each row as a mapping of column name to JSON-ready value."""
    loads = orjson.loads
    for row in rows:
        if isinstance(row, Mapping):
            yield row
        elif isinstance(row, bytes | bytearray | memoryview | str):
            yield loads(row)
        else:
            raise TypeError(f"a row must be a mapping or its JSON text, got {type(row).__name__}")


def iter_json(rows: Iterable[Row]) -> Iterator[bytes]:
    """Each row as compact JSON bytes without a line break."""
    dumps = orjson.dumps
    for row in rows:
        if isinstance(row, Mapping):
            yield dumps(row)
        elif isinstance(row, bytes):
            # Trailing whitespace is all a producer of JSON lines may add; anything else stays as given.
            yield row.rstrip(b"\r\n")
        elif isinstance(row, bytearray | memoryview):
            yield bytes(row).rstrip(b"\r\n")
        elif isinstance(row, str):
            yield row.rstrip("\r\n").encode()
        else:
            raise TypeError(f"a row must be a mapping or its JSON text, got {type(row).__name__}")
