"""Tenant- and permission-scoped reads of datasets, versions and records."""

import json

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.expressions import RawSQL
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.core.errors import Conflict
from apps.core.fields import loads
from apps.core.sql import IdPageStatements, PreparedIdPage, Statement, as_int64, convert, load

from .models import (
    Dataset,
    DatasetGroupObjectPermission,
    DatasetUserObjectPermission,
    DatasetVersion,
    Record,
    VersionStatus,
    codename,
)
from .permissions import allowed_filter, user_may


def _held(n) -> str:
    """SQL: the caller (parameters: user id, codename, user id, codename) holds the action on dataset `d`,
    directly or through one of their groups: what permissions.allowed_filter builds with the ORM."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user_groups = get_user_model().groups.through
    direct = DatasetUserObjectPermission
    grouped = DatasetGroupObjectPermission
    return (
        f"(EXISTS (SELECT 1 FROM {n.table(direct)} up INNER JOIN {n.table(Permission)} pu "  # noqa: S608
        f"ON pu.{n.quote('id')} = {n.column(direct, 'permission', 'up')} "
        f"WHERE {n.column(direct, 'content_object', 'up')} = d.{n.quote('id')} "
        f"AND {n.column(direct, 'user', 'up')} = %s AND {n.column(Permission, 'codename', 'pu')} = %s) "
        f"OR EXISTS (SELECT 1 FROM {n.table(grouped)} gp INNER JOIN {n.table(Permission)} pg "
        f"ON pg.{n.quote('id')} = {n.column(grouped, 'permission', 'gp')} "
        f"INNER JOIN {n.table(user_groups)} ug ON ug.{n.quote('group_id')} = {n.column(grouped, 'group', 'gp')} "
        f"WHERE {n.column(grouped, 'content_object', 'gp')} = d.{n.quote('id')} "
        f"AND ug.{n.quote('user_id')} = %s AND {n.column(Permission, 'codename', 'pg')} = %s))"
    )


# dataset_for_action on a live dataset (every nested route's parent): the dataset if the caller may view it,
# and whether they hold the action too, in one prepared statement.
_DATASET_FOR_ACTION = Statement(
    lambda n: (
        f"SELECT {n.columns(Dataset, 'd')}, {_held(n)} "  # noqa: S608 -- the models' own names
        f"FROM {n.table(Dataset)} d WHERE d.{n.quote('id')} = %s AND {n.column(Dataset, 'tenant', 'd')} = %s "
        f"AND {n.column(Dataset, 'deleted_at', 'd')} IS NULL AND {_held(n)}"
    )
)

# version_of a live version (records pages, version routes): by its dataset and number.
_VERSION_OF = Statement(
    lambda n: (
        f"SELECT {n.columns(DatasetVersion, 'v')} FROM {n.table(DatasetVersion)} v "  # noqa: S608 -- the models' own names
        f"WHERE {n.column(DatasetVersion, 'dataset', 'v')} = %s AND {n.column(DatasetVersion, 'tenant', 'v')} = %s "
        f"AND {n.column(DatasetVersion, 'number', 'v')} = %s AND {n.column(DatasetVersion, 'deleted_at', 'v')} IS NULL "
        f"ORDER BY v.{n.quote('id')} LIMIT 1"
    )
)


def datasets_visible(*, user, tenant, trash: bool = False):
    """Datasets of `tenant` the user may view: one query with indexed EXISTS subqueries, never a loop."""
    manager = Dataset.all_objects if trash else Dataset.objects
    queryset = manager.filter(tenant=tenant).filter(allowed_filter(user=user, action="view"))
    return queryset.trash() if trash else queryset


def _ids_allowed_statement(*, alive: bool) -> Statement:
    return Statement(
        lambda n: (
            f"SELECT d.{n.quote('id')} FROM {n.table(Dataset)} d "  # noqa: S608 -- the models' own names
            f"WHERE {n.column(Dataset, 'tenant', 'd')} = %s "
            + (f"AND {n.column(Dataset, 'deleted_at', 'd')} IS NULL " if alive else "")
            + f"AND {_held(n)}"
        )
    )


_IDS_ALLOWED = {alive: _ids_allowed_statement(alive=alive) for alive in (True, False)}


def dataset_ids_statement(*, alive: bool = True) -> Statement:
    """The statement of dataset_ids_allowed (parameters: tenant id, user id, codename, user id, codename), for
    prepared statements of lists that take it as their scope's subquery."""
    return _IDS_ALLOWED[alive]


def dataset_ids_allowed(*, user, tenant, action: str = "view", alive: bool = True) -> RawSQL:
    """The ids of the datasets of `tenant` (live ones, unless `alive` is False) on which the user holds
    `action`, as a subquery for `<path>__in=`: the rows of datasets_allowed (alive) or of Dataset.all_objects
    under allowed_filter (not alive), as prepared text, so a list's scope costs no queryset to build."""
    wanted = codename(action)
    # The text is the prepared statement's (the models' own names); the values are parameters.
    return RawSQL(  # noqa: S611
        _IDS_ALLOWED[alive].text(connection),
        [tenant.pk, user.pk, wanted, user.pk, wanted],
        output_field=Dataset._meta.pk,
    )


# What the dataset list reads (DatasetSerializer's fields, the creator's name rather than their row), as
# `.values(*DATASET_LIST_COLUMNS)` names them; the list's rows are apps.datasets.api.serializers.dataset_rows.
DATASET_LIST_COLUMNS = ("id", "name", "description", "template_name", "default_seed", "spec", "spec_hash",
                        f"created_by__{get_user_model().USERNAME_FIELD}", "created_at", "updated_at", "deleted_at")
_DATASET_OWN = tuple(name for name in DATASET_LIST_COLUMNS if "__" not in name)


def _dataset_list_from(n) -> str:
    user = get_user_model()
    own = ", ".join(n.column(Dataset, name, "o") for name in _DATASET_OWN[:7])
    times = ", ".join(n.column(Dataset, name, "o") for name in _DATASET_OWN[7:])
    return (
        f"SELECT {own}, {n.column(user, user.USERNAME_FIELD, 'u')}, {times} "  # noqa: S608 -- the models' own names
        f"FROM {n.table(Dataset)} o LEFT OUTER JOIN {n.table(user)} u "
        f"ON u.{n.quote(user._meta.pk.column)} = {n.column(Dataset, 'created_by', 'o')} "
        f"WHERE {n.column(Dataset, 'tenant', 'o')} = %s AND {n.column(Dataset, 'deleted_at', 'o')} IS NULL "
        f"AND o.{n.quote('id')} IN ({dataset_ids_statement(alive=False).text_of(n)})"
    )


_DATASET_LIST = IdPageStatements(_dataset_list_from, lambda n: f"o.{n.quote('id')}")


def _dataset_list_row(values) -> dict:
    row = convert(Dataset, _DATASET_OWN, values[:7] + values[8:])
    row[DATASET_LIST_COLUMNS[7]] = values[7]
    return {name: row[name] for name in DATASET_LIST_COLUMNS}


def dataset_list_page(*, user, tenant) -> PreparedIdPage:
    """The dataset list's rows with no filter, search or ordering asked for: the live datasets of `tenant` the
    user may view (the list's get_queryset(): tenant, live rows, dataset_ids_allowed), as dicts of
    DATASET_LIST_COLUMNS, read by the cursor paginator in id order with one prepared statement."""
    view = codename("view")
    return PreparedIdPage(model=Dataset, statements=_DATASET_LIST, row=_dataset_list_row,
                          params=[tenant.pk, tenant.pk, user.pk, view, user.pk, view])


def datasets_allowed(*, user, tenant, action: str = "view"):
    """Live datasets of `tenant` on which the user holds `action`: the subquery that scopes every row
    inheriting a dataset's permissions (versions, records, jobs, exports, pushes) and every dataset choice."""
    return Dataset.objects.filter(tenant=tenant).filter(allowed_filter(user=user, action=action))


def dataset_for_action(*, user, tenant, pk, action: str = "view", trash: bool = False) -> Dataset:
    """The dataset if the user can see it (else 404) and holds `action` on it (else 403).

    A live dataset is read with one prepared statement (view and action together); the trash through the ORM."""
    if not trash:
        key = as_int64(pk)
        if key is None or not getattr(user, "is_authenticated", False):
            raise Http404
        wanted, view = codename(action), codename("view")
        rows = _DATASET_FOR_ACTION.rows(
            [user.pk, wanted, user.pk, wanted, key, tenant.pk, user.pk, view, user.pk, view]
        )
        if not rows:
            raise Http404
        *columns, held = rows[0]
        if not held:
            raise PermissionDenied(f"You do not have the '{action}' permission on this dataset.")
        return load(Dataset, columns)
    dataset = datasets_visible(user=user, tenant=tenant, trash=trash).filter(pk=pk).first()
    if dataset is None:
        raise Http404
    if action != "view" and not user_may(user=user, dataset=dataset, action=action):
        raise PermissionDenied(f"You do not have the '{action}' permission on this dataset.")
    return dataset


def versions_of(*, dataset, trash: bool = False):
    manager = DatasetVersion.all_objects if trash else DatasetVersion.objects
    queryset = manager.filter(dataset=dataset)
    return queryset.trash() if trash else queryset


def version_of(*, dataset, number, trash: bool = False) -> DatasetVersion:
    if not trash:
        key = as_int64(number)
        rows = [] if key is None else _VERSION_OF.rows([dataset.pk, dataset.tenant_id, key])
        if not rows:
            raise Http404
        version = load(DatasetVersion, rows[0])
        version.dataset = dataset
        return version
    version = versions_of(dataset=dataset, trash=trash).filter(number=number).first()
    if version is None:
        raise Http404
    return version


def readable(version) -> None:
    """Conflict when the version's records are not to be read."""
    if version.status == VersionStatus.CANCELLED:
        # Its rows were partial when it stopped, and are purged; reading them would serve a half version.
        raise Conflict(f"Version {version.number} was cancelled; it has no records to read.")


def records_of(*, version, table: str, trash: bool = False):
    readable(version)
    manager = Record.all_objects if trash else Record.objects
    queryset = manager.filter(version=version, table_name=table)
    return queryset.trash() if trash else queryset


def dataset_grants(*, dataset):
    """Grants on one dataset: (group rows with role, user rows with user)."""
    groups = DatasetGroupObjectPermission.objects.filter(content_object=dataset).select_related(
        "group__tenant_role", "permission"
    )
    users = DatasetUserObjectPermission.objects.filter(content_object=dataset).select_related("user", "permission")
    return groups, users


PAGE_COLUMNS = ("table_name", "row_index", "data", "deleted_at")


def _page_statement(*, descending: bool, op: str, contains: bool) -> Statement:
    def build(n) -> str:
        row_index = n.column(Record, "row_index")
        where = [
            f"{n.column(Record, 'version')} = %s",
            f"{n.column(Record, 'table_name')} = %s",
            f"{n.column(Record, 'deleted_at')} IS NULL",
        ]
        if contains:
            where.append(f"{n.column(Record, 'data')} @> CAST(%s AS jsonb)")
        if op:
            where.append(f"{row_index} {op} %s")
        columns = ", ".join(n.column(Record, name) for name in PAGE_COLUMNS)
        return (
            f"SELECT {columns} FROM {n.table(Record)} WHERE {' AND '.join(where)} "  # noqa: S608
            f"ORDER BY {row_index} {'DESC' if descending else 'ASC'} LIMIT %s OFFSET %s"
        )

    return Statement(build)


_PAGES = {
    (descending, op, contains): _page_statement(descending=descending, op=op, contains=contains)
    for descending in (False, True)
    for op in ("", ">", "<")
    for contains in (False, True)
}


class PreparedRecordPage:
    """The live records of one table of a version (optionally those whose data contains a document), read as
    `CursorPagination` reads a queryset (order_by row_index either way, filter row_index__gt/__lt, one slice)
    with one prepared statement. Rows are dicts of PAGE_COLUMNS, as `.values(*PAGE_COLUMNS)` gives them."""

    model = Record

    def __init__(self, *, version, table: str, contains: dict | None = None):
        self._version, self._table, self._contains = version, table, contains
        self._descending, self._op, self._position = False, "", None

    def _copy(self, **changes):
        copy = PreparedRecordPage(version=self._version, table=self._table, contains=self._contains)
        copy._descending, copy._op, copy._position = self._descending, self._op, self._position
        for name, value in changes.items():
            setattr(copy, name, value)
        return copy

    def order_by(self, *fields):
        if fields not in (("row_index",), ("-row_index",)):
            raise TypeError(f"records are read in row order, not {fields}")
        return self._copy(_descending=fields[0].startswith("-"))

    def filter(self, **lookups):
        ((name, value),) = lookups.items()
        ops = {"row_index__gt": ">", "row_index__lt": "<"}
        if name not in ops:
            raise TypeError(f"records pages filter on row_index__gt/__lt, not {name}")
        position = int(value)  # the paginator's cleaned position: an integer's text
        # Beyond a bigint nothing is greater (or everything is less): the nearest bigint answers the same.
        position = max(min(position, 2**63 - 1), -(2**63))
        return self._copy(_op=ops[name], _position=position)

    def __getitem__(self, window):
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("a records page is read as one slice")
        start, stop = window.start or 0, window.stop
        params = [self._version.pk, self._table]
        if self._contains is not None:
            params.append(json.dumps(self._contains))
        if self._op:
            params.append(self._position)
        params += [max(stop - start, 0), start]
        rows = _PAGES[self._descending, self._op, self._contains is not None].rows(params)
        return [
            {**convert(Record, _OTHER_COLUMNS, (table_name, row_index, deleted_at)), "data": _json(data)}
            for table_name, row_index, data, deleted_at in rows
        ]


_OTHER_COLUMNS = ("table_name", "row_index", "deleted_at")


def _json(value):
    """`data` as the JSONField gives it (the databases send its text), parsed by orjson (apps.core.fields.loads)."""
    return loads(value) if isinstance(value, (str, bytes)) else value


def record_page(*, version, table: str, lookups: dict) -> PreparedRecordPage | None:
    """The prepared page for these `data` lookups (apps.datasets.api.filters.data_lookups), or None when they
    have no prepared form (ranges, icontains, in, isnull, SQLite's key lookups): the queryset answers those."""
    readable(version)
    if not lookups:
        return PreparedRecordPage(version=version, table=table)
    if set(lookups) == {"data__contains"} and connection.vendor == "postgresql":
        return PreparedRecordPage(version=version, table=table, contains=lookups["data__contains"])
    return None
