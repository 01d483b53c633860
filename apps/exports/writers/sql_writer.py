"""SQL scripts for PostgreSQL, MySQL/MariaDB and SQLite: CREATE TABLE statements, then multi-row INSERTs.

Tables are created and filled parents first, so foreign keys hold at every statement; a table that
references itself gets a foreign key to itself, and its rows are inserted in row order, which is valid
because a self-reference always points at an earlier row.

Column types per logical type:

| logical  | postgresql       | mysql                                  | sqlite  |
| -------- | ---------------- | -------------------------------------- | ------- |
| integer  | BIGINT           | BIGINT                                 | INTEGER |
| float    | DOUBLE PRECISION | DOUBLE                                 | REAL    |
| boolean  | BOOLEAN          | BOOLEAN                                | BOOLEAN (0/1) |
| string   | TEXT             | LONGTEXT; VARCHAR(255) for key columns | TEXT    |
| uuid     | UUID             | CHAR(36)                               | TEXT    |
| date     | DATE             | DATE                                   | TEXT (ISO) |
| datetime | TIMESTAMPTZ      | DATETIME(6), in UTC                    | TEXT (ISO, `Z`) |
| time     | TIME             | TIME(6)                                | TEXT    |
| array, object | JSONB       | JSON                                   | TEXT (JSON) |

MySQL cannot index unbounded text, hence VARCHAR(255) for primary and foreign keys. String literals
use backslash escapes there, so the script turns off NO_BACKSLASH_ESCAPES for its session.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime
from typing import BinaryIO

import orjson

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
    Column,
    TableSchema,
    table_order,
    table_schema,
)
from .rows import Row, iter_dicts
from .streams import TextBuffer

DIALECTS = ("postgresql", "mysql", "sqlite")
DEFAULT_ROWS_PER_STATEMENT = 500
# Keeps one INSERT well below MySQL's default max_allowed_packet (16 MiB in MariaDB, 64 MiB in MySQL 8).
DEFAULT_MAX_STATEMENT_CHARS = 1_000_000


class _Dialect:
    name = ""
    types: Mapping[str, str] = {}
    true, false = "TRUE", "FALSE"
    table_options = ""
    header: tuple[str, ...] = ()
    begin = "BEGIN;"

    def identifier(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def column_type(self, column: Column) -> str:
        kind = column.type.kind
        return self.types[OBJECT if kind == ARRAY else kind]

    def string(self, text: str) -> str:
        if "\x00" in text:
            raise ValueError(f"{self.name} text cannot hold a NUL character: {text[:40]!r}")
        return "'" + text.replace("'", "''") + "'"

    def datetime(self, text: str) -> str:
        return self.string(text)


class _PostgreSQL(_Dialect):
    name = "postgresql"
    types = {INTEGER: "BIGINT", FLOAT: "DOUBLE PRECISION", BOOLEAN: "BOOLEAN", STRING: "TEXT", UUID: "UUID",
             DATE: "DATE", DATETIME: "TIMESTAMPTZ", TIME: "TIME", OBJECT: "JSONB"}
    # With standard_conforming_strings a backslash in a literal is just a backslash.
    header = ("SET client_encoding = 'UTF8';", "SET standard_conforming_strings = on;")


class _MySQL(_Dialect):
    name = "mysql"
    types = {INTEGER: "BIGINT", FLOAT: "DOUBLE", BOOLEAN: "BOOLEAN", STRING: "LONGTEXT", UUID: "CHAR(36)",
             DATE: "DATE", DATETIME: "DATETIME(6)", TIME: "TIME(6)", OBJECT: "JSON"}
    table_options = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    header = ("SET NAMES utf8mb4;", "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');")
    begin = "START TRANSACTION;"
    _escapes = str.maketrans({"\\": "\\\\", "'": "\\'", "\x00": "\\0", "\n": "\\n", "\r": "\\r", "\x1a": "\\Z"})

    def identifier(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def column_type(self, column: Column) -> str:
        if column.type.kind == STRING and (column.primary_key or column.foreign_key is not None):
            return "VARCHAR(255)"
        return super().column_type(column)

    def string(self, text: str) -> str:
        return "'" + text.translate(self._escapes) + "'"

    def datetime(self, text: str) -> str:
        # DATETIME has no timezone and rejects ISO offsets: store the UTC wall-clock time.
        moment = datetime.fromisoformat(text)
        moment = moment if moment.tzinfo is None else moment.astimezone(UTC)
        return "'" + moment.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"


class _SQLite(_Dialect):
    name = "sqlite"
    types = {INTEGER: "INTEGER", FLOAT: "REAL", BOOLEAN: "BOOLEAN", STRING: "TEXT", UUID: "TEXT",
             DATE: "TEXT", DATETIME: "TEXT", TIME: "TEXT", OBJECT: "TEXT"}
    true, false = "1", "0"
    header = ("PRAGMA foreign_keys = ON;",)


_DIALECTS: dict[str, _Dialect] = {d.name: d for d in (_PostgreSQL(), _MySQL(), _SQLite())}


def _dialect(name: str) -> _Dialect:
    try:
        return _DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown SQL dialect {name!r} (expected one of {', '.join(DIALECTS)})") from None


# ----------------------------------------------------------------------------- DDL
def create_table(schema: TableSchema, dialect: str, *, referable: Collection[str] | None = None) -> str:
    """The CREATE TABLE statement of one table.

    Foreign keys are declared only towards tables in `referable` (all when None): a script holding
    some of a dataset's tables cannot point at a table it does not create. The column stays.
    """
    sql = _dialect(dialect)
    lines = []
    for column in schema.columns:
        not_null = "" if column.nullable else " NOT NULL"
        lines.append(f"    {sql.identifier(column.name)} {sql.column_type(column)}{not_null}")
    if schema.primary_key is not None:
        lines.append(f"    PRIMARY KEY ({sql.identifier(schema.primary_key)})")
    for column in schema.columns:
        key = column.foreign_key
        if key is not None and (referable is None or key.table in referable or key.table == schema.name):
            lines.append(f"    FOREIGN KEY ({sql.identifier(column.name)}) "
                         f"REFERENCES {sql.identifier(key.table)} ({sql.identifier(key.column)})")
    body = ",\n".join(lines)
    return f"CREATE TABLE {sql.identifier(schema.name)} (\n{body}\n){sql.table_options};\n"


def ddl(doc: Mapping, tables: Iterable[str], dialect: str, *, drop_existing: bool = False) -> str:
    """CREATE TABLE statements for `tables` of the normalised document, parents first.

    With `drop_existing`, DROP TABLE IF EXISTS statements come first, children before parents.
    """
    sql = _dialect(dialect)
    wanted = set(tables)
    unknown = wanted - set(doc["tables"])
    if unknown:
        raise KeyError(f"the document has no table {', '.join(sorted(unknown))}")
    ordered = [name for name in table_order(doc) if name in wanted]
    parts = []
    if drop_existing:
        parts.extend(f"DROP TABLE IF EXISTS {sql.identifier(name)};\n" for name in reversed(ordered))
    parts.extend(create_table(table_schema(doc, name), dialect, referable=wanted) for name in ordered)
    return "".join(parts)


# ----------------------------------------------------------------------------- data
def write_inserts(stream: BinaryIO, schema: TableSchema, rows: Iterable[Row], dialect: str, *,
                  rows_per_statement: int = DEFAULT_ROWS_PER_STATEMENT,
                  max_statement_chars: int = DEFAULT_MAX_STATEMENT_CHARS) -> int:
    """Write multi-row INSERT statements for the rows, in row order; returns the number of rows.

    A statement ends after `rows_per_statement` rows or once it passes `max_statement_chars`.
    """
    if rows_per_statement < 1:
        raise ValueError("rows_per_statement must be at least 1")
    out = TextBuffer(stream)
    count = _insert_rows(out, _dialect(dialect), schema, rows, rows_per_statement, max_statement_chars)
    out.flush()
    return count


def write_sql_script(
    stream: BinaryIO, doc: Mapping, tables_rows: Mapping[str, Iterable[Row]], dialect: str, *,
    drop_existing: bool = False, rows_per_statement: int = DEFAULT_ROWS_PER_STATEMENT,
) -> dict[str, int]:
    """A complete script: session settings, DDL for the tables in `tables_rows`, then their rows in one
    transaction, parents first. Returns the number of rows written per table."""
    sql = _dialect(dialect)
    out = TextBuffer(stream)
    out.write("-- Synthetic data: every value was generated, none describes a real person or entity.\n")
    for statement in sql.header:
        out.write(statement + "\n")
    out.write("\n" + ddl(doc, tables_rows, dialect, drop_existing=drop_existing))
    out.write("\n" + sql.begin + "\n")
    counts = {}
    for name in (name for name in table_order(doc) if name in tables_rows):
        counts[name] = _insert_rows(out, sql, table_schema(doc, name), tables_rows[name], rows_per_statement,
                                    DEFAULT_MAX_STATEMENT_CHARS)
    out.write("COMMIT;\n")
    out.flush()
    return counts


def _insert_rows(out: TextBuffer, sql: _Dialect, schema: TableSchema, rows: Iterable[Row],
                 rows_per_statement: int, max_chars: int) -> int:
    names = schema.names
    literals = [_literal_function(sql, column) for column in schema.columns]
    head = (f"INSERT INTO {sql.identifier(schema.name)} ("
            + ", ".join(sql.identifier(name) for name in names) + ") VALUES\n")
    pairs = list(zip(names, literals, strict=True))
    count = 0
    in_statement = 0
    size = 0
    for row in iter_dicts(rows):
        values = []
        for name, literal in pairs:
            value = row.get(name)
            values.append("NULL" if value is None else literal(value))
        line = "(" + ", ".join(values) + ")"
        if in_statement == 0:
            out.write(head)
        else:
            out.write(",\n")
        out.write(line)
        in_statement += 1
        size += len(line)
        count += 1
        if in_statement >= rows_per_statement or size >= max_chars:
            out.write(";\n")
            in_statement = size = 0
    if in_statement:
        out.write(";\n")
    return count


def _literal_function(sql: _Dialect, column: Column) -> Callable[[object], str]:
    """value -> SQL literal for one column (values are never null here)."""
    kind = column.type.kind
    where = f"column {column.name!r}"
    if kind == INTEGER:
        def integer(value):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{where}: {value!r} is not an integer")
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"{where}: {value!r} is not an integer")
            return str(int(value))
        return integer
    if kind == FLOAT:
        def number(value):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{where}: {value!r} is not a number")
            # JSON has no NaN or infinity and the JSON exports write null for them: so does SQL.
            return repr(value) if math.isfinite(value) else "NULL"
        return number
    if kind == BOOLEAN:
        def boolean(value):
            if not isinstance(value, bool):
                raise ValueError(f"{where}: {value!r} is not a boolean")
            return sql.true if value else sql.false
        return boolean
    if column.type.is_nested:
        return lambda value: sql.string(orjson.dumps(value).decode())
    if kind == DATETIME:
        return lambda value: sql.datetime(str(value))
    # Text, uuids, dates and times: their JSON-ready form is already the text the database parses.
    return lambda value: sql.string(value if isinstance(value, str) else orjson.dumps(value).decode())
