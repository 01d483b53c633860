"""CSV built by PostgreSQL: the server makes each line, Python only moves blocks of bytes to the file.

The Python writer (writers.csv_writer) decodes every record and formats every cell; on PostgreSQL the same
cells can be made by the query that reads the records: `jsonb_to_record` takes a record's columns out in
one pass and `COPY ... TO STDOUT WITH (FORMAT csv)` quotes them. The output keeps the writer's contract:
RFC 4180 with CRLF line ends and a header row, text cells that a spreadsheet would run neutralised with a
leading quote (text columns only), booleans `true`/`false`, null as an empty cell, numbers and dates as
stored. Two differences of form, not of value: arrays and objects are JSONB's text (`["a", "b"]`, with
spaces), and an empty string is written `""`, unlike null.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import BinaryIO

from django.db import connection
from psycopg import sql

from apps.datasets.models import Record

from .writers.columns import STRING, TableSchema
from .writers.csv_writer import FORMULA_TRIGGERS, write_csv

_LINES_PER_WRITE = 2_000


class StoredRows:
    """The live records of one table of a version, in row order.

    Iterating gives each record's JSON (what every writer takes); `write_csv_table` recognises it and
    lets PostgreSQL build the lines instead.
    """

    def __init__(self, version_id: int, table: str, rows: Iterable[bytes]):
        self.version_id = version_id
        self.table = table
        self._rows = rows

    def __iter__(self):
        return iter(self._rows)


def write_csv_table(stream: BinaryIO, schema: TableSchema, rows: Iterable, *, neutralise_formulas: bool = True) -> int:
    """writers.write_csv, with the lines built by PostgreSQL when the rows are stored records there."""
    if isinstance(rows, StoredRows) and connection.vendor == "postgresql":
        return _copy_csv(stream, schema, rows, neutralise_formulas)
    return write_csv(stream, schema, rows, neutralise_formulas=neutralise_formulas)


def _cell(column, neutralise: bool) -> sql.Composable:
    """One column of jsonb_to_record (as text), neutralised when it is text a spreadsheet would run."""
    value = sql.SQL("r.{}").format(sql.Identifier(column.name))
    if column.type.kind != STRING or column.type.is_nested or not neutralise:
        return value
    codes = sql.SQL(", ").join(sql.Literal(ord(c)) for c in FORMULA_TRIGGERS)
    return sql.SQL("CASE WHEN ascii({v}) IN ({codes}) THEN '''' || {v} ELSE {v} END").format(v=value, codes=codes)


def _copy_csv(stream: BinaryIO, schema: TableSchema, rows: StoredRows, neutralise: bool) -> int:
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(schema.names)
    stream.write(header.getvalue().encode())
    cells = sql.SQL(", ").join(_cell(column, neutralise) for column in schema.columns)
    fields = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(name)) for name in schema.names)
    query = sql.SQL(
        "COPY (SELECT {cells} FROM {records} AS d, LATERAL jsonb_to_record(d.data) AS r({fields}) "
        "WHERE d.version_id = {version} AND d.table_name = {table} AND d.deleted_at IS NULL "
        "ORDER BY d.row_index) TO STDOUT WITH (FORMAT csv)"
    ).format(cells=cells, records=sql.Identifier(Record._meta.db_table), fields=fields,
             version=sql.Literal(int(rows.version_id)), table=sql.Literal(rows.table))
    connection.ensure_connection()
    count = 0
    block: list = []
    with connection.connection.cursor() as cursor, cursor.copy(query) as copy:
        # COPY sends exactly one row per message, each ending in LF; line breaks inside quoted cells stay
        # as they are, only the row's own terminator becomes CRLF.
        for message in copy:
            block.append(message[:-1])
            if len(block) == _LINES_PER_WRITE:
                count += _flush(stream, block)
        count += _flush(stream, block)
    return count


def _flush(stream: BinaryIO, block: list) -> int:
    if not block:
        return 0
    block.append(b"")
    stream.write(b"\r\n".join(block))
    written = len(block) - 1
    block.clear()
    return written
