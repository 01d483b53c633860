"""Writing engine output as records: COPY on PostgreSQL, batched inserts on SQLite.

Writing a chunk replaces whatever rows that chunk's range held, in one transaction, so a chunk that
runs twice (in turn or at once) leaves exactly its rows.

Rows arrive as an iterable of batches of JSON rows. On PostgreSQL each batch is handed to a queued COPY
writer whose thread sends it while the next batch is generated, so the server parses JSONB on the other
core while this process makes rows.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from psycopg.copy import QueuedLibpqWriter

from .models import Record

_TABLE = Record._meta.db_table
_SQLITE_BATCH = 5000
# The table name is our model's, never user input; every value goes through parameters.
_DELETE_RANGE = (
    f"DELETE FROM {_TABLE} WHERE version_id = %s AND table_name = %s AND row_index >= %s AND row_index < %s"  # noqa: S608
)
_INSERT = f"INSERT INTO {_TABLE} (version_id, table_name, row_index, data) VALUES (%s, %s, %s, %s)"  # noqa: S608
_COPY = f"COPY {_TABLE} (version_id, table_name, row_index, data) FROM STDIN"


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
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _lock_range(cursor, version_id, table, start)
        cursor.execute(_DELETE_RANGE, [version_id, table, start, stop])
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(_COPY, writer=QueuedLibpqWriter(raw)) as copy:
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
