"""Writing engine output as records: COPY on PostgreSQL, batched inserts on SQLite.

Writing a chunk replaces whatever rows that chunk's range held, in one transaction, so a chunk that
runs twice (in turn or at once) leaves exactly its rows.

On PostgreSQL a version's records are one partition (partitions.py): the first chunk makes it, every chunk
writes straight into it (no routing through the parent), and removing the version drops it.

Rows arrive as an iterable of batches of JSON rows. On PostgreSQL each batch is handed to a queued COPY
writer whose thread sends it while the next batch is generated, so the server parses JSONB on the other
core while this process makes rows.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from psycopg.copy import QueuedLibpqWriter

from .models import Record
from .partitions import partition_drop, partition_ensure, partition_optimize

_TABLE = Record._meta.db_table
_SQLITE_BATCH = 5000
# Table names are our model's or built from an integer (the partition's), never user input; every value goes
# through parameters.
_DELETE_RANGE = (
    "DELETE FROM {table} WHERE version_id = %s AND table_name = %s AND row_index >= %s AND row_index < %s"
)
_INSERT = f"INSERT INTO {_TABLE} (version_id, table_name, row_index, data) VALUES (%s, %s, %s, %s)"  # noqa: S608
_COPY = "COPY {table} (version_id, table_name, row_index, data) FROM STDIN"


def _lock_range(cursor, version_id: int, table: str, start: int) -> None:
    # Two writers of the same chunk queue here instead of racing to the unique index.
    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"records:{version_id}:{table}:{start}"])


def copy_payload(version_id: int, table: str, start: int, json_rows: list[bytes]) -> bytes:
    """COPY text format, tab-separated. orjson writes no raw tabs or newlines, so only backslashes
    need doubling."""
    prefix = f"{version_id}\t{table}\t".encode()
    return b"".join(
        b"%s%d\t%s\n" % (prefix, start + offset, row.replace(b"\\", b"\\\\")) for offset, row in enumerate(json_rows)
    )


def records_write_chunk(*, version_id: int, table: str, start: int, stop: int,
                        batches: Iterable[list[bytes]]) -> int:
    """Replace rows [start, stop) of `table` in the version with the rows of `batches`, in order."""
    written = 0
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        target = _TABLE
        if postgresql:
            target = f'"{partition_ensure(cursor, version_id)}"'
            _lock_range(cursor, version_id, table, start)
        cursor.execute(_DELETE_RANGE.format(table=target), [version_id, table, start, stop])
        if postgresql:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(_COPY.format(table=target), writer=QueuedLibpqWriter(raw)) as copy:
                for json_rows in batches:
                    copy.write(copy_payload(version_id, table, start + written, json_rows))
                    written += len(json_rows)
        else:
            for json_rows in batches:
                for offset in range(0, len(json_rows), _SQLITE_BATCH):
                    part = json_rows[offset : offset + _SQLITE_BATCH]
                    first = start + written + offset
                    cursor.executemany(
                        _INSERT, [(version_id, table, first + i, row.decode()) for i, row in enumerate(part)]
                    )
                written += len(json_rows)
        if written != stop - start:  # inside the transaction: a short chunk is rolled back, never half kept
            raise ValueError(f"chunk {table}[{start}:{stop}] received {written} rows")
    return written


def records_prepare(*, version_id: int) -> None:
    """Make the version's partition now (PostgreSQL), committed on its own: ATTACH PARTITION holds its lock
    on the records table until the transaction that runs it ends."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            partition_ensure(cursor, version_id)


def records_purge(*, version_id: int) -> bool:
    """Remove every record of a version: its partition dropped on PostgreSQL, one DELETE on SQLite.
    False when PostgreSQL's lock timeout struck (the scheduled purge retries)."""
    if connection.vendor == "postgresql":
        return partition_drop(version_id)
    with transaction.atomic():
        Record.all_objects.filter(version_id=version_id)._raw_delete(connection.alias)
    return True


def records_optimize(*, version_id: int) -> float:
    """Make a loaded version fast to read: its GIN index on `data` and its statistics (PostgreSQL; SQLite
    needs neither for the small data it holds). Returns the seconds it took."""
    if connection.vendor == "postgresql":
        return partition_optimize(version_id)
    return 0.0
