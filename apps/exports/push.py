"""Pushing a version into a target PostgreSQL database: tables from the DDL, rows with COPY, upserts.

Everything happens in one transaction on the target, so a failed or refused push leaves the target as it
was. A push writes only into tables SynthHub created: a missing table is created from the postgresql DDL
(parents first) and marked as SynthHub's (target_tables); a marked table is written into again; a table
that exists without the mark is refused before anything is written. Each table's rows are copied into a
temporary table and then inserted with `ON CONFLICT (primary key) DO UPDATE`, so pushing the same version
again updates rows in place instead of duplicating them. A table without a primary key cannot be matched
row by row: its rows are replaced. Rows removed from the version since an earlier push stay in the target
(deleting them could break foreign keys of the target's own rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

import orjson
import psycopg
from psycopg import sql

from .selectors import record_rows
from .target_tables import TableState, mark_managed, refuse_unmanaged
from .targets import connect
from .writers import table_schema
from .writers.columns import DATE, DATETIME, INTEGER, STRING, TIME, UUID, Column, TableSchema
from .writers.rows import iter_dicts
from .writers.sql_writer import create_table


class PlatformReadFailed(Exception):
    """Reading the version's records from the platform failed (not the target); the cause says why."""


def push_version(*, target, version, doc: Mapping, tables: list[str]) -> dict[str, int]:
    """Rows written (inserted or updated) per table; `tables` are in dependency order."""
    with connect(target) as connection:
        return push_rows(connection, doc=doc, tables=tables,
                         rows_of=lambda table: _platform_rows(record_rows(version_id=version.pk, table=table)))


def push_trust_service(*, target, version, mapping: Mapping) -> dict[str, int]:
    """The trust-service mapping's tables (apps/documents/trust_push.py), rows upserted per table."""
    from apps.documents.trust_push import push_trust_service as push_mapped

    def values(table: str, column: str) -> Iterator:
        for row in iter_dicts(_platform_rows(record_rows(version_id=version.pk, table=table))):
            yield row.get(column) if isinstance(row, Mapping) else None

    with connect(target) as connection:
        return push_mapped(connection, mapping, values)


def _platform_rows(rows: Iterable) -> Iterator:
    """The platform's rows, with a failure to read them told apart from the target's errors; closing this
    closes the reader (and its COPY) too."""
    iterator = iter(rows)
    try:
        while True:
            try:
                row = next(iterator)
            except StopIteration:
                return
            except Exception as exc:
                raise PlatformReadFailed from exc
            yield row
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def push_rows(connection: psycopg.Connection, *, doc: Mapping, tables: list[str],
              rows_of: Callable[[str], Iterable]) -> dict[str, int]:
    counts: dict[str, int] = {}
    referable = set(tables)
    with connection.transaction():
        states = refuse_unmanaged(connection, tables)
        for table in tables:
            if states[table] is TableState.MISSING:
                connection.execute(create_table(table_schema(doc, table), "postgresql", referable=referable))
                mark_managed(connection, table, note="created by a SynthHub push")
        for index, table in enumerate(tables):
            # Closed here, on success or failure: a platform read left suspended mid-COPY would hold its
            # connection until garbage collection, and the failure's own write would wait on it for ever.
            with _closed_after(rows_of(table)) as rows:
                counts[table] = _upsert(connection, table_schema(doc, table), rows, f"synthhub_stage_{index}")
    return counts


@contextmanager
def _closed_after(rows: Iterable):
    try:
        yield rows
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _upsert(connection: psycopg.Connection, schema: TableSchema, rows: Iterable, stage_name: str) -> int:
    table, stage = sql.Identifier(schema.name), sql.Identifier(stage_name)
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in schema.names)
    connection.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
        stage, table))
    converters = [(column.name, _converter(column)) for column in schema.columns]
    with connection.cursor() as cursor:
        with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, columns)) as copy:
            for row in iter_dicts(rows):
                copy.write_row([None if (value := row.get(name)) is None else convert(value)
                                for name, convert in converters])
        key = schema.primary_key
        if key is None:
            cursor.execute(sql.SQL("DELETE FROM {}").format(table))
            conflict = sql.SQL("")
        else:
            others = [name for name in schema.names if name != key]
            action = (sql.SQL("DO UPDATE SET ") + sql.SQL(", ").join(
                sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(name), sql.Identifier(name)) for name in others)
            ) if others else sql.SQL("DO NOTHING")
            conflict = sql.SQL(" ON CONFLICT ({}) ").format(sql.Identifier(key)) + action
        # Row order matters only for self-references, which foreign keys check at the end of the statement.
        cursor.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(table, columns, columns, stage)
                       + conflict)
        written = cursor.rowcount
        cursor.execute(sql.SQL("DROP TABLE {}").format(stage))
    return written


def _json_text(value) -> str:
    return orjson.dumps(value).decode()


def _converter(column: Column) -> Callable[[object], object]:
    """A JSON-ready value -> what COPY's text format takes for the column's PostgreSQL type."""
    kind = column.type.kind
    if column.type.is_nested:
        return _json_text
    if kind == INTEGER:
        return lambda value: int(value) if isinstance(value, float) and value.is_integer() else value
    if kind in (STRING, UUID, DATE, DATETIME, TIME):
        # A text column can hold non-text values (a choice mixing strings and numbers): their JSON form.
        return lambda value: value if isinstance(value, str) else _json_text(value)
    return lambda value: value  # floats and booleans: psycopg writes them as PostgreSQL reads them
