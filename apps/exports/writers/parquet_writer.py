"""Apache Parquet, typed from the table schema and written one row group at a time.

Arrow types: integer int64, float float64, boolean bool, string and uuid string, date date32,
datetime timestamp[us, tz=UTC], time time64[us], array list<item>, object struct<fields>.

Rows arrive in their JSON-ready form (dates and datetimes as ISO text). Most columns are converted
in bulk: Arrow builds them with text in place of dates and datetimes and then casts, which parses
the ISO text in native code. Values that do not fit that route (a datetime without a UTC offset,
a number in a text column, times, which Arrow cannot cast from text) are converted one by one.
Only `row_group_size` rows are held in memory at a time.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from itertools import islice
from typing import BinaryIO

import orjson
import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

from .columns import (
    ARRAY,
    BOOLEAN,
    DATE,
    DATETIME,
    FLOAT,
    INTEGER,
    OBJECT,
    STRING,
    TIME,
    UUID,
    Field,
    LogicalType,
    TableSchema,
)
from .rows import Row, iter_dicts
from .streams import ForwardingWriter

DEFAULT_ROW_GROUP_SIZE = 50_000
_ARROW_SCALARS = {
    INTEGER: pa.int64(), FLOAT: pa.float64(), BOOLEAN: pa.bool_(), STRING: pa.string(), UUID: pa.string(),
    DATE: pa.date32(), DATETIME: pa.timestamp("us", tz="UTC"), TIME: pa.time64("us"),
}
_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError,
                      OverflowError)


def arrow_type(logical: LogicalType) -> pa.DataType:
    if logical.kind == ARRAY:
        return pa.list_(pa.field("item", arrow_type(logical.item.type), nullable=logical.item.nullable))
    if logical.kind == OBJECT:
        return pa.struct([pa.field(f.name, arrow_type(f.type), nullable=f.nullable) for f in logical.fields])
    return _ARROW_SCALARS[logical.kind]


def arrow_schema(schema: TableSchema) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c.type), nullable=c.nullable) for c in schema.columns])


def write_parquet(stream: BinaryIO, schema: TableSchema, rows: Iterable[Row], *,
                  row_group_size: int = DEFAULT_ROW_GROUP_SIZE, compression: str = "snappy") -> int:
    """Write the rows as one Parquet file in row groups of `row_group_size`; returns the number of rows."""
    if row_group_size < 1:
        raise ValueError("row_group_size must be at least 1")
    target_schema = arrow_schema(schema)
    plans = [_ColumnPlan(column.name, column.type, column.nullable) for column in schema.columns]
    # Rows given as JSON lines are parsed by Arrow's JSON reader, straight into columns, with the
    # text-for-temporal types; Python dicts are only made when that reader refuses a batch.
    json_schema = pa.schema([pa.field(plan.name, plan.wire) for plan in plans])
    sink = ForwardingWriter(stream)
    count = 0
    with pq.ParquetWriter(sink, target_schema, compression=compression) as writer:
        source = iter(rows)
        while batch := list(islice(source, row_group_size)):
            arrays = None
            if all(type(row) is bytes for row in batch):
                arrays = _arrays_from_json_lines(batch, plans, json_schema)
            if arrays is None:
                dicts = list(iter_dicts(batch))
                arrays = [plan.build([row.get(plan.name) for row in dicts]) for plan in plans]
            writer.write_table(pa.Table.from_arrays(arrays, schema=target_schema), row_group_size=len(batch))
            count += len(batch)
    sink.flush()
    return count


def _arrays_from_json_lines(lines: list[bytes], plans: list[_ColumnPlan], json_schema: pa.Schema) -> list | None:
    data = b"\n".join(line.rstrip(b"\r\n") for line in lines)
    try:
        parsed = pj.read_json(
            io.BytesIO(data),
            # One block for the whole batch, so no row is too long for the reader.
            read_options=pj.ReadOptions(use_threads=False, block_size=len(data) + 1),
            parse_options=pj.ParseOptions(explicit_schema=json_schema, unexpected_field_behavior="ignore"),
        )
        if parsed.num_rows != len(lines):
            return None
        return [plan.from_wire(parsed.column(plan.name).combine_chunks()) for plan in plans]
    except (*_CONVERSION_ERRORS, KeyError):
        return None


class _ColumnPlan:
    """How one column's JSON-ready values become an Arrow array of its final type."""

    def __init__(self, name: str, logical: LogicalType, nullable: bool):
        self.name = name
        self.nullable = nullable
        self.target = arrow_type(logical)
        # The bulk route builds the array with ISO text for dates, datetimes and times, then casts;
        # Arrow cannot cast text to time, so columns holding times take the one-by-one route.
        self.wire = arrow_type(_with_text_for_temporal(logical))
        self.bulk = not logical.contains(TIME)
        self.convert = _converter(logical)

    def build(self, values: list) -> pa.Array:
        """The column from its JSON-ready values."""
        array = None
        if self.bulk:
            try:
                array = self._cast(pa.array(values, type=self.wire))
            except _CONVERSION_ERRORS:
                array = None
        if array is None:
            convert = self.convert
            try:
                array = pa.array([None if v is None else convert(v) for v in values], type=self.target)
            except _CONVERSION_ERRORS as exc:
                raise ValueError(f"column {self.name!r}: values do not fit type {self.target}: {exc}") from exc
        return self._checked(array)

    def from_wire(self, array: pa.Array) -> pa.Array:
        """The column from an array of the wire type (raises a conversion error when it does not fit)."""
        if not self.bulk:
            return self.build(array.to_pylist())
        return self._checked(self._cast(array))

    def _cast(self, array: pa.Array) -> pa.Array:
        return array if self.wire == self.target else array.cast(self.target)

    def _checked(self, array: pa.Array) -> pa.Array:
        if not self.nullable and array.null_count:
            raise ValueError(f"column {self.name!r} is declared non-null but {array.null_count} values are null")
        return array


def _with_text_for_temporal(logical: LogicalType) -> LogicalType:
    if logical.kind in (DATE, DATETIME, TIME):
        return LogicalType(STRING)
    if logical.kind == ARRAY:
        item = logical.item
        return LogicalType(ARRAY, item=Field(item.name, _with_text_for_temporal(item.type), item.nullable))
    if logical.kind == OBJECT:
        return LogicalType(OBJECT, fields=tuple(Field(f.name, _with_text_for_temporal(f.type), f.nullable)
                                                for f in logical.fields))
    return logical


# ----------------------------------------------------------------------------- one-by-one conversion
def _converter(logical: LogicalType) -> Callable[[object], object]:
    """A function from one non-null JSON-ready value to what pyarrow accepts for the final type."""
    kind = logical.kind
    if kind == ARRAY:
        item = _converter(logical.item.type)
        return lambda value: [None if v is None else item(v) for v in value]
    if kind == OBJECT:
        fields = [(field.name, _converter(field.type)) for field in logical.fields]
        return lambda value: {name: (None if value.get(name) is None else convert(value[name]))
                              for name, convert in fields}
    return _SCALAR_CONVERTERS[kind]


def _to_text(value: object) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


@functools.lru_cache(maxsize=65_536)
def _parse_date(text: str) -> date:
    return date.fromisoformat(text)


def _to_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else _parse_date(value)


def _to_datetime(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    # A datetime without an offset is taken as UTC, the schema language's default timezone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@functools.lru_cache(maxsize=65_536)
def _parse_time(text: str) -> time:
    return time.fromisoformat(text)


def _to_time(value: object) -> time:
    moment = value if isinstance(value, time) else _parse_time(value)
    # time64 has no timezone; times are wall-clock times of the column's timezone.
    return moment.replace(tzinfo=None)


def _unchanged(value: object) -> object:
    # Booleans and uuids are used as given: pyarrow rejects values of the wrong kind, and guessing
    # (bool("false") is True) would corrupt data silently.
    return value


def _to_int(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_SCALAR_CONVERTERS: dict[str, Callable[[object], object]] = {
    INTEGER: _to_int, FLOAT: float, BOOLEAN: _unchanged, STRING: _to_text, UUID: _unchanged,
    DATE: _to_date, DATETIME: _to_datetime, TIME: _to_time,
}
