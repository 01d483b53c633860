"""Every write to samples and profiles.

Samples are real data. Nothing here logs, audits or raises a value of theirs: audit records and errors name
tables, column counts, sizes and limits. A refused upload leaves nothing behind: the file is checked and
copied in a temporary directory, and only a complete copy is moved into storage, inside the transaction
that creates its row (a failed commit removes it again).
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, ServiceValidationError
from apps.observability import events, metrics
from apps.observability.models import EventType, JobKind
from apps.tenants.models import TenantGroup

from .infer import infer_spec, spec_names
from .models import (
    FINISHED_STATUSES,
    SAMPLE_ACTIONS,
    Profile,
    ProfileStatus,
    Sample,
    SampleFormat,
    SampleGroupObjectPermission,
    SampleSource,
    SampleUserObjectPermission,
)
from .permissions import ROLE_DEFAULT_ACTIONS, sample_permission_objects
from .readers import SampleRejected, convert_to_parquet, format_of, iter_stored, table_name_problem

logger = logging.getLogger(__name__)
DEFAULT_SAMPLE_MAX_BYTES = 200 * 1024 * 1024
MAX_SAMPLES_PER_PROFILE = 20
PROGRESS_STEP = 0.05


def sample_max_bytes() -> int:
    return int(getattr(settings, "SYNTHHUB_SAMPLE_MAX_BYTES", DEFAULT_SAMPLE_MAX_BYTES))


def _storage_name() -> str:
    # Reveals nothing: no tenant, table, user or file name.
    return f"samples/{secrets.token_hex(16)}"


def _grant_defaults(sample: Sample, creator) -> None:
    perms = sample_permission_objects()
    groups = dict(TenantGroup.objects.filter(tenant=sample.tenant).values_list("role", "group_id"))
    SampleGroupObjectPermission.objects.bulk_create(
        SampleGroupObjectPermission(content_object=sample, group_id=groups[role], permission=perms[action])
        for role, actions in ROLE_DEFAULT_ACTIONS.items() if role in groups
        for action in actions
    )
    if creator is not None and getattr(creator, "pk", None):
        SampleUserObjectPermission.objects.bulk_create(
            SampleUserObjectPermission(content_object=sample, user=creator, permission=perms[action])
            for action in SAMPLE_ACTIONS
        )


def _snapshot(sample: Sample) -> dict:
    return {"table_name": sample.table_name, "format": sample.format, "source": sample.source,
            "rows": sample.row_count, "columns": len(sample.columns), "bytes": sample.original_size_bytes}


def _local_handle(uploaded):
    """A seekable binary handle on an uploaded file (Django keeps large ones in a temporary file)."""
    if hasattr(uploaded, "temporary_file_path"):
        return open(uploaded.temporary_file_path(), "rb")  # noqa: SIM115 - closed by the caller
    handle = uploaded.file if hasattr(uploaded, "file") else uploaded
    handle.seek(0)
    return handle


def sample_upload(*, tenant, actor, table_name: str, uploaded, fmt: str | None = None) -> Sample:
    """Check the whole file, keep a Parquet copy under a random name, create the sample (400 for anything
    wrong, with nothing written)."""
    problems = []
    if problem := table_name_problem(table_name or ""):
        problems.append(("table_name", problem))
    if uploaded is None:
        problems.append(("file", "is required: a CSV, JSON Lines or Parquet file"))
    if problems:
        raise ServiceValidationError(problems)
    try:
        fmt = format_of(getattr(uploaded, "name", ""), fmt)
    except SampleRejected as exc:
        raise ServiceValidationError([(exc.path, str(exc))]) from None
    size = getattr(uploaded, "size", None)
    if size is not None and size > sample_max_bytes():
        raise ServiceValidationError([("file", f"is {size} bytes; a sample file may have at most "
                                               f"{sample_max_bytes()} bytes (SYNTHHUB_SAMPLE_MAX_BYTES)")])
    with tempfile.TemporaryDirectory(prefix="synthhub-sample-") as work:
        out = str(Path(work) / "sample.parquet")
        handle = _local_handle(uploaded)
        try:
            result = convert_to_parquet(handle, fmt, out, max_bytes=sample_max_bytes())
        except SampleRejected as exc:
            raise ServiceValidationError([(exc.path, str(exc))]) from None
        finally:
            if hasattr(uploaded, "temporary_file_path"):
                handle.close()
        sha256 = _sha256_of(uploaded)
        return _store_sample(tenant=tenant, actor=actor, table_name=table_name, parquet_path=out, fmt=fmt,
                             result=result, sha256=sha256, source=SampleSource.UPLOAD)


def _sha256_of(uploaded) -> str:
    import hashlib

    digest = hashlib.sha256()
    for chunk in uploaded.chunks() if hasattr(uploaded, "chunks") else iter(lambda: uploaded.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _store_sample(*, tenant, actor, table_name, parquet_path, fmt, result, sha256, source, target=None,
                  source_table: str = "") -> Sample:
    stored_name = None
    try:
        with transaction.atomic():
            with open(parquet_path, "rb") as handle:
                stored_name = default_storage.save(_storage_name(), File(handle))
            sample = Sample.objects.create(
                tenant=tenant, table_name=table_name, source=source, format=fmt, file=stored_name,
                original_size_bytes=result.size_bytes, sha256=sha256, row_count=result.row_count,
                columns=result.columns, target=target, source_table=source_table, created_by=actor,
            )
            _grant_defaults(sample, actor)
            audit_record(action="sample.create", actor=actor, tenant=tenant, target=sample, after=_snapshot(sample))
    except BaseException:
        if stored_name:
            default_storage.delete(stored_name)
        raise
    return sample


@transaction.atomic
def sample_delete(*, sample: Sample, actor) -> None:
    """To the trash: profiles that read it stay, and its file stays until it is purged."""
    sample.mark_deleted(by=actor)
    audit_record(action="sample.delete", actor=actor, tenant=sample.tenant, target=sample)


def _purge_sample_file(name: str) -> None:
    if name:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("a sample file could not be removed from storage")


def sample_purge(*, sample: Sample, actor) -> None:
    """The sample's row and its file, for good."""
    name = sample.file.name
    with transaction.atomic():
        audit_record(action="sample.purge", actor=actor, tenant=sample.tenant, target=sample)
        sample.delete()
    transaction.on_commit(lambda: _purge_sample_file(name))


def samples_trash_purge(*, cutoff) -> int:
    """Samples in the trash since before `cutoff`, for good (rows and files), with the profiles that read them
    (a profile without its samples' rows could no longer be reviewed; its statistics go with the data)."""
    doomed = list(Sample.all_objects.filter(deleted_at__lt=cutoff))
    if not doomed:
        return 0
    names = [sample.file.name for sample in doomed]
    with transaction.atomic():
        profiles = Profile.all_objects.filter(samples__in=doomed).distinct()
        for profile in profiles:
            audit_record(action="profile.purge", tenant=profile.tenant_id, target=profile)
        Profile.all_objects.filter(pk__in=[p.pk for p in profiles]).delete()
        for sample in doomed:
            audit_record(action="trash.purge", tenant=sample.tenant_id, target=sample)
        Sample.all_objects.filter(pk__in=[s.pk for s in doomed]).delete()
    transaction.on_commit(lambda: [_purge_sample_file(name) for name in names])
    return len(doomed)


# ----------------------------------------------------------------------------- target tables

MAX_TARGET_ROWS = 1_000_000
MAX_TARGET_SEED = 2**31 - 1
# A table with at most SMALL_FACTOR x `rows` rows is read whole and its rows ordered by the seeded hash; a
# bigger one is sampled with TABLESAMPLE (BERNOULLI, or SYSTEM when the share is under SYSTEM_SHARE), for
# OVERSAMPLE x `rows` rows on average, of which the `rows` with the smallest seeded hashes are kept.
SMALL_FACTOR = 10
OVERSAMPLE = 1.5
SYSTEM_OVERSAMPLE = 2.0
SYSTEM_SHARE = 0.01
_SAMPLED_KINDS = ("r", "m", "p")  # tables, materialised views and partitioned tables take TABLESAMPLE


def _target_sample_query(cursor, parts: list[str], rows: int, seed: int):
    """The SELECT of a random sample of `rows` rows of a target table, the same for the same seed and table.

    Every row gets a key: md5 of the seed and the row's text. The rows read are ordered by it and the first
    `rows` kept (a top-N sort: memory bounded by `rows`). Which rows are read is bounded too:

    - a table (or materialised view) with over SMALL_FACTOR x rows rows by the planner's estimate
      (`pg_class.reltuples`; an unanalysed one is counted up to that bound) is read through
      `TABLESAMPLE BERNOULLI (p) REPEATABLE (seed)` with p for OVERSAMPLE x rows rows, or `SYSTEM` (whole
      pages, read only for the share) when that is under 1% of the table;
    - a smaller table is read whole;
    - a view, which TABLESAMPLE cannot read, is read up to SMALL_FACTOR x rows rows, and the sample drawn from
      those.
    """
    from psycopg import sql

    table = sql.Identifier(*parts)
    cursor.execute("SELECT c.relkind::text, c.reltuples::float8 FROM pg_class c WHERE c.oid = to_regclass(%s)",
                   [table.as_string(cursor.connection)])
    found = cursor.fetchone()
    if found is None:
        raise LookupError("no such relation")
    kind, estimate = found
    bound = SMALL_FACTOR * rows
    row_key = sql.SQL("md5({} || sample_row::text)").format(sql.Literal(f"{seed}:"))
    if kind in _SAMPLED_KINDS and estimate <= 0:  # never analysed: count up to the bound
        cursor.execute(sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT {}) AS counted").format(
            table, sql.Literal(bound + 1)))
        estimate = float(cursor.fetchone()[0])
    if kind in _SAMPLED_KINDS and estimate > bound:
        share = OVERSAMPLE * rows / estimate
        method, share = ("SYSTEM", min(1.0, SYSTEM_OVERSAMPLE * rows / estimate)) if share < SYSTEM_SHARE else (
            "BERNOULLI", min(1.0, share))
        sampled = "SELECT * FROM {} AS sample_row TABLESAMPLE {} ({}) REPEATABLE ({}) ORDER BY {} LIMIT {}"
        return sql.SQL(sampled).format(table, sql.SQL(method), sql.Literal(round(100 * share, 6)), sql.Literal(seed),
                                       row_key, sql.Literal(rows))
    if kind in _SAMPLED_KINDS:
        return sql.SQL("SELECT * FROM {} AS sample_row ORDER BY {} LIMIT {}").format(table, row_key, sql.Literal(rows))
    return sql.SQL("SELECT * FROM (SELECT * FROM {} LIMIT {}) AS sample_row ORDER BY {} LIMIT {}").format(
        table, sql.Literal(bound), row_key, sql.Literal(rows))


def sample_from_target(*, tenant, actor, target, table_name: str, source_table: str, rows: int = 100_000,
                       seed: int = 0) -> Sample:
    """Copy a random sample of up to `rows` rows of one table of a target database, in a read-only transaction,
    as a sample; the same `seed` draws the same rows of the same table (`_target_sample_query`).

    The target's host is checked like a push's (apps.exports.targets.connect); the table is named by
    `schema.table` or `table` and quoted as identifiers."""
    import psycopg
    from psycopg import sql

    from apps.exports.targets import TargetNameUnresolved, TargetNotAllowed, TargetUnreachable, connect

    problems = []
    if problem := table_name_problem(table_name or ""):
        problems.append(("table_name", problem))
    parts = [p for p in (source_table or "").split(".") if p]
    if not 1 <= len(parts) <= 2 or any(len(p) > 63 or "\x00" in p for p in parts):
        problems.append(("source_table", "must be `table` or `schema.table`"))
    if not isinstance(rows, int) or isinstance(rows, bool) or not 1 <= rows <= MAX_TARGET_ROWS:
        problems.append(("rows", f"must be an integer from 1 to {MAX_TARGET_ROWS}"))
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_TARGET_SEED:
        problems.append(("seed", f"must be an integer from 0 to {MAX_TARGET_SEED}"))
    if problems:
        raise ServiceValidationError(problems)
    with tempfile.TemporaryDirectory(prefix="synthhub-sample-") as work:
        csv_path = Path(work) / "table.csv"
        try:
            with connect(target) as connection:
                connection.read_only = True
                with connection.transaction(), connection.cursor() as cursor, open(csv_path, "wb") as out:
                    query = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(
                        _target_sample_query(cursor, parts, rows, seed))
                    written = 0
                    with cursor.copy(query) as copy:
                        for block in copy:
                            written += len(block)
                            if written > sample_max_bytes():
                                raise SampleRejected(f"the table's rows are over {sample_max_bytes()} bytes",
                                                     path="rows")
                            out.write(block)
        except TargetNotAllowed as exc:
            raise ServiceValidationError([("target", str(exc))]) from None
        except (TargetNameUnresolved, TargetUnreachable):
            raise ServiceValidationError([("target", "the target database could not be reached")]) from None
        except SampleRejected as exc:
            raise ServiceValidationError([(exc.path, str(exc))]) from None
        except (psycopg.Error, LookupError):
            raise ServiceValidationError([("source_table", "the table could not be read (does it exist, and may "
                                                           "the target's user read it?)")]) from None
        out_path = str(Path(work) / "sample.parquet")
        try:
            with open(csv_path, "rb") as handle:
                result = convert_to_parquet(handle, "csv", out_path, max_bytes=sample_max_bytes())
        except SampleRejected as exc:
            raise ServiceValidationError([("source_table", str(exc).replace("is ", "the table is ", 1))]) from None
        return _store_sample(tenant=tenant, actor=actor, table_name=table_name, parquet_path=out_path,
                             fmt=SampleFormat.CSV, result=result, sha256="", source=SampleSource.TARGET,
                             target=target, source_table=".".join(parts))


# ----------------------------------------------------------------------------- profiles

def profile_create(*, tenant, actor, samples: list[Sample]) -> Profile:
    """A queued profile job over samples the caller may view (one sample a table name)."""
    if not samples:
        raise ServiceValidationError([("samples", "name at least one sample")])
    if len(samples) > MAX_SAMPLES_PER_PROFILE:
        raise ServiceValidationError([("samples", f"at most {MAX_SAMPLES_PER_PROFILE} samples a profile")])
    names = [sample.table_name for sample in samples]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ServiceValidationError([("samples", f"two samples stand for the table '{repeated[0]}': a profile "
                                                  "takes one sample a table")])
    with transaction.atomic():
        profile = Profile.objects.create(tenant=tenant, requested_by=actor)
        profile.samples.set(samples)
        rows = sum(sample.row_count for sample in samples)
        _event(profile, EventType.QUEUED, f"queued: {len(samples)} tables, {rows} rows, requested by "
                                          f"{events.actor_name(actor)}", rows=rows)
        audit_record(action="profile.create", actor=actor, tenant=tenant, target=profile,
                     after={"samples": [s.pk for s in samples], "tables": names})
        transaction.on_commit(lambda: _enqueue(profile.pk))
    return profile


def _enqueue(profile_id: int) -> None:
    from django_q.tasks import async_task

    async_task("apps.profiling.tasks.run_profile", profile_id, task_name=f"profile-{profile_id}")


def _sources(profile: Profile):
    from .profiler import TableSource

    sources = []
    for sample in profile.samples.all().order_by("pk"):
        name = sample.file.name

        def batches(name=name):
            with default_storage.open(name, "rb") as handle:
                yield from iter_stored(handle)

        sources.append(TableSource(sample.table_name, batches, sample.row_count))
    return sources


def _event(profile: Profile, type: str, message: str, **fields) -> None:
    """A profile job's event (apps.observability.events): the caller holds the profile's row lock or created it
    in this transaction. Messages name tables, counts, times and exception classes, never a sample's value."""
    events.record(kind=JobKind.PROFILE, job_id=profile.pk, tenant_id=profile.tenant_id, type=type, message=message,
                  **fields)


def _locked(profile_id: int) -> Profile | None:
    return Profile.objects.select_for_update(no_key=True).filter(pk=profile_id).first()


class _Cancelled(Exception):
    pass


def profile_run(*, profile_id: int, worker: str = "") -> str:
    """Profile the samples and infer the spec; the profile's status and its timeline say how it went."""
    from apps.generation.engine import SpecError, parse_spec

    from .profiler import profile_tables

    with transaction.atomic():
        profile = _locked(profile_id)
        if profile is None or profile.status != ProfileStatus.QUEUED:
            return "skipped"
        profile.status, profile.started_at, profile.progress = ProfileStatus.RUNNING, timezone.now(), 0.0
        profile.save(update_fields=["status", "started_at", "progress", "updated_at"])
        _event(profile, EventType.CLAIMED, f"claimed by worker {worker or 'unknown'}", worker=worker)
    last = [0.0]

    def progress(share: float) -> None:
        if share - last[0] >= PROGRESS_STEP:
            last[0] = share
            if not Profile.objects.filter(pk=profile_id, status=ProfileStatus.RUNNING).update(
                    progress=round(share, 4)):
                raise _Cancelled

    def table_done(table: str, rows: int, seconds: float) -> None:
        with transaction.atomic():
            locked = _locked(profile_id)
            if locked is None or locked.status != ProfileStatus.RUNNING:
                raise _Cancelled
            _event(locked, EventType.CHUNK_DONE, f"table {table} profiled in {seconds:.2f} s with {rows} rows",
                   chunk=table, rows=rows, seconds=seconds, worker=worker)

    began = timezone.now()
    try:
        result = profile_tables(_sources(profile), progress, table_done)
        result["names"] = spec_names(result)
        spec = infer_spec(result, approved=set(profile.approved_categories), name=f"profile-{profile_id}")
        parse_spec(spec)
    except _Cancelled:
        return "cancelled"
    except SpecError as exc:
        # The problems name paths of the inferred document, never values.
        logger.error("profile %s: the inferred spec is not valid: %s", profile_id, "; ".join(
            p.path for p in exc.problems))
        return _fail(profile_id, "The inferred spec is not valid; this is a bug of the profiler.",
                     event="failed: the inferred spec is not valid (SpecError)")
    except Exception as exc:  # noqa: BLE001 - any failure is the profile's, recorded without its text
        # The exception's text may quote a value of the sample: only its type is logged.
        logger.error("profile %s failed: %s", profile_id, type(exc).__name__)
        return _fail(profile_id, "Reading or profiling the samples failed.",
                     event=f"failed with {type(exc).__name__} while reading or profiling the samples")
    with transaction.atomic():
        locked = _locked(profile_id)
        if locked is None or locked.status != ProfileStatus.RUNNING:
            return "cancelled"
        now = timezone.now()
        Profile.all_objects.filter(pk=profile_id).update(
            status=ProfileStatus.SUCCEEDED, progress=1.0, result=result, spec=spec, finished_at=now, error="",
            updated_at=now)
        seconds = (now - began).total_seconds()
        _event(locked, EventType.SUCCEEDED, f"succeeded: {len(result.get('tables', {}))} tables in {seconds:.1f} s",
               seconds=seconds)
        transaction.on_commit(lambda: metrics.observe_job(JobKind.PROFILE, ProfileStatus.SUCCEEDED, seconds))
    return "succeeded"


def _fail(profile_id: int, message: str, *, event: str) -> str:
    """`message` is the profile's error (shown to its users); `event` says what failed, by exception class."""
    with transaction.atomic():
        locked = _locked(profile_id)
        if locked is None or locked.status != ProfileStatus.RUNNING:
            return "cancelled"
        now = timezone.now()
        Profile.all_objects.filter(pk=profile_id).update(status=ProfileStatus.FAILED, error=message, finished_at=now,
                                                         updated_at=now)
        seconds = metrics.seconds_between(locked.started_at, now)
        _event(locked, EventType.FAILED, event, seconds=seconds)
        transaction.on_commit(lambda: metrics.observe_job(JobKind.PROFILE, ProfileStatus.FAILED, seconds))
    return "failed"


@transaction.atomic
def profile_cancel(*, profile: Profile, actor) -> Profile:
    """Stop a queued or running profile: a running one stops at its next progress step or table."""
    locked = _locked(profile.pk)
    if locked is None or locked.status in FINISHED_STATUSES:
        raise Conflict(f"Only a queued or running profile can be cancelled; this one is "
                       f"{locked.status if locked else 'gone'}.")
    before = locked.status
    locked.status, locked.finished_at = ProfileStatus.CANCELLED, timezone.now()
    locked.save(update_fields=["status", "finished_at", "updated_at"])
    _event(locked, EventType.CANCELLED, f"cancelled by {events.actor_name(actor)}")
    audit_record(action="profile.cancel", actor=actor, tenant=locked.tenant, target=locked,
                 before={"status": before}, after={"status": locked.status})
    return locked


def _category_columns(profile: Profile) -> set[str]:
    return {f"{table}.{column}" for table, info in (profile.result.get("tables") or {}).items()
            for column, cinfo in info["columns"].items() if cinfo.get("category") and cinfo["kind"] != "bool"}


@transaction.atomic
def profile_review(*, profile: Profile, actor, approved_categories: list[str] | None = None,
                   spec: dict | None = None) -> Profile:
    """The user's review: which category lists may keep their values (the spec is inferred again), and/or
    an edited spec (validated; it replaces the inferred one)."""
    from apps.datasets.specs import parse_or_400

    if profile.status != ProfileStatus.SUCCEEDED:
        raise Conflict("The profile has not finished: review it once it has succeeded.")
    changed = {}
    if approved_categories is not None:
        known = _category_columns(profile)
        unknown = [name for name in approved_categories if name not in known]
        if unknown:
            raise ServiceValidationError([("approved_categories", f"'{unknown[0]}' is not a category column of "
                                                                   "this profile (table.column)")])
        profile.approved_categories = sorted(set(approved_categories))
        profile.spec = infer_spec(profile.result, approved=set(profile.approved_categories),
                                  name=profile.spec.get("name") or f"profile-{profile.pk}")
        changed["approved_categories"] = profile.approved_categories
    if spec is not None:
        parse_or_400(spec, max_rows=profile.tenant.max_rows_per_version)
        profile.spec = spec
        changed["spec_edited"] = True
    profile.save(update_fields=["approved_categories", "spec", "updated_at"])
    audit_record(action="profile.review", actor=actor, tenant=profile.tenant, target=profile, after=changed)
    return profile


def profile_dataset(*, profile: Profile, actor, name: str = "", spec: dict | None = None):
    """A dataset from the reviewed spec (or `spec`, an edit given with the request), through the dataset
    service (its validation, permissions and audit)."""
    from apps.datasets.services import dataset_create

    if profile.status != ProfileStatus.SUCCEEDED:
        raise Conflict("The profile has not finished: a dataset is made from a succeeded profile.")
    with transaction.atomic():
        dataset = dataset_create(tenant=profile.tenant, actor=actor, name=name, spec=spec or profile.spec)
        Profile.objects.filter(pk=profile.pk).update(created_dataset_id=dataset.pk)
        audit_record(action="profile.dataset", actor=actor, tenant=profile.tenant, target=profile,
                     after={"dataset": dataset.pk})
    return dataset


def profile_purge(*, profile: Profile, actor) -> None:
    """The profile and its samples (rows and files), for good: samples are real data and go with it."""
    samples = list(profile.samples.all())
    names = [sample.file.name for sample in samples]
    with transaction.atomic():
        audit_record(action="profile.purge", actor=actor, tenant=profile.tenant, target=profile,
                     after={"samples": [s.pk for s in samples]})
        for sample in samples:
            audit_record(action="sample.purge", actor=actor, tenant=sample.tenant, target=sample)
        profile.delete()
        Sample.all_objects.filter(pk__in=[s.pk for s in samples]).delete()
    transaction.on_commit(lambda: [_purge_sample_file(name) for name in names])
