"""One function per rule: the non-null values of a column in, their masks out (same order, same length).

Every function takes the function key of its column (`keyed.sub_key(masking key, column.function_tag())`),
so nothing here knows a column's name or table.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Sequence

import numpy as np

from . import fake, formats, keyed, text
from .rules import ColumnRule


def hash_values(values: Sequence[object], key: bytes, column: ColumnRule) -> list:
    length, fmt, prefix = column.options["length"], column.options["format"], column.options["prefix"]
    hashes = keyed.hmac_digests(key, values)
    if fmt == "hex":
        return [prefix + row.tobytes().hex()[:length] for row in hashes]
    if fmt == "base32":
        return [prefix + base64.b32encode(row.tobytes()).decode().lower()[:length] for row in hashes]
    numbers = keyed.as_uint64(hashes, 0) % np.uint64(10 ** min(length, 18))
    if column.type == "integer":
        return numbers.astype(np.int64).tolist()
    return [prefix + f"{number:0{length}d}"[:length] for number in numbers.tolist()]


def format_preserving(values: Sequence[object], key: bytes, column: ColumnRule) -> list:
    if column.type == "integer":
        return formats.permute_integers(np.array(values, dtype=np.int64), key).tolist()
    return formats.mask_strings([str(v) for v in values], key, column.options["format"],
                                column.options["keep_prefix"])


def fake_values(values: Sequence[object], key: bytes, column: ColumnRule) -> list:
    return fake.fake_values(values, key, column.options["provider"], column.locale)


def redact_text(values: Sequence[object], key: bytes, column: ColumnRule) -> list:
    return text.redact([str(v) for v in values], key, column.options["kinds"])


def _days(values: Sequence[object], column_type: str) -> tuple[np.ndarray, list]:
    """Dates as day numbers (and the time of day of datetimes, kept as is)."""
    unit = "datetime64[us]" if column_type == "datetime" else "datetime64[D]"
    parsed = [
        datetime.datetime.fromisoformat(v) if isinstance(v, str) and column_type == "datetime"
        else datetime.date.fromisoformat(v) if isinstance(v, str) else v
        for v in values
    ]
    return np.array([p.replace(tzinfo=None) if isinstance(p, datetime.datetime) else p for p in parsed],
                    dtype=unit), parsed


def _back(array: np.ndarray, parsed: list, column_type: str) -> list:
    out = array.tolist()
    if column_type == "datetime":
        return [o.replace(tzinfo=p.tzinfo) if isinstance(p, datetime.datetime) else o
                for o, p in zip(out, parsed, strict=True)]
    return out


def shift_dates(values: Sequence[object], key: bytes, column: ColumnRule, entities: Sequence[object]) -> list:
    """Every date of one entity moves by the same keyed, non-zero number of days within ± days."""
    days = column.options["days"]
    numbers = keyed.as_uint64(keyed.digests(key, entities), 0) % np.uint64(2 * days)
    shift = numbers.astype(np.int64) - days
    shift = np.where(shift >= 0, shift + 1, shift)  # -days..-1 and 1..days: a real date never survives
    array, parsed = _days(values, column.type)
    unit = "us" if column.type == "datetime" else "D"
    moved = array + (shift * (86_400_000_000 if unit == "us" else 1)).astype(f"timedelta64[{unit}]")
    return _back(moved, parsed, column.type)


def generalise(values: Sequence[object], key: bytes, column: ColumnRule) -> list:
    if column.type in ("integer", "float"):
        width = column.options["bin"]
        array = np.array(values, dtype=np.int64 if column.type == "integer" else np.float64)
        return (np.floor_divide(array, width) * width).tolist()
    array, parsed = _days(values, column.type)
    unit = "M" if column.options["to"] == "month" else "Y"
    start = array.astype(f"datetime64[{unit}]").astype("datetime64[D]")
    if column.type == "datetime":
        return _back(start.astype("datetime64[us]"), parsed, column.type)
    return start.tolist()


FUNCTIONS = {
    "hash": hash_values,
    "format_preserving": format_preserving,
    "fake": fake_values,
    "redact_text": redact_text,
    "generalise": generalise,
}
