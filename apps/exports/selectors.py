"""Tenant-scoped reads of exports, targets and pushes, and the streaming read of a version's records."""

from collections.abc import Iterator

from django.db import connection
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.datasets.models import Record
from apps.datasets.permissions import user_may
from apps.datasets.selectors import datasets_visible

from .models import Export, Push, TargetConnection

_RECORDS = Record._meta.db_table
_FETCH_ROWS = 2_000
# The table name is our model's; every value is a parameter. Ordered by the unique
# (version, table_name, row_index) index, so the scan needs no sort.
_SELECT_ROWS = (
    f"SELECT data FROM {_RECORDS} WHERE version_id = %s AND table_name = %s AND deleted_at IS NULL "  # noqa: S608
    "ORDER BY row_index"
)


def exports_visible(*, user, tenant, trash: bool = False):
    """Exports of the tenant on datasets the user may view: one query (the dataset scope is a subquery)."""
    manager = Export.all_objects if trash else Export.objects
    queryset = manager.filter(tenant=tenant, dataset__in=datasets_visible(user=user, tenant=tenant).values("pk"))
    queryset = queryset.trash() if trash else queryset
    return queryset.select_related("dataset", "version", "requested_by")


def export_for_action(*, user, tenant, pk, action: str = "view", trash: bool = False) -> Export:
    """The export if the user may view its dataset (else 404) and holds `action` on it (else 403)."""
    export = exports_visible(user=user, tenant=tenant, trash=trash).filter(pk=pk).first()
    if export is None:
        raise Http404
    if action != "view" and not user_may(user=user, dataset=export.dataset, action=action):
        raise PermissionDenied(f"You do not have the '{action}' permission on this export's dataset.")
    return export


def targets_of(*, tenant):
    return TargetConnection.objects.filter(tenant=tenant).select_related("created_by")


def target_of(*, tenant, pk) -> TargetConnection:
    target = targets_of(tenant=tenant).filter(pk=pk).first()
    if target is None:
        raise Http404
    return target


def pushes_visible(*, user, tenant):
    return Push.objects.filter(
        tenant=tenant, dataset__in=datasets_visible(user=user, tenant=tenant).values("pk")
    ).select_related("target", "dataset", "version", "requested_by")


def push_of(*, user, tenant, pk) -> Push:
    push = pushes_visible(user=user, tenant=tenant).filter(pk=pk).first()
    if push is None:
        raise Http404
    return push


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
