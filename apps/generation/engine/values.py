"""Column values as typed numpy arrays, and their JSON-ready form.

A Col holds one column for a run of rows: `values` is typed by `kind` (int: int64, float: float64,
bool: bool, str: object array of str, date: datetime64[D], datetime: datetime64[s] in UTC, time: int64
seconds since midnight, json: object array of JSON-ready values) and `nulls` marks null rows.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np

KIND_DTYPES = {
    "int": np.dtype(np.int64), "float": np.dtype(np.float64), "bool": np.dtype(bool), "str": np.dtype(object),
    "date": np.dtype("datetime64[D]"), "datetime": np.dtype("datetime64[s]"), "time": np.dtype(np.int64),
    "json": np.dtype(object),
}
_EPOCH_SECONDS = np.datetime64("1970-01-01T00:00:00", "s")


@dataclass
class Col:
    kind: str
    values: np.ndarray
    nulls: np.ndarray | None = None
    timezone: str = "UTC"

    def __len__(self) -> int:
        return len(self.values)

    def take(self, positions: np.ndarray) -> Col:
        nulls = None if self.nulls is None else self.nulls[positions]
        return Col(self.kind, self.values[positions], nulls, self.timezone)

    def slice(self, start: int, stop: int) -> Col:
        nulls = None if self.nulls is None else self.nulls[start:stop]
        return Col(self.kind, self.values[start:stop], nulls, self.timezone)

    def null_mask(self) -> np.ndarray:
        return np.zeros(len(self.values), dtype=bool) if self.nulls is None else self.nulls

    def with_nulls(self, mask: np.ndarray | None) -> Col:
        if mask is None or not mask.any():
            return self
        nulls = mask if self.nulls is None else (self.nulls | mask)
        return Col(self.kind, self.values, nulls, self.timezone)

    def where(self, mask: np.ndarray, other: Col) -> Col:
        """Rows of `other` where mask is set, of self elsewhere."""
        values = np.where(mask, other.values, self.values)
        if values.dtype != self.values.dtype:
            values = values.astype(self.values.dtype)
        nulls = None
        if self.nulls is not None or other.nulls is not None:
            nulls = np.where(mask, other.null_mask(), self.null_mask())
        return Col(self.kind, values, nulls, self.timezone)


def empty(kind: str, size: int, timezone: str = "UTC") -> Col:
    """A column of `size` nulls."""
    dtype = KIND_DTYPES.get(kind, np.dtype(object))
    values = np.full(size, None, dtype=object) if dtype.kind == "O" else np.zeros(size, dtype=dtype)
    return Col(kind, values, np.ones(size, dtype=bool), timezone)


def concat(cols: list[Col]) -> Col:
    first = cols[0]
    if len(cols) == 1:
        return first
    values = np.concatenate([c.values for c in cols])
    nulls = None
    if any(c.nulls is not None for c in cols):
        nulls = np.concatenate([c.null_mask() for c in cols])
    return Col(first.kind, values, nulls, first.timezone)


def gather(kind: str, size: int, parts: list[tuple[np.ndarray, Col]], timezone: str = "UTC") -> Col:
    """A column of `size` rows assembled from (positions, values) parts; rows in no part are null."""
    dtype = parts[0][1].values.dtype if parts else KIND_DTYPES.get(kind, np.dtype(object))
    values = np.full(size, None, dtype=object) if dtype.kind == "O" else np.zeros(size, dtype=dtype)
    nulls = np.ones(size, dtype=bool)
    for positions, part in parts:
        values[positions] = part.values
        nulls[positions] = part.null_mask()
    return Col(kind, values, nulls if nulls.any() else None, timezone)


# ----------------------------------------------------------------------------- JSON-ready lists
def to_pylist(col: Col) -> list:
    """JSON-ready Python values (SCHEMA_DSL "Values"), None for nulls."""
    kind = col.kind
    values = col.values
    if kind in ("int", "float", "bool", "str", "json"):
        out = values.tolist()
    elif kind == "date":
        out = format_dates(values)
    elif kind == "datetime":
        out = format_datetimes(values, col.timezone)
    elif kind == "time":
        out = format_times(values)
    else:
        raise ValueError(f"unknown value kind {kind!r}")
    if col.nulls is not None:
        for i in np.flatnonzero(col.nulls).tolist():
            out[i] = None
    return out


# Strings of every day from 1900 to 2100 and of every second of a day, made once per process: formatting a
# date or a time is then an array lookup instead of a numpy-to-string conversion per value.
_TABLE_FIRST_DAY = np.datetime64("1900-01-01", "D").astype(np.int64)
_TABLE_DAYS = int(np.datetime64("2101-01-01", "D").astype(np.int64) - _TABLE_FIRST_DAY)


@cache
def _day_strings() -> np.ndarray:
    days = np.arange(_TABLE_FIRST_DAY, _TABLE_FIRST_DAY + _TABLE_DAYS).astype("datetime64[D]")
    return days.astype("U10").astype(object)


@cache
def _clock_strings(start: int, suffix: str) -> np.ndarray:
    """Every second of a day as text: from `start` in `1970-01-01THH:MM:SS`, followed by `suffix`."""
    stamps = (_EPOCH_SECONDS + np.arange(86400).astype("timedelta64[s]")).astype("U19")
    return np.strings.add(np.strings.slice(stamps, start, 19), suffix).astype(object)


def _table_offsets(days: np.ndarray) -> np.ndarray | None:
    """Offsets of the days in the day table, or None when some day falls outside it."""
    offsets = days - _TABLE_FIRST_DAY
    if len(offsets) and (offsets.min() < 0 or offsets.max() >= _TABLE_DAYS):
        return None
    return offsets


def format_dates(values: np.ndarray) -> list:
    offsets = _table_offsets(values.astype("datetime64[D]").astype(np.int64))
    if offsets is None:
        return values.astype("U10").tolist()
    return _day_strings()[offsets].tolist()


def format_datetimes(values: np.ndarray, timezone: str) -> list:
    if timezone.upper() == "UTC":
        days, clock = np.divmod(values.astype("datetime64[s]").astype(np.int64), 86400)
        offsets = _table_offsets(days)
        if offsets is None:
            return np.datetime_as_string(values, unit="s", timezone="UTC").tolist()
        return (_day_strings()[offsets] + _clock_strings(10, "Z")[clock]).tolist()
    zone = ZoneInfo(timezone)
    seconds = values.astype(np.int64).tolist()
    utc = dt.UTC
    return [dt.datetime.fromtimestamp(s, utc).astimezone(zone).isoformat() for s in seconds]


def format_times(seconds: np.ndarray) -> list:
    return _clock_strings(11, "")[seconds % 86400].tolist()


def json_ready(value: object) -> object:
    """A JSON-ready form of a Python value returned by a Faker provider."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((json_ready(v) for v in value), key=repr)
    return str(value)


def column_from_python(kind: str, items: list) -> Col:
    """A Col of the given kind from Python values (as returned by Faker row by row)."""
    if kind == "str":
        return Col("str", _object_array([v if isinstance(v, str) else str(v) for v in items]))
    if kind in ("int", "bool"):
        return Col(kind, np.array(items, dtype=KIND_DTYPES[kind]))
    if kind == "float":
        return Col("float", np.array([float(v) for v in items], dtype=np.float64))
    if kind == "date":
        return Col("date", np.array([v.isoformat() for v in items], dtype="datetime64[D]"))
    if kind == "datetime":
        stamps = [(v.astimezone(dt.UTC).replace(tzinfo=None) if v.tzinfo else v).isoformat() for v in items]
        return Col("datetime", np.array(stamps, dtype="datetime64[s]"))
    if kind == "time":
        return Col("time", np.array([v.hour * 3600 + v.minute * 60 + v.second for v in items], dtype=np.int64))
    return Col("json", _object_array([json_ready(v) for v in items]))


def _object_array(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def object_array(items) -> np.ndarray:
    """An object array holding exactly these items (lists stay elements, not a second dimension)."""
    if isinstance(items, np.ndarray) and items.dtype == object and items.ndim == 1:
        return items
    return _object_array(list(items))
