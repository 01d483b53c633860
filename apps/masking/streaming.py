"""Streaming mode: a source database masked straight into a target database, table by table, nothing stored.

For databases too large to keep as records. Each table is read with `COPY (SELECT ...) TO STDOUT` in CSV,
cut into blocks at row boundaries, parsed by pyarrow, masked (only the columns whose rule is not `keep`
are turned into Python values; kept columns pass through as Arrow arrays), written back as CSV and sent
with `COPY ... FROM STDIN` to the target. Tables go in dependency order (keys before the tables that
reference them), so unique keys that a collision moved are followed by their foreign keys in the same run.

The target keeps every rule of pushes (docs/exports.md): the host allow-list, never the platform's own
database, and only tables SynthHub created (marked managed): a missing table is created (the source's
column types, no constraints) and marked; a managed one is emptied first; any other is refused before a
byte is written. The source connection is read-only.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg import sql

from apps.exports import target_tables, targets

from . import sources
from .engine import MaskingRules, MaskingRun

BLOCK_BYTES = 4 * 1024 * 1024


@dataclass
class StreamResult:
    rows: dict[str, int]


def _blocks(copy, block_bytes: int) -> Iterator[bytes]:
    """CSV bytes cut at row ends: a newline counts only outside quotes (an even number of quotes before it).

    COPY TO sends one message per row: pieces are gathered in a list and joined once per block."""
    pieces: list[bytes] = []
    size = 0
    carry = b""
    for data in copy:
        pieces.append(bytes(data))
        size += len(data)
        if size < block_bytes:
            continue
        buffer = carry + b"".join(pieces)
        pieces, size = [], 0
        cut = len(buffer)
        while True:
            cut = buffer.rfind(b"\n", 0, cut)
            if cut < 0 or buffer.count(b'"', 0, cut) % 2 == 0:
                break
        if cut < 0:
            carry = buffer
            continue
        yield buffer[:cut + 1]
        carry = buffer[cut + 1:]
    buffer = carry + b"".join(pieces)
    if buffer:
        yield buffer


def _parse(block: bytes, columns: list[str]) -> pa.Table:
    return pa_csv.read_csv(
        io.BytesIO(block),
        read_options=pa_csv.ReadOptions(column_names=columns, use_threads=True, block_size=1 << 22),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(column_types={c: pa.string() for c in columns},
                                              strings_can_be_null=True, quoted_strings_can_be_null=False),
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return sink.getvalue()


def _as_text_array(values: list) -> pa.Array:
    """Masked values as an Arrow string array: Arrow infers and casts in C (ints, dates, floats, booleans);
    only a column of mixed kinds goes value by value."""
    try:
        array = pa.array(values)
        return array if pa.types.is_string(array.type) else pc.cast(array, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pa.array([_text(v) for v in values], type=pa.string())


_ARROW_NUMBERS = {"integer": pa.int64(), "float": pa.float64()}


def _python_values(column: pa.ChunkedArray, column_type: str) -> list:
    """A column's values for the masker: numbers parsed by Arrow in C when they all parse, else the text."""
    if column_type in _ARROW_NUMBERS:
        try:
            return pc.cast(column, _ARROW_NUMBERS[column_type]).to_numpy(zero_copy_only=False).tolist() \
                if column.null_count == 0 else pc.cast(column, _ARROW_NUMBERS[column_type]).to_pylist()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # the masker names the row that is not a number
    return column.to_numpy(zero_copy_only=False).tolist()


def mask_table_block(masker, table: pa.Table, masked_columns: list[str], inputs: list[str]) -> pa.Table:
    """Mask the non-kept columns of one parsed block; kept columns stay the Arrow arrays they were."""
    if not masked_columns:
        return table
    out = masker.mask({name: _python_values(table.column(name), masker.columns[name].type) for name in inputs})
    for name in masked_columns:
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, _as_text_array(out[name]))
    return table


def _prepare_target(connection, table: str, column_types: list[tuple[str, str]]) -> None:
    state = target_tables.table_state(connection, table)
    if state is target_tables.TableState.FOREIGN:
        raise target_tables.UnmanagedTable(table)
    if state is target_tables.TableState.MANAGED:
        connection.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))
        return
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))  # format_type() of the source's catalog
        for name, kind in column_types)
    connection.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), definition))
    target_tables.mark_managed(connection, table, note="masked")


def stream_mask(*, source_target, destination_target, rules: MaskingRules, key: bytes, tables: list[str],
                block_bytes: int = BLOCK_BYTES, progress: Callable[[str, int], None] | None = None) -> StreamResult:
    """Mask `tables` of the source into the destination. The destination's writes happen in one transaction:
    a failure leaves the destination as it was."""
    source = sources.open_source(source_target)
    try:
        with source.transaction():
            described = sources.describe(source, tables)
            types = {t: sources.table_columns(source, t) for t in tables}
        rules.check_source({t: info["columns"] for t, info in described.items()})
        order = [t for t in rules.table_order() if t in described] + [t for t in tables if t not in rules.tables]
        destination = targets.connect(destination_target)
        try:
            run = MaskingRun(rules, key)
            counts: dict[str, int] = {}
            with destination.transaction(), source.transaction():
                target_tables.refuse_unmanaged(destination, order)
                for table in order:
                    counts[table] = _stream_table(run, source, destination, table, described[table], types[table],
                                                  block_bytes, progress)
            return StreamResult(rows=counts)
        finally:
            destination.close()
    finally:
        source.close()


def _stream_table(run: MaskingRun, source, destination, table: str, info: dict, column_types, block_bytes: int,
                  progress) -> int:
    columns = info["columns"]
    effective = run.rules.effective(table, columns)
    masked = [c for c, rule in effective.items() if rule.rule != "keep"]
    entities = {rule.options.get("entity") for rule in effective.values() if rule.rule == "shift_date"}
    inputs = [c for c in columns if c in masked or c in entities]
    masker = run.table(table, inputs)
    _prepare_target(destination, table, column_types)
    select = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, columns)),
                     sql.Identifier(table))
    if info["primary_key"]:
        select += sql.SQL(" ORDER BY {}").format(sql.SQL(", ").join(map(sql.Identifier, info["primary_key"])))
    copy_in = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    rows = 0
    with source.cursor().copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(select)) as copy_out, \
            destination.cursor().copy(copy_in) as writer:
        for block in _blocks(copy_out, block_bytes):
            parsed = _parse(block, columns)
            writer.write(_csv(mask_table_block(masker, parsed, masked, inputs)))
            rows += parsed.num_rows
            del parsed
            # Arrow's allocator keeps freed blocks for reuse; handing them back keeps the peak flat over a table.
            pa.default_memory_pool().release_unused()
            if progress is not None:
                progress(table, rows)
    return rows
