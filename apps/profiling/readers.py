"""Reading a sample file (CSV, JSON Lines, Parquet) in bounded chunks, refusing whatever is not one table.

Every upload is read in full before anything is stored: it is checked (type, size, UTF-8, shape) and copied,
chunk by chunk, into a Parquet file in a temporary directory. Only when the whole file passed does the service
move that copy into storage, so a refused file leaves nothing behind. CSV and JSON Lines columns are kept as
text (the profiler decides their types over the whole file, not from the first block); Parquet keeps its
own types.

Messages never quote the file's content: they name a line, a column position or a limit.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# Bounds of a sample table: at least two columns (a one-column table has no structure to learn and is
# usually a mis-parsed file), at most 500 (the engine's limit of columns a table).
MIN_COLUMNS = 2
MAX_COLUMNS = 500
MAX_COLUMN_NAME = 63
CHUNK_ROWS = 65_536
CSV_BLOCK_BYTES = 4 << 20
MAX_LINE_BYTES = 1 << 20  # a JSON line (a record) or the CSV header
FORMATS = ("csv", "jsonl", "parquet")
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class SampleRejected(Exception):
    """The file is not a sample SynthHub takes; the message is the platform's own (no content quoted)."""

    def __init__(self, message: str, *, path: str = "file"):
        super().__init__(message)
        self.path = path


@dataclass
class ReadResult:
    format: str
    columns: list[str]
    row_count: int = 0
    size_bytes: int = 0
    column_types: dict[str, str] = field(default_factory=dict)


def format_of(filename: str, declared: str | None = None) -> str:
    """The format named by `declared` or else by the file name's extension; refused when neither says."""
    if declared:
        if declared not in FORMATS:
            raise SampleRejected(f"must be one of {', '.join(FORMATS)}", path="format")
        return declared
    extension = os.path.splitext(filename or "")[1].lower()
    if extension not in EXTENSIONS:
        raise SampleRejected("is not a CSV (.csv), JSON Lines (.jsonl, .ndjson) or Parquet (.parquet) file")
    return EXTENSIONS[extension]


def table_name_problem(name: str) -> str | None:
    if not isinstance(name, str) or not _NAME.match(name):
        return "must be a letter or underscore followed by letters, digits or underscores (at most 63)"
    return None


def _check_columns(names: list[str]) -> list[str]:
    if len(names) < MIN_COLUMNS:
        raise SampleRejected(f"has {len(names)} column(s); a sample table needs at least {MIN_COLUMNS}")
    if len(names) > MAX_COLUMNS:
        raise SampleRejected(f"has {len(names)} columns; a sample table takes at most {MAX_COLUMNS}")
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name or not name.strip():
            raise SampleRejected(f"column {position} has no name")
        if len(name) > MAX_COLUMN_NAME:
            raise SampleRejected(f"column {position}'s name is longer than {MAX_COLUMN_NAME} characters")
        if "\x00" in name:
            raise SampleRejected(f"column {position}'s name holds a NUL character")
        if name in seen:
            raise SampleRejected(f"column {position} repeats the name of an earlier column")
        seen.add(name)
    return names


def check_utf8(handle: BinaryIO, *, quotes: bool = False) -> None:
    """Decode the whole file as UTF-8 in blocks (an incremental decoder: a character split between blocks is
    fine); NUL characters are refused too (PostgreSQL stores no NUL in text). With `quotes` (CSV), the double
    quotes must pair up: an odd count is a quoted field never closed, which Arrow would read to the end of
    the file as one value."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    quote_count = 0
    handle.seek(0)
    while block := handle.read(CSV_BLOCK_BYTES):
        quote_count += block.count(b'"')
        try:
            text = decoder.decode(block)
        except UnicodeDecodeError as exc:
            raise SampleRejected(f"is not UTF-8 text (byte {offset + exc.start} is not valid UTF-8)") from None
        if "\x00" in text:
            raise SampleRejected("holds a NUL character, which is not text")
        offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise SampleRejected("is not UTF-8 text (it ends inside a character)") from None
    if quotes and quote_count % 2:
        raise SampleRejected("is a broken CSV file: a quoted field is never closed")
    handle.seek(0)


def _csv_header(handle: BinaryIO) -> list[str]:
    head = handle.read(MAX_LINE_BYTES).decode("utf-8", errors="replace")
    handle.seek(0)
    if not head.strip():
        raise SampleRejected("is empty")
    first_line = head.lstrip("\ufeff").splitlines()[0] if head.lstrip("\ufeff").splitlines() else ""
    try:
        names = next(csv.reader(io.StringIO(first_line)))
    except (csv.Error, StopIteration):
        raise SampleRejected("has no readable CSV header on its first line") from None
    return _check_columns([name.strip() for name in names])


def _csv_batches(handle: BinaryIO) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    names = _csv_header(handle)
    schema = {name: pa.string() for name in names}
    try:
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True,
                                                 quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
        _broken_csv(0, exc)

    def batches() -> Iterator[pa.RecordBatch]:
        rows = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
                yield _broken_csv(rows, exc)
                return
            rows += batch.num_rows
            yield batch

    return names, batches()


def _broken_csv(rows_before: int, exc: Exception):
    # Arrow's text quotes the offending row: say where it is without it.
    text = str(exc)
    if "Expected" in text and "columns" in text:
        raise SampleRejected(f"is a broken CSV file: a row after data row {rows_before} has a different number "
                             "of fields than the header")
    raise SampleRejected(f"is a broken CSV file (after data row {rows_before})")


def _jsonl_batches(handle: BinaryIO) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    lines = _jsonl_records(handle)
    try:
        first_number, first = next(lines)
    except StopIteration:
        raise SampleRejected("is empty") from None
    names = _check_columns([str(key) for key in first])
    schema = pa.schema([(name, pa.string()) for name in names])
    known = set(names)

    def batches() -> Iterator[pa.RecordBatch]:
        columns: list[list] = [[] for _ in names]
        for number, record in _chain(((first_number, first),), lines):
            extra = set(record) - known
            if extra:
                raise SampleRejected(f"line {number} has fields that the first record does not have")
            for position, name in enumerate(names):
                columns[position].append(_as_text(record.get(name)))
            if len(columns[0]) >= CHUNK_ROWS:
                yield pa.RecordBatch.from_arrays([pa.array(c, pa.string()) for c in columns], schema=schema)
                columns = [[] for _ in names]
        if columns[0]:
            yield pa.RecordBatch.from_arrays([pa.array(c, pa.string()) for c in columns], schema=schema)

    return names, batches()


def _chain(*iterables):
    for iterable in iterables:
        yield from iterable


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return orjson.dumps(value).decode()


def _jsonl_records(handle: BinaryIO) -> Iterator[tuple[int, dict]]:
    handle.seek(0)
    for number, raw in enumerate(handle, start=1):
        if len(raw) > MAX_LINE_BYTES:
            raise SampleRejected(f"line {number} is longer than {MAX_LINE_BYTES} bytes")
        line = raw.strip()
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line:
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise SampleRejected(f"line {number} is not a JSON value") from None
        if not isinstance(record, dict):
            raise SampleRejected(f"line {number} is not a JSON object (one record a line)")
        yield number, record


_PARQUET_TYPES = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_string,
                  pa.types.is_large_string, pa.types.is_date, pa.types.is_timestamp, pa.types.is_decimal)


def _parquet_batches(handle: BinaryIO) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    handle.seek(0)
    head = handle.read(4)
    handle.seek(-4, os.SEEK_END) if _size(handle) >= 8 else None
    tail = handle.read(4)
    handle.seek(0)
    if head != b"PAR1" or tail != b"PAR1":
        raise SampleRejected("is not a Parquet file")
    try:
        parquet = pq.ParquetFile(handle)
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError, ValueError):
        raise SampleRejected("is not a readable Parquet file") from None
    names = _check_columns(list(schema.names))
    for position, item in enumerate(schema, start=1):
        if not any(check(item.type) for check in _PARQUET_TYPES):
            raise SampleRejected(f"column {position} has a nested or binary type ({item.type}); samples take "
                                 "numbers, booleans, text, dates and timestamps")

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in parquet.iter_batches(batch_size=CHUNK_ROWS):
                yield batch.cast(_storable(batch.schema))
        except (pa.ArrowException, OSError, ValueError):
            raise SampleRejected("is a broken Parquet file") from None

    return names, batches()


def _storable(schema: pa.Schema) -> pa.Schema:
    """Decimals become floats, large strings strings: what the profiler reads."""
    fields = []
    for item in schema:
        kind = item.type
        if pa.types.is_decimal(kind):
            kind = pa.float64()
        elif pa.types.is_large_string(kind):
            kind = pa.string()
        fields.append(pa.field(item.name, kind))
    return pa.schema(fields)


def _size(handle: BinaryIO) -> int:
    position = handle.tell()
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(position)
    return size


def convert_to_parquet(handle: BinaryIO, fmt: str, out_path: str, *, max_bytes: int) -> ReadResult:
    """Check the whole file and copy it to Parquet at `out_path`; SampleRejected for anything wrong (the
    caller removes `out_path` then)."""
    size = _size(handle)
    if size == 0:
        raise SampleRejected("is empty")
    if size > max_bytes:
        raise SampleRejected(f"is {size} bytes; a sample file may have at most {max_bytes} bytes "
                             "(SYNTHHUB_SAMPLE_MAX_BYTES)")
    if fmt in ("csv", "jsonl"):
        check_utf8(handle, quotes=fmt == "csv")
    if fmt == "csv":
        names, batches = _csv_batches(handle)
    elif fmt == "jsonl":
        names, batches = _jsonl_batches(handle)
    else:
        names, batches = _parquet_batches(handle)
    result = ReadResult(format=fmt, columns=names, size_bytes=size)
    writer = None
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            if writer is None:
                writer = pq.ParquetWriter(out_path, batch.schema, compression="zstd")
                result.column_types = {item.name: str(item.type) for item in batch.schema}
            writer.write_batch(batch)
            result.row_count += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    if result.row_count == 0:
        raise SampleRejected("has a header but no rows")
    return result


def iter_stored(path_or_handle, *, columns: list[str] | None = None,
                batch_rows: int = CHUNK_ROWS) -> Iterator[pa.RecordBatch]:
    """The record batches of a stored sample (always Parquet), `batch_rows` at a time."""
    parquet = pq.ParquetFile(path_or_handle)
    yield from parquet.iter_batches(batch_size=batch_rows, columns=columns)
