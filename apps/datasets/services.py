"""Every write to datasets, their permissions, versions and records."""

import logging
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.http import Http404
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, ServiceValidationError
from apps.core.sql import Statement
from apps.generation.engine import SpecError, iter_batches, plan
from apps.generation.engine.limits import MAX_DATETIME, MIN_DATETIME
from apps.generation.engine.planner import rows_problems
from apps.tenants.models import Membership, Role, TenantGroup

from .models import (
    DATASET_ACTIONS,
    Dataset,
    DatasetGroupObjectPermission,
    DatasetUserObjectPermission,
    DatasetVersion,
    Record,
    VersionStatus,
    codename,
)
from .permissions import ROLE_DEFAULT_ACTIONS, dataset_permission_objects
from .persistence import records_optimize, records_prepare, records_purge, records_write_chunk
from .specs import parse_or_400, resolve_spec_input

User = get_user_model()
DEFAULT_CHUNK_SIZE = 50_000
logger = logging.getLogger(__name__)


def _snapshot(dataset: Dataset) -> dict:
    return {"name": dataset.name, "description": dataset.description, "spec_hash": dataset.spec_hash,
            "default_seed": dataset.default_seed}


def _check_name_free(*, tenant, name: str, exclude_pk=None) -> None:
    clash = Dataset.objects.filter(tenant=tenant, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ServiceValidationError([("name", f"A dataset named '{name}' already exists in this tenant.")])


# The grants a new dataset gets (_grant_defaults): (role, codename) for the role groups, codenames for the creator,
# in the order written.
_DEFAULT_GRANTS = [(getattr(role, "value", role), codename(action))
                   for role, actions in ROLE_DEFAULT_ACTIONS.items() for action in actions]
_CREATOR_GRANTS = [codename(action) for action in DATASET_ACTIONS]


def _grants_statement(*, to_groups: bool, count: int) -> Statement:
    """INSERT ... SELECT of a new dataset's grants, the permissions (and the tenant's role groups) found by the
    statement itself: what reading them and two bulk_creates did in four statements."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    def build(n) -> str:
        model = DatasetGroupObjectPermission if to_groups else DatasetUserObjectPermission
        wanted = ", ".join(["(%s, %s, %s)" if to_groups else "(%s, %s)"] * count)
        who = n.column(TenantGroup, "group", "g") if to_groups else "%s"
        order = "r.column3" if to_groups else "r.column2"
        code = "r.column2" if to_groups else "r.column1"
        groups = (f"INNER JOIN {n.table(TenantGroup)} g ON {n.column(TenantGroup, 'role', 'g')} = r.column1 "
                  f"AND {n.column(TenantGroup, 'tenant', 'g')} = %s ") if to_groups else ""
        return (
            f"INSERT INTO {n.table(model)} ({n.column(model, 'content_object')}, "  # noqa: S608 -- the models' names
            f"{n.column(model, 'group' if to_groups else 'user')}, {n.column(model, 'permission')}) "
            f"SELECT %s, {who}, p.{n.quote('id')} FROM (VALUES {wanted}) r {groups}"
            f"INNER JOIN {n.table(Permission)} p ON {n.column(Permission, 'codename', 'p')} = {code} "
            f"INNER JOIN {n.table(ContentType)} t ON t.{n.quote('id')} = {n.column(Permission, 'content_type', 'p')} "
            f"AND {n.column(ContentType, 'app_label', 't')} = %s ORDER BY {order}"
        )

    return Statement(build)


_GROUP_GRANTS = _grants_statement(to_groups=True, count=len(_DEFAULT_GRANTS))
_CREATOR_GRANTS_INSERT = _grants_statement(to_groups=False, count=len(_CREATOR_GRANTS))


def _grant_defaults(dataset: Dataset, creator) -> None:
    """The tenant's role groups get ROLE_DEFAULT_ACTIONS on the new dataset, and its creator every action: two
    prepared INSERT ... SELECT statements. A grant that finds no role group or no permission is an error (the
    caller's transaction rolls back), as the lookups it replaced were."""
    wanted = [value for n, (role, code) in enumerate(_DEFAULT_GRANTS) for value in (role, code, n)]
    written = _execute(_GROUP_GRANTS, [dataset.pk, *wanted, dataset.tenant_id, Dataset._meta.app_label])
    if written != len(_DEFAULT_GRANTS):
        raise RuntimeError(f"dataset {dataset.pk}: {written} of {len(_DEFAULT_GRANTS)} role grants found their "
                           "group and permission")
    if creator is not None:
        # The creator keeps full rights on what they made, even if their role is later restricted.
        wanted = [value for n, code in enumerate(_CREATOR_GRANTS) for value in (code, n)]
        written = _execute(_CREATOR_GRANTS_INSERT, [dataset.pk, creator.pk, *wanted, Dataset._meta.app_label])
        if written != len(_CREATOR_GRANTS):
            raise RuntimeError(f"dataset {dataset.pk}: {written} of {len(_CREATOR_GRANTS)} creator grants found "
                               "their permission")


def _execute(statement: Statement, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement.text(connection), params)
        return cursor.rowcount


@transaction.atomic
def dataset_create(*, tenant, actor, name: str = "", description: str = "", spec=None, template: str | None = None,
                   default_seed: int | None = None) -> Dataset:
    document, template_name = resolve_spec_input(spec=spec, template=template)
    parsed = parse_or_400(document, max_rows=tenant.max_rows_per_version)
    name = (name or "").strip() or parsed.name
    _check_name_free(tenant=tenant, name=name)
    if default_seed is None:
        default_seed = int(document.get("seed", 0) or 0)
    dataset = Dataset.objects.create(
        tenant=tenant, name=name, description=description or str(document.get("description", "")),
        spec=document, spec_hash=parsed.hash, template_name=template_name, default_seed=default_seed,
        created_by=actor,
    )
    _grant_defaults(dataset, actor)
    audit_record(action="dataset.create", actor=actor, tenant=tenant, target=dataset, after=_snapshot(dataset))
    return dataset


@transaction.atomic
def dataset_update(*, dataset: Dataset, actor, **changes) -> Dataset:
    allowed = {"name", "description", "spec", "default_seed"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ServiceValidationError([(key, "This field cannot be changed.") for key in unknown])
    before = _snapshot(dataset)
    if "spec" in changes:
        document, _ = resolve_spec_input(spec=changes.pop("spec"))
        dataset.spec_hash = parse_or_400(document, max_rows=dataset.tenant.max_rows_per_version).hash
        dataset.spec = document
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        _check_name_free(tenant=dataset.tenant, name=changes["name"], exclude_pk=dataset.pk)
    for key, value in changes.items():
        setattr(dataset, key, value)
    dataset.save()
    audit_record(action="dataset.update", actor=actor, tenant=dataset.tenant, target=dataset, before=before,
                 after=_snapshot(dataset))
    return dataset


@transaction.atomic
def dataset_delete(*, dataset: Dataset, actor) -> None:
    dataset.mark_deleted(by=actor)
    audit_record(action="dataset.delete", actor=actor, tenant=dataset.tenant, target=dataset)


def _locked_in_trash(model, obj):
    """The row again, locked: the trash purge may have removed it since the caller read it (then 404)."""
    locked = model.all_objects.select_for_update().filter(pk=obj.pk).first()
    if locked is None:
        raise Http404(f"This {model._meta.verbose_name} was purged from the trash.")
    return locked


@transaction.atomic
def dataset_restore(*, dataset: Dataset, actor) -> Dataset:
    dataset = _locked_in_trash(Dataset, dataset)
    if Dataset.objects.filter(tenant=dataset.tenant, name=dataset.name).exists():
        raise Conflict(f"A live dataset is already named '{dataset.name}': rename it before restoring this one.")
    dataset.mark_restored()
    audit_record(action="dataset.restore", actor=actor, tenant=dataset.tenant, target=dataset)
    return dataset


def dataset_permissions_describe(*, dataset: Dataset) -> dict:
    from .selectors import dataset_grants

    groups, users = dataset_grants(dataset=dataset)
    roles = {role: [] for role in Role.values}
    for grant in groups:
        roles[grant.group.tenant_role.role].append(grant.permission.codename.removesuffix("_dataset"))
    members: dict[int, dict] = {}
    for grant in users:
        entry = members.setdefault(grant.user_id, {"email": grant.user.email, "actions": []})
        entry["actions"].append(grant.permission.codename.removesuffix("_dataset"))
    order = {action: i for i, action in enumerate(DATASET_ACTIONS)}
    for actions in [*roles.values(), *(m["actions"] for m in members.values())]:
        actions.sort(key=order.__getitem__)
    return {"roles": roles, "members": sorted(members.values(), key=lambda m: m["email"])}


def _validate_actions(actions, path: str, problems: list) -> list[str]:
    if not isinstance(actions, list):
        problems.append((path, "must be a list of actions"))
        return []
    bad = [a for a in actions if a not in DATASET_ACTIONS]
    for index, action in enumerate(actions):
        if action in bad:
            problems.append((f"{path}.{index}", f"'{action}' is not one of {', '.join(DATASET_ACTIONS)}"))
    return [a for a in DATASET_ACTIONS if a in actions]


@transaction.atomic
def dataset_permissions_set(*, dataset: Dataset, actor, roles: dict, members: list) -> dict:
    """Replace the dataset's grants. Owners always keep every action, so no dataset is orphaned."""
    problems: list[tuple[str, str]] = []
    wanted_roles: dict[str, list[str]] = {}
    for role, actions in roles.items():
        if role not in Role.values:
            problems.append((f"roles.{role}", f"'{role}' is not a role"))
            continue
        wanted_roles[role] = _validate_actions(actions, f"roles.{role}", problems)
    if Role.OWNER in wanted_roles and wanted_roles[Role.OWNER] != list(DATASET_ACTIONS):
        problems.append(("roles.owner", "Owners always hold every action on every dataset of their tenant."))
    wanted_roles[Role.OWNER] = list(DATASET_ACTIONS)
    wanted_users: dict[int, list[str]] = {}
    member_users = {
        email.lower(): user_id
        for email, user_id in Membership.objects.filter(tenant=dataset.tenant).values_list("user__email", "user_id")
    }
    for index, entry in enumerate(members):
        email = str(entry.get("email", "")).lower() if isinstance(entry, dict) else ""
        user_id = member_users.get(email)
        if user_id is None:
            problems.append((f"members.{index}.email", f"'{email}' is not a member of this tenant"))
            continue
        wanted_users[user_id] = _validate_actions(entry.get("actions"), f"members.{index}.actions", problems)
    if problems:
        raise ServiceValidationError(problems)

    before = dataset_permissions_describe(dataset=dataset)
    perms = dataset_permission_objects()
    groups = dict(TenantGroup.objects.filter(tenant=dataset.tenant).values_list("role", "group_id"))
    for role in Role.values:
        if role in wanted_roles:
            DatasetGroupObjectPermission.objects.filter(content_object=dataset, group_id=groups[role]).delete()
            DatasetGroupObjectPermission.objects.bulk_create(
                DatasetGroupObjectPermission(content_object=dataset, group_id=groups[role], permission=perms[a])
                for a in wanted_roles[role]
            )
    DatasetUserObjectPermission.objects.filter(content_object=dataset).delete()
    DatasetUserObjectPermission.objects.bulk_create(
        DatasetUserObjectPermission(content_object=dataset, user_id=user_id, permission=perms[a])
        for user_id, actions in wanted_users.items()
        for a in actions
    )
    after = dataset_permissions_describe(dataset=dataset)
    audit_record(action="dataset.permissions", actor=actor, tenant=dataset.tenant, target=dataset, before=before,
                 after=after)
    return after


# ----- versions -----


def version_plan(version: DatasetVersion, *, chunk_size: int = DEFAULT_CHUNK_SIZE):
    """Rebuild the engine plan of a version: a pure function of what the version stores."""
    from apps.documents.keys import document_secret

    spec = parse_or_400(version.spec_snapshot)
    return plan(spec, seed=version.seed, reference_time=version.reference_time, rows_scale=version.rows_scale,
                tables=version.tables or None, chunk_size=chunk_size, rows=version.rows or None,
                document_secret=document_secret(version.tenant_id))


def _check_generate_params(*, seed, rows_scale, tables, rows, reference_time, spec) -> None:
    problems = []
    if seed is not None and not (isinstance(seed, int) and 0 <= seed < 2**63):
        problems.append(("seed", "must be an integer from 0 to 2^63-1"))
    if not isinstance(rows_scale, (int, float)) or not 0 < rows_scale <= 1000:
        problems.append(("rows_scale", "must be a number above 0 and at most 1000"))
    for index, table in enumerate(tables or []):
        if table not in spec.table_names:
            problems.append((f"tables.{index}", f"unknown table '{table}'; the spec has {', '.join(spec.table_names)}"))
    problems.extend((p.path, p.message) for p in rows_problems(spec, rows))
    if reference_time is not None and (not isinstance(reference_time, datetime) or reference_time.tzinfo is None
                                       or not MIN_DATETIME <= reference_time <= MAX_DATETIME):
        problems.append(("reference_time", "must be a datetime with a time zone from "
                                           f"{MIN_DATETIME.isoformat()} to {MAX_DATETIME.isoformat()}"))
    if problems:
        raise ServiceValidationError(problems)


@transaction.atomic
def version_create(*, dataset: Dataset, actor, seed: int | None = None, rows_scale: float = 1.0,
                   tables: list[str] | None = None, reference_time: datetime | None = None,
                   rows: dict[str, int] | None = None,
                   chunk_size: int = DEFAULT_CHUNK_SIZE) -> tuple[DatasetVersion, object]:
    """A pending version with everything needed to reproduce it; refused before any work when over quota.

    `rows` gives absolute row counts per table (they win over rows_scale for those tables); `reference_time`
    is what relative dates count from (default: now). Both are recorded, so the version can be regenerated.
    """
    tenant = dataset.tenant
    spec = parse_or_400(dataset.spec, max_rows=tenant.max_rows_per_version)
    _check_generate_params(seed=seed, rows_scale=rows_scale, tables=tables, rows=rows, reference_time=reference_time,
                           spec=spec)
    seed = dataset.default_seed if seed is None else seed
    rows = dict(rows or {})
    given_time = reference_time is not None
    reference_time = (reference_time or timezone.now()).astimezone(UTC).replace(microsecond=0)
    try:
        # The spec was parsed with the tenant's quota, so planning refuses a version over it before any work.
        engine_plan = plan(spec, seed=seed, reference_time=reference_time, rows_scale=rows_scale,
                           tables=tables or None, chunk_size=chunk_size, rows=rows)
    except SpecError as exc:
        raise ServiceValidationError(_plan_problems(exc, spec=spec, seed=seed, rows_scale=rows_scale, rows=rows,
                                                    quota=tenant.max_rows_per_version,
                                                    blame_time=given_time)) from exc
    total = sum(engine_plan.row_counts.values())
    # Serialises version numbering. FOR NO KEY UPDATE, not FOR UPDATE: the commit-time foreign-key checks of other
    # transactions (FOR KEY SHARE on this row) must not wait for it while this one waits for the audit chain lock.
    # The lock order is in apps/audit/services.py.
    Dataset.objects.select_for_update(no_key=True).filter(pk=dataset.pk).first()
    number = (DatasetVersion.all_objects.filter(dataset=dataset).aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        version = DatasetVersion.objects.create(
            tenant=tenant, dataset=dataset, number=number, seed=seed, reference_time=reference_time,
            rows_scale=rows_scale, tables=list(tables or []), rows=rows, spec_snapshot=dataset.spec,
            spec_hash=spec.hash,
            row_counts=engine_plan.row_counts, created_by=actor,
        )
    except IntegrityError as exc:
        raise Conflict("Another version was created at the same moment; try again.") from exc
    audit_record(action="version.create", actor=actor, tenant=tenant, target=version,
                 after={"number": number, "seed": seed, "rows_scale": rows_scale, "rows_requested": rows,
                        "reference_time": reference_time.isoformat(), "rows": total})
    # Its records' partition, in a short transaction of its own once this one commits (before its chunks are
    # queued): a first chunk that had to make it would hold a lock on the records table through its whole
    # write. If this fails, the first chunk makes it.
    transaction.on_commit(partial(records_prepare, version_id=version.pk), robust=True)
    return version, engine_plan


def _plan_problems(exc: SpecError, *, spec, seed: int, rows_scale: float, rows: dict, quota, blame_time: bool
                   ) -> list[tuple[str, str]]:
    """The engine's planning problems under the request field that caused them.

    Problems of `rows.<table>`, and of a table whose rows were given, are reported under `rows.<table>`. A plan
    that only fails at the requested reference time (dates that leave the calendar, or ranges that turn empty)
    is the reference time's fault; anything else comes from the sizes asked for (rows_scale, as before).
    """
    out, others = [], []
    for problem in exc.problems:
        table = problem.path.split(".")[1] if problem.path.startswith("tables.") else None
        if problem.path == "rows" or problem.path.startswith("rows."):
            out.append((problem.path, problem.message))
        elif table in rows:  # e.g. more rows asked for than a unique column of that table can hold
            out.append((f"rows.{table}", str(problem)))
        else:
            others.append(problem)
    if not others:
        return out
    field = "rows_scale"
    if blame_time:
        try:
            plan(spec, seed=seed, rows_scale=rows_scale, rows=rows)
            field = "reference_time"
        except SpecError:
            pass
    if field == "reference_time":
        out.append((field, "the document cannot be generated at this reference time: "
                           + "; ".join(str(p) for p in others)))
    elif all("above the limit" in p.message for p in others):
        out.append((field, f"over the tenant's quota of {quota:,} rows per version: "
                           + "; ".join(str(p) for p in others)))
    else:
        out.append((field, "the document cannot be generated at these sizes: " + "; ".join(str(p) for p in others)))
    return out


def version_write_chunk(*, version: DatasetVersion, engine_plan, table: str, start: int, stop: int) -> int:
    """Generate rows [start, stop) of a table and replace that range of the version's records with them."""
    batches = (batch.json_rows() for batch in iter_batches(engine_plan, table, start, stop))
    return records_write_chunk(version_id=version.pk, table=table, start=start, stop=stop, batches=batches)


def version_mark(*, version: DatasetVersion, status: str, engine_plan=None) -> DatasetVersion:
    version.status = status
    fields = ["status", "updated_at"]
    if engine_plan is not None and status == VersionStatus.READY:
        version.manifest = {**engine_plan.manifest(), "dataset": version.dataset_id, "version": version.number}
        fields.append("manifest")
    version.save(update_fields=fields)
    # After the commit, outside the locks of the transaction that made the change: indexing a loaded
    # version takes seconds per million rows, and dropping a partition waits for a lock on the records table.
    # A failure is logged and left for the scheduled purge (`version_records_maintain`), never raised into
    # the chunk or request that committed.
    if status == VersionStatus.READY:
        transaction.on_commit(partial(_version_records_optimize, version.pk), robust=True)
    elif status == VersionStatus.CANCELLED:
        # A cancelled version's rows are partial and never served: they go at once.
        transaction.on_commit(partial(records_purge, version_id=version.pk), robust=True)
    return version


def _version_records_optimize(version_id: int) -> None:
    seconds = records_optimize(version_id=version_id)
    logger.info("records of version %s indexed and analysed in %.2f s", version_id, seconds)


def version_records_maintain() -> dict[str, int]:
    """PostgreSQL: finish what the after-commit steps of `version_mark` left undone (a lock timeout, a
    worker that stopped): drop the partitions of cancelled or deleted versions, index and analyse ready ones
    that lack their index. Idempotent; run by the scheduled purge."""
    from .partitions import partition_versions

    if connection.vendor != "postgresql":
        return {"dropped": 0, "indexed": 0}
    partitions = partition_versions()
    live = dict(DatasetVersion.all_objects.filter(pk__in=list(partitions)).values_list("pk", "status"))
    dropped = indexed = 0
    for version_id, has_index in partitions.items():
        status = live.get(version_id)
        if status is None or status == VersionStatus.CANCELLED:
            dropped += records_purge(version_id=version_id)
        elif status == VersionStatus.READY and not has_index:
            _version_records_optimize(version_id)
            indexed += 1
    return {"dropped": dropped, "indexed": indexed}


def version_generate(*, version: DatasetVersion, actor=None, chunk_size: int = DEFAULT_CHUNK_SIZE) -> DatasetVersion:
    """Generate a whole version here and now, chunk by chunk (the job queue runs the same chunks apart)."""
    engine_plan = version_plan(version, chunk_size=chunk_size)
    version_mark(version=version, status=VersionStatus.GENERATING)
    try:
        for chunk in engine_plan.chunks:
            version_write_chunk(version=version, engine_plan=engine_plan, table=chunk.table, start=chunk.start,
                                stop=chunk.stop)
    except Exception:
        version_mark(version=version, status=VersionStatus.FAILED)
        raise
    with transaction.atomic():
        version_mark(version=version, status=VersionStatus.READY, engine_plan=engine_plan)
        audit_record(action="version.generate", actor=actor, tenant=version.tenant, target=version,
                     after={"row_counts": version.row_counts})
    return version


@transaction.atomic
def version_delete(*, version: DatasetVersion, actor) -> None:
    version.mark_deleted(by=actor)
    audit_record(action="version.delete", actor=actor, tenant=version.tenant, target=version)


@transaction.atomic
def version_restore(*, version: DatasetVersion, actor) -> DatasetVersion:
    version = _locked_in_trash(DatasetVersion, version)
    version.mark_restored()
    audit_record(action="version.restore", actor=actor, tenant=version.tenant, target=version)
    return version


@transaction.atomic
def record_delete(*, record: Record, actor) -> None:
    record.mark_deleted(by=actor)
    audit_record(action="record.delete", actor=actor, tenant=record.version.tenant_id, target=record,
                 target_label=f"{record.version} {record.table_name}[{record.row_index}]")


@transaction.atomic
def record_restore(*, record: Record, actor) -> Record:
    record.mark_restored()
    audit_record(action="record.restore", actor=actor, tenant=record.version.tenant_id, target=record,
                 target_label=f"{record.version} {record.table_name}[{record.row_index}]")
    return record


# ----- trash -----


def trash_purge(*, now: datetime | None = None, retention_days: int | None = None) -> dict[str, int]:
    """Hard-delete what has been in the trash longer than the retention period; audited per tenant.

    Each trashed dataset and each trashed version goes in a transaction of its own that locks its rows
    (dataset, then version: the lock order of docs/jobs.md) and checks again that it is still in the trash
    before its records are dropped. A restore that commits first keeps it whole; a restore that comes after
    finds it gone (404). A version is never left restored without its records."""
    days = settings.SYNTHHUB_TRASH_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    purged = {"datasets": 0, "versions": 0, "records": 0}
    for dataset_id in Dataset.all_objects.filter(deleted_at__lt=cutoff).values_list("pk", flat=True):
        versions = _dataset_purge(dataset_id=dataset_id, cutoff=cutoff)
        if versions is not None:
            purged["datasets"] += 1
            purged["versions"] += versions
    for version_id in DatasetVersion.all_objects.filter(deleted_at__lt=cutoff).values_list("pk", flat=True):
        purged["versions"] += _version_purge(version_id=version_id, cutoff=cutoff)
    with transaction.atomic():
        records = Record.all_objects.filter(deleted_at__lt=cutoff)
        for tenant_id, count in _count_by_tenant(records, "version__tenant_id").items():
            audit_record(action="trash.purge", tenant=tenant_id, target_type="datasets.record",
                         after={"records": count, "cutoff": cutoff})
        purged["records"] = records._raw_delete(records.db) if records.exists() else 0
    from apps.profiling.services import samples_trash_purge

    purged["samples"] = samples_trash_purge(cutoff=cutoff)
    version_records_maintain()
    return purged


def _dataset_purge(*, dataset_id: int, cutoff: datetime) -> int | None:
    """One trashed dataset with its versions, in one transaction; None when it was restored meanwhile.
    Returns how many of its versions were themselves in the trash before the cutoff (they are counted and
    audited as purged versions, as before; the others go with their dataset)."""
    with transaction.atomic():
        dataset = Dataset.all_objects.select_for_update().filter(pk=dataset_id, deleted_at__lt=cutoff).first()
        if dataset is None:
            return None
        versions = list(DatasetVersion.all_objects.select_for_update().filter(dataset_id=dataset_id)
                        .order_by("pk").only("pk", "tenant_id", "number", "dataset_id", "deleted_at"))
        for version in versions:
            # The records go first (on PostgreSQL a partition DROP); if the lock timeout strikes, the cascade
            # below deletes the rows instead.
            records_purge(version_id=version.pk)
        trashed = [v for v in versions if v.deleted_at is not None and v.deleted_at < cutoff]
        labels = [(v.tenant_id, v.pk, str(v)[:255]) for v in trashed]
        label = str(dataset)[:255]
        dataset.delete()
        # The audit lock is the last lock of the transaction (lock order, docs/jobs.md).
        for tenant_id, version_id, version_label in labels:
            audit_record(action="trash.purge", tenant=tenant_id, target_type="datasets.datasetversion",
                         target_id=version_id, target_label=version_label)
        audit_record(action="trash.purge", tenant=dataset.tenant_id, target_type="datasets.dataset",
                     target_id=dataset_id, target_label=label)
    return len(trashed)


def _version_purge(*, version_id: int, cutoff: datetime) -> int:
    """One trashed version of a live dataset, in one transaction; 0 when it was restored meanwhile."""
    with transaction.atomic():
        version = DatasetVersion.all_objects.select_for_update().filter(pk=version_id, deleted_at__lt=cutoff).first()
        if version is None:
            return 0
        records_purge(version_id=version_id)
        label = str(version)[:255]
        version.delete()
        audit_record(action="trash.purge", tenant=version.tenant_id, target_type="datasets.datasetversion",
                     target_id=version_id, target_label=label)
    return 1


def _count_by_tenant(queryset, tenant_field: str) -> dict[int, int]:
    return dict(queryset.values_list(tenant_field).annotate(n=Count("id")).values_list(tenant_field, "n"))
