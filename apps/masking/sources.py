"""Reading a source database (a tenant's target connection) read-only, table by table, in chunks.

The connection goes through `apps.exports.targets.connect` (host allow-list, never the platform's own
database) and is then made read-only for the session, so nothing masking does can write into a source.
Rows come from a server-side cursor in primary-key order when the table has one (the same source then
masks to the same output, unique collisions included); without one, in the order PostgreSQL returns them.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
from psycopg import sql

from apps.exports import targets


class SourceProblem(Exception):
    """The source cannot be read as asked; `path` says which request field."""

    def __init__(self, message: str, path: str = "source"):
        super().__init__(message)
        self.path = path


def open_source(target) -> psycopg.Connection:
    try:
        connection = targets.connect(target)
    except targets.TargetNotAllowed as exc:
        raise SourceProblem(str(exc), "source.target") from None
    except (targets.TargetNameUnresolved, targets.TargetUnreachable):
        raise SourceProblem("the source database does not answer", "source.target") from None
    connection.read_only = True
    connection.autocommit = False
    return connection


def table_exists(connection: psycopg.Connection, table: str) -> bool:
    row = connection.execute("SELECT to_regclass(%s)", [sql.Identifier(table).as_string(connection)]).fetchone()
    return row is not None and row[0] is not None


def table_columns(connection: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    """(name, type) of each column, in table order."""
    return connection.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
        "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        [sql.Identifier(table).as_string(connection)],
    ).fetchall()


def primary_key(connection: psycopg.Connection, table: str) -> list[str]:
    rows = connection.execute(
        "SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = to_regclass(%s) AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
        [sql.Identifier(table).as_string(connection)],
    ).fetchall()
    return [row[0] for row in rows]


def row_count(connection: psycopg.Connection, table: str) -> int:
    return connection.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]


# Rows counted exactly when a job starts, at most; a bigger table is estimated from pg_class.reltuples (what
# ANALYZE last saw), and its chunk counts it exactly in the snapshot it reads.
ROW_COUNT_BOUND = 1_000_000


def row_estimate(connection: psycopg.Connection, table: str, bound: int = ROW_COUNT_BOUND) -> int:
    """The table's rows: counted when there are at most `bound`, else the larger of `bound` and reltuples."""
    counted = connection.execute(
        sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT %s) AS bounded").format(sql.Identifier(table)),
        [bound + 1]).fetchone()[0]
    if counted <= bound:
        return counted
    reltuples = connection.execute("SELECT reltuples::bigint FROM pg_catalog.pg_class WHERE oid = to_regclass(%s)",
                                   [sql.Identifier(table).as_string(connection)]).fetchone()
    return max(counted, int(reltuples[0] or 0) if reltuples else 0)


def describe(connection: psycopg.Connection, tables: list[str]) -> dict[str, dict]:
    """Columns, primary key and rows (estimated beyond ROW_COUNT_BOUND) of each table; a missing table is a
    SourceProblem under its index."""
    out = {}
    for index, table in enumerate(tables):
        if not table_exists(connection, table):
            raise SourceProblem(f"the source has no table {table!r}", f"source.tables.{index}")
        out[table] = {"columns": [name for name, _ in table_columns(connection, table)],
                      "types": dict(table_columns(connection, table)),
                      "primary_key": primary_key(connection, table), "rows": row_estimate(connection, table)}
    return out


def read_chunks(connection: psycopg.Connection, table: str, columns: list[str], order: list[str],
                chunk_rows: int) -> Iterator[dict[str, list]]:
    """Column-wise chunks of the table, read through a server-side cursor (flat memory)."""
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table))
    if order:
        query += sql.SQL(" ORDER BY {}").format(sql.SQL(", ").join(map(sql.Identifier, order)))
    with connection.cursor(name=f"masking_{table[:40]}") as cursor:
        cursor.itersize = chunk_rows
        cursor.execute(query)
        while True:
            rows = cursor.fetchmany(chunk_rows)
            if not rows:
                break
            yield {name: list(values) for name, values in zip(columns, zip(*rows, strict=True), strict=True)}
