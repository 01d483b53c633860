"""The type of each sample column, decided over the whole column, and the conversion of text to that type.

CSV and JSON Lines columns arrive as text. A column is an integer, a float, a boolean, a date or a datetime
when every non-null value of it reads as one (checked chunk by chunk, vectorised); anything else stays text.
Integers with a leading zero (`007`, postcodes, codes) stay text: they are identifiers, not numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

KINDS = ("int", "float", "bool", "date", "datetime", "string")
_CANDIDATES = ("int", "float", "bool", "date", "datetime")
_INT = r"^[-+]?(0|[1-9][0-9]{0,17})$"
_FLOAT = r"^[-+]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?$"
_BOOL = r"^(?i)(true|false)$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
_PATTERNS = {"int": _INT, "float": _FLOAT, "bool": _BOOL, "date": _DATE, "datetime": _DATETIME}
TIMESTAMP = pa.timestamp("us", tz="UTC")


def kind_of_arrow(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind):
        return "int"
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "float"
    if pa.types.is_boolean(kind):
        return "bool"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_timestamp(kind):
        return "datetime"
    return "string"


def _text_candidates(array: pa.Array, candidates: set[str]) -> set[str]:
    values = array.drop_null() if array.null_count else array
    if len(values) == 0:
        return candidates
    kept = set()
    for kind in candidates:
        if not pc.all(pc.match_substring_regex(values, _PATTERNS[kind])).as_py():
            continue
        if kind in ("date", "datetime") and _convert_text(values, kind) is None:
            continue
        kept.add(kind)
    return kept


def column_types_of(batches: Iterable[pa.RecordBatch]) -> dict[str, str]:
    """The kind of every column over all the batches (one pass)."""
    candidates: dict[str, set[str]] = {}
    native: dict[str, str] = {}
    seen_value: dict[str, bool] = {}
    for batch in batches:
        for name, array in zip(batch.schema.names, batch.columns, strict=True):
            if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
                native[name] = kind_of_arrow(array.type)
                continue
            current = candidates.setdefault(name, set(_CANDIDATES))
            if array.null_count < len(array):
                seen_value[name] = True
            if current:
                candidates[name] = _text_candidates(array, current)
    kinds = dict(native)
    for name, left in candidates.items():
        if not seen_value.get(name):
            kinds[name] = "string"
        else:
            kinds[name] = next((kind for kind in ("bool", "int", "float", "date", "datetime") if kind in left),
                               "string")
    return kinds


def _convert_text(array: pa.Array, kind: str) -> pa.Array | None:
    try:
        if kind == "int":
            return pc.cast(array, pa.int64())
        if kind == "float":
            return pc.cast(array, pa.float64())
        if kind == "bool":
            return pc.equal(pc.utf8_lower(array), "true")
        if kind == "date":
            return pc.cast(pc.strptime(array, format="%Y-%m-%d", unit="s", error_is_null=False), pa.date32())
        if kind == "datetime":
            return _parse_datetimes(array)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return array


def _parse_datetimes(array: pa.Array) -> pa.Array:
    """ISO datetimes with or without an offset (without: read as UTC), to timestamp[us, UTC]."""
    text = pc.replace_substring_regex(array, r"^([0-9-]{10}) ", r"\1T")
    has_zone = pc.match_substring_regex(text, r"(Z|[+-][0-9]{2}:?[0-9]{2})$")
    zoned = pc.if_else(has_zone, text, pc.binary_join_element_wise(text, "+00:00", ""))
    zoned = pc.replace_substring_regex(zoned, r"Z$", "+00:00")
    zoned = pc.replace_substring_regex(zoned, r"([+-][0-9]{2}):?([0-9]{2})$", r"\1\2")
    with_seconds = pc.replace_substring_regex(zoned, r"T([0-9]{2}:[0-9]{2})([+-])", r"T\1:00\2")
    fraction = pc.match_substring_regex(with_seconds, r"\.[0-9]+[+-]")
    plain = pc.strptime(pc.if_else(fraction, pc.replace_substring_regex(with_seconds, r"\.[0-9]+([+-])", r"\1"),
                                   with_seconds), format="%Y-%m-%dT%H:%M:%S%z", unit="us")
    micros = pc.if_else(fraction, pc.cast(pc.utf8_slice_codeunits(pc.binary_join_element_wise(
        pc.extract_regex(with_seconds, r"\.(?P<f>[0-9]+)[+-]").field("f"), "000000", ""), 0, 6), pa.int64()), 0)
    return pc.cast(pc.add(pc.cast(plain, pa.int64()), micros), TIMESTAMP)


def convert_array(array: pa.Array, kind: str) -> pa.Array:
    """`array` as `kind` (text columns are parsed, native ones cast); a value that does not read is null."""
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        if kind == "string":
            return array
        converted = _convert_text(array, kind)
        return converted if converted is not None else pa.nulls(len(array), _arrow_type(kind))
    if kind == "datetime" and pa.types.is_timestamp(array.type):
        return pc.cast(array if array.type.tz else pc.assume_timezone(array, "UTC"), TIMESTAMP)
    if kind == "float" and not pa.types.is_floating(array.type):
        return pc.cast(array, pa.float64())
    if kind == "int" and array.type != pa.int64():
        return pc.cast(array, pa.int64())
    return array


def _arrow_type(kind: str) -> pa.DataType:
    return {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "date": pa.date32(),
            "datetime": TIMESTAMP}.get(kind, pa.string())


def convert_batch(batch: pa.RecordBatch, kinds: dict[str, str]) -> pa.RecordBatch:
    arrays = [convert_array(array, kinds.get(name, "string"))
              for name, array in zip(batch.schema.names, batch.columns, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)
