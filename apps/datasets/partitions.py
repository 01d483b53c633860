"""PostgreSQL only: each version's records are a partition of the records table (LIST on version_id).

A version is the unit its records are written, read and removed in, so it gets a table of its own:

- removing a version's rows is a DROP TABLE of its partition, a catalog change that takes milliseconds
  whatever the row count, not a DELETE that writes a dead tuple and WAL for each of millions of rows;
- once a version is loaded, its partition gets a GIN index on `data` (jsonb_path_ops, which serves the
  `@>` containment the records filters use for equality) and its own statistics (ANALYZE). Building the
  index after the load keeps COPY at its speed: a GIN index maintained row by row would slow it several
  times over;
- a query names one version, so the planner prunes to that partition and uses its statistics.

Locks, which decide when these run:

- a partition is made with CREATE TABLE and then ATTACH PARTITION, which takes only SHARE UPDATE EXCLUSIVE
  on the parent (CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE and stop every read);
- DROP TABLE of a partition takes ACCESS EXCLUSIVE on the parent, so it waits for every open transaction
  that touched the records table and every new query queues behind it. It therefore runs in a short
  transaction of its own with a lock timeout (SYNTHHUB_RECORDS_PARTITION_LOCK_TIMEOUT_MS); when the timeout
  strikes, the partition stays until `partitions_sweep` (run by the scheduled purge) drops it.

SQLite keeps one plain table (the embedded default holds small data); nothing here runs there.
"""

import logging
import re
import time

from django.conf import settings
from django.db import OperationalError, connection, transaction

from .models import Record

logger = logging.getLogger(__name__)

PARENT = Record._meta.db_table
_NAME = re.compile(rf"^{PARENT}_v([0-9]+)$")


def partition_name(version_id: int) -> str:
    # Built from an integer only: safe to place in SQL text (DDL takes no parameters).
    return f"{PARENT}_v{int(version_id)}"


def gin_index_name(version_id: int) -> str:
    return f"{partition_name(version_id)}_data"


def _set_local(cursor, setting: str, value: str) -> str:
    """Set a parameter for the rest of this transaction; returns the value it had, to put back when the
    transaction is a savepoint of a longer one."""
    cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [setting, setting, value])
    return cursor.fetchone()[0]


def _exists(cursor, name: str) -> bool:
    # A query on pg_class reads with this statement's snapshot, so it sees a partition another transaction
    # has just committed; to_regclass reads the catalog cache, which taking an advisory lock does not refresh.
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = %s "
                   "AND relnamespace = current_schema()::regnamespace)", [name])
    return cursor.fetchone()[0]


def partition_ensure(cursor, version_id: int) -> str:
    """The version's partition, made now if missing; runs in the caller's transaction (a writer's chunk),
    so a rolled-back first chunk leaves no partition behind. Returns its name."""
    name = partition_name(version_id)
    if _exists(cursor, name):
        return name
    # Two first chunks of one version meet here; the second waits, then finds the partition made.
    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"records-partition:{version_id}"])
    if not _exists(cursor, name):
        cursor.execute(f'CREATE TABLE "{name}" (LIKE "{PARENT}" INCLUDING DEFAULTS)')
        cursor.execute(f'ALTER TABLE "{PARENT}" ATTACH PARTITION "{name}" FOR VALUES IN ({int(version_id)})')
    return name


def partition_drop(version_id: int) -> bool:
    """Drop the version's partition (all its records at once). False when the lock timeout struck; the
    partition then stays for `partitions_sweep`."""
    name = partition_name(version_id)
    timeout_ms = int(settings.SYNTHHUB_RECORDS_PARTITION_LOCK_TIMEOUT_MS)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if not _exists(cursor, name):
                return True
            previous = _set_local(cursor, "lock_timeout", f"{timeout_ms}ms")
            cursor.execute(f'DROP TABLE "{name}"')
            _set_local(cursor, "lock_timeout", previous)
    except OperationalError as exc:  # lock_not_available: readers or writers held the records table
        logger.warning("records of version %s not dropped yet (%s); the scheduled purge retries",
                       version_id, type(exc.__cause__ or exc).__name__)
        return False
    return True


def partition_optimize(version_id: int) -> float:
    """Index `data` and gather statistics for a loaded version; returns the seconds it took (0 if the
    version has no partition, i.e. no rows)."""
    name = partition_name(version_id)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if not _exists(cursor, name):
            return 0.0
        memory_mb = int(settings.SYNTHHUB_RECORDS_INDEX_MEMORY_MB)
        previous = _set_local(cursor, "maintenance_work_mem", f"{memory_mb}MB")
        cursor.execute(f'CREATE INDEX IF NOT EXISTS "{gin_index_name(version_id)}" ON "{name}" '
                       "USING gin (data jsonb_path_ops)")
        cursor.execute(f'ANALYZE "{name}"')
        _set_local(cursor, "maintenance_work_mem", previous)
    return time.perf_counter() - started


def partition_versions() -> dict[int, bool]:
    """Every version that has a partition: {version_id: whether its GIN index exists}."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, to_regclass(c.relname || '_data') IS NOT NULL FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass", [PARENT])
        found = {}
        for relname, indexed in cursor.fetchall():
            match = _NAME.match(relname)
            if match:
                found[int(match.group(1))] = indexed
        return found
