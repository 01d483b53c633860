"""Tables in a target database that SynthHub created: the mark that says so, and the check before a write.

A push creates the tables it needs and marks each with a table comment; it writes only into tables that
carry the mark. A table that exists without it belongs to someone else (the target's application, or a
platform-like schema) and is never written into. Whatever else maps data onto tables in a target uses the
same check (`refuse_unmanaged`), before its first write, in the transaction that writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

import psycopg
from psycopg import sql

MANAGED_MARK = "synthhub:managed"


class TableState(Enum):
    MISSING = "missing"
    MANAGED = "managed"
    FOREIGN = "foreign"


class UnmanagedTable(Exception):
    """A table exists in the target and SynthHub did not create it. The message names it (platform text)."""

    def __init__(self, table: str):
        super().__init__(f"table '{table}' already exists in the target and was not created by SynthHub; "
                         "pushes write only into tables they created")
        self.table = table


def table_state(connection: psycopg.Connection, table: str) -> TableState:
    """What the unqualified name `table` resolves to on this connection's search path, as a later
    unqualified INSERT would resolve it."""
    row = connection.execute(
        "SELECT c.relkind, obj_description(c.oid, 'pg_class') FROM pg_catalog.pg_class c "
        "WHERE c.oid = to_regclass(%s)",
        [sql.Identifier(table).as_string(connection)],
    ).fetchone()
    if row is None:
        return TableState.MISSING
    relkind, comment = row
    if relkind in ("r", "p") and (comment or "").startswith(MANAGED_MARK):
        return TableState.MANAGED
    return TableState.FOREIGN


def refuse_unmanaged(connection: psycopg.Connection, tables: Iterable[str]) -> dict[str, TableState]:
    """The state of each table; raises UnmanagedTable for the first one that exists without the mark."""
    states = {}
    for table in tables:
        states[table] = table_state(connection, table)
        if states[table] is TableState.FOREIGN:
            raise UnmanagedTable(table)
    return states


def mark_managed(connection: psycopg.Connection, table: str, *, note: str = "") -> None:
    """Mark a table this connection's transaction has just created as SynthHub's."""
    comment = f"{MANAGED_MARK} {note}".strip()
    connection.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(sql.Identifier(table), sql.Literal(comment)))
