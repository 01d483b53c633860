"""Tenant-scoped reads of exports, targets and pushes, and the streaming read of a version's records."""

from collections.abc import Iterator

from django.db import connection

from apps.datasets.models import Record

_RECORDS = Record._meta.db_table
_FETCH_ROWS = 2_000
# The table name is our model's; every value is a parameter. Ordered by the unique
# (version, table_name, row_index) index, so the scan needs no sort.
_SELECT_ROWS = (
    f"SELECT data FROM {_RECORDS} WHERE version_id = %s AND table_name = %s AND deleted_at IS NULL "  # noqa: S608
    "ORDER BY row_index"
)


def record_rows(*, version_id: int, table: str) -> Iterator[bytes]:
    """The live records of one table, in row order, each as its JSON text; memory stays flat.

    PostgreSQL streams them with COPY TO (no result set is built on either side); SQLite steps a cursor.
    Callers must have checked the caller's access to the version: this read takes ids, not a user.
    """
    if connection.vendor == "postgresql":
        yield from _copy_rows(version_id, table)
        return
    with connection.cursor() as cursor:
        cursor.execute(_SELECT_ROWS, [version_id, table])
        while batch := cursor.fetchmany(_FETCH_ROWS):
            for (data,) in batch:
                yield data.encode() if isinstance(data, str) else data


def indexed_record_rows(*, version_id: int, table: str) -> Iterator[tuple[int, dict]]:
    """(row index, record) of the live records of one table, in row order, read in batches (the pki export
    names its files by row index). Like record_rows, it takes ids: callers have checked the access."""
    records = (Record.objects.filter(version_id=version_id, table_name=table).order_by("row_index")
               .values_list("row_index", "data"))
    for index, data in records.iterator(chunk_size=_FETCH_ROWS):
        yield index, data if isinstance(data, dict) else {}


def _copy_rows(version_id: int, table: str) -> Iterator[bytes]:
    from psycopg import sql

    connection.ensure_connection()
    raw = connection.connection  # the psycopg connection under Django's wrapper
    # COPY takes no server-side parameters: the values go in as quoted literals.
    query = sql.SQL(
        "COPY (SELECT data FROM {} WHERE version_id = {} AND table_name = {} AND deleted_at IS NULL "
        "ORDER BY row_index) TO STDOUT"
    ).format(sql.Identifier(_RECORDS), sql.Literal(int(version_id)), sql.Literal(str(table)))
    with raw.cursor() as cursor, cursor.copy(query) as copy:
        for line in copy:
            # COPY's text format doubles backslashes and escapes control characters; JSONB's text form
            # has no raw control characters, so undoubling backslashes restores the JSON exactly.
            data = bytes(line).rstrip(b"\n")
            yield data.replace(b"\\\\", b"\\") if b"\\" in data else data
