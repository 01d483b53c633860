"""Every write of exports, target connections and pushes.

Exports and pushes are queued: the request creates the row and answers 202, the dispatcher puts its task on
the broker once the transaction commits (or when the broker is back), the task does the work under a lease
(apps.exports.runs) and records the outcome on the row, where clients poll it.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import traceback
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection as platform_connection
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, Gone, ServiceValidationError
from apps.datasets.models import VersionStatus
from apps.datasets.selectors import dataset_for_action, versions_of
from apps.datasets.specs import parse_or_400
from apps.generation.dispatch import dispatch_on_commit
from apps.observability import events, metrics
from apps.observability.models import EventType

from . import push as push_engine
from .encryption import encrypt_secret
from .failures import classify_export, classify_push, failure, log_failure
from .files import BUNDLE_INNER_FORMATS, download_filename, ordered_tables, output_type, pki_problems, write_export
from .models import Export, ExportFormat, FailureReason, Push, RunStatus, TargetConnection
from .runs import (
    lease_renewed,
    on_usable_connection,
    run_claim,
    run_event,
    runs_reap,
    save_whole,
    still_ours,
    worker_name,
)
from .signals import export_ready
from .targets import TargetNotAllowed, check_target
from .writers import DIALECTS
from .writers.streams import ForwardingWriter

logger = logging.getLogger(__name__)

RUN_EXPORT_TASK = "apps.exports.tasks.run_export"
RUN_PUSH_TASK = "apps.exports.tasks.run_push"
TEST_NAME_SUFFIXES = ("_test", "_demo", "_dev", "_ci")
_SPOOL_BYTES = 8 * 2**20  # an export smaller than this is staged in memory, larger ones on disk


# ----------------------------------------------------------------------------- shared validation
def _check_bool(value, path: str, problems: list) -> bool:
    if not isinstance(value, bool):
        problems.append((path, "must be true or false"))
    return bool(value)


def export_options_clean(*, fmt: str, options: Mapping | None) -> tuple[dict, list[tuple[str, str]]]:
    """The options with defaults filled in, and every problem as (path, message)."""
    problems: list[tuple[str, str]] = []
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        return {}, [("options", "must be an object")]
    inner = fmt
    known: dict[str, object] = {}
    if fmt == ExportFormat.BUNDLE:
        inner = options.get("inner_format", "csv")
        if inner not in BUNDLE_INNER_FORMATS:
            problems.append(("options.inner_format", f"must be one of {', '.join(BUNDLE_INNER_FORMATS)}"))
        known["inner_format"] = inner
    if inner == ExportFormat.CSV:
        known["neutralise_formulas"] = _check_bool(options.get("neutralise_formulas", True),
                                                   "options.neutralise_formulas", problems)
    if inner == ExportFormat.SQL:
        dialect = options.get("dialect", "postgresql")
        if dialect not in DIALECTS:
            problems.append(("options.dialect", f"must be one of {', '.join(DIALECTS)}"))
        known["dialect"] = dialect
    for key in options:
        if key not in known:
            problems.append((f"options.{key}", f"is not an option of the {fmt} format"
                                               + (f" with inner format {inner}" if fmt == "bundle" else "")))
    return known, problems


def export_tables_clean(*, version, doc: Mapping, tables) -> tuple[list[str], list[tuple[str, str]]]:
    """The chosen tables parents first (all of the version's when none are given), and every problem."""
    available = [name for name in version.row_counts if name in doc["tables"]]
    if tables is None:
        return ordered_tables(doc, available), []
    if not isinstance(tables, list) or not tables:
        return [], [("tables", "must be a non-empty list of table names")]
    problems = []
    seen = set()
    for index, table in enumerate(tables):
        if table not in available:
            problems.append((f"tables.{index}", f"unknown table '{table}'; this version has {', '.join(available)}"))
        elif table in seen:
            problems.append((f"tables.{index}", f"'{table}' is listed twice"))
        seen.add(table)
    return ordered_tables(doc, seen & set(available)), problems


def _dataset_and_version(*, actor, tenant, dataset_id, version_number, problems: list):
    """The dataset (with the `export` permission: data leaves the platform) and its ready version."""
    try:
        dataset = dataset_for_action(user=actor, tenant=tenant, pk=dataset_id, action="export")
    except Http404:
        problems.append(("dataset", f"no dataset {dataset_id} that you may view in this tenant"))
        return None, None
    version = versions_of(dataset=dataset).filter(number=version_number).first()
    if version is None:
        problems.append(("version", f"dataset {dataset.pk} has no version {version_number}"))
    elif version.status != VersionStatus.READY:
        problems.append(("version", f"version {version_number} is {version.status}; only a ready version can be "
                                    "exported or pushed"))
        version = None
    return dataset, version


def version_doc(version) -> dict:
    """The normalised document the version was generated from (what the writers type their output by)."""
    return parse_or_400(version.spec_snapshot).doc


# ----------------------------------------------------------------------------- exports
def _export_summary(export: Export) -> dict:
    return {"status": export.status, "format": export.format, "tables": export.tables, "options": export.options,
            "version": export.version.number, "size_bytes": export.size_bytes, "sha256": export.sha256,
            "row_counts": export.row_counts, "error_code": export.error_code, "error": export.error}


@transaction.atomic
def export_create(*, tenant, actor, dataset_id: int, version_number: int, fmt: str, tables: list | None = None,
                  options: Mapping | None = None) -> Export:
    """A queued export of a ready version; the dispatcher queues its task once this transaction commits."""
    problems: list[tuple[str, str]] = []
    dataset, version = _dataset_and_version(actor=actor, tenant=tenant, dataset_id=dataset_id,
                                            version_number=version_number, problems=problems)
    if fmt not in ExportFormat.values:
        problems.append(("format", f"must be one of {', '.join(ExportFormat.values)}"))
        options = None
    clean_options, option_problems = export_options_clean(fmt=fmt, options=options)
    problems.extend(option_problems)
    clean_tables = []
    if version is not None:
        doc = version_doc(version)
        clean_tables, table_problems = export_tables_clean(version=version, doc=doc, tables=tables)
        problems.extend(table_problems)
        if fmt == ExportFormat.PKI and not table_problems:
            problems.extend(pki_problems(doc, clean_tables))
    if problems:
        raise ServiceValidationError(problems)
    _, content_type = output_type(fmt, clean_tables)
    export = Export.objects.create(
        tenant=tenant, dataset=dataset, version=version, format=fmt, tables=clean_tables, options=clean_options,
        requested_by=actor, content_type=content_type,
    )
    # The name carries the export's id, known once the row exists.
    export.filename = download_filename(dataset_name=dataset.name, version_number=version.number, fmt=fmt,
                                        tables=clean_tables, export_id=export.pk, options=clean_options)
    export.save(update_fields=["filename"])
    run_event(export, EventType.QUEUED, f"queued: {fmt} of version {version.number} ({len(clean_tables)} tables), "
                                        f"requested by {events.actor_name(actor)}")
    audit_record(action="export.create", actor=actor, tenant=tenant, target=export, after=_export_summary(export))
    dispatch_on_commit()
    return export


def _run_metrics(kind: str, status: str, seconds: float | None, rows: int) -> None:
    metrics.observe_job(kind, status, seconds)
    if rows:
        metrics.EXPORTED_ROWS.labels(kind=kind).inc(rows)


def _release_after(exc: BaseException) -> None:
    """Let go of what a failure mid-stream left open on the platform connection.

    A reader of records stopped by an error keeps its COPY open (and psycopg's connection lock held) for as
    long as something refers to it, and the exception's traceback does; the failure's own write on that
    connection would wait on it for ever. Clearing the finished frames closes the readers (their COPY is
    cancelled); a connection still busy after that is closed, and the next query opens a fresh one.
    """
    traceback.clear_frames(exc.__traceback__)
    raw = platform_connection.connection
    if platform_connection.vendor != "postgresql" or raw is None:
        return
    from psycopg.pq import TransactionStatus

    if raw.closed or raw.info.transaction_status in (TransactionStatus.ACTIVE, TransactionStatus.UNKNOWN):
        platform_connection.close()


def export_run(*, export_id: int) -> str:
    """Write the export's file through the default storage; returns what happened (for the queue's log).

    The export is claimed under a lease renewed while it runs; a worker killed meanwhile lets the lease run
    out and the reaper queues the export again (bounded by attempts). The file is staged, then saved so that
    it appears under its name only when complete. A failure anywhere marks the export failed with a reason
    category, removes what was written and releases the platform connection; it never leaves it `running`.
    """
    worker = worker_name()
    export = run_claim(Export, export_id, worker=worker)
    if export is None:
        return "skipped"
    version = export.version
    stored_name = ""
    # Storage names never carry user input; the random part keeps them unguessable.
    name = ""
    try:
        extension, _ = output_type(export.format, export.tables)
        with lease_renewed(Export, export.pk, worker=worker), tempfile.SpooledTemporaryFile(
                max_size=_SPOOL_BYTES, prefix="synthhub-export-") as staging:
            sink = ForwardingWriter(staging, sha256=True)
            row_counts = write_export(sink, version=version, doc=version_doc(version),
                                      dataset_name=export.dataset.name, fmt=export.format, tables=export.tables,
                                      options=export.options)
            sink.flush()
            staging.seek(0)
            name = f"exports/{export.tenant_id}/{export.pk}-{secrets.token_hex(8)}.{extension}"
            stored_name = save_whole(staging, final_name=name)
        now = timezone.now()
        with transaction.atomic():
            if still_ours(Export, export.pk, worker=worker) is None:
                raise _NoLongerOurs
            export.file.name = stored_name
            export.size_bytes, export.sha256, export.row_counts = sink.bytes_written, sink.sha256, row_counts
            export.status, export.finished_at, export.error, export.error_code = RunStatus.SUCCEEDED, now, "", ""
            export.expires_at = now + timedelta(hours=settings.SYNTHHUB_EXPORT_TTL_HOURS)
            export.lease_expires_at = None
            export.save()
            seconds = metrics.seconds_between(export.started_at, now)
            rows = sum(row_counts.values())
            run_event(export, EventType.SUCCEEDED, f"succeeded: {rows} rows, {sink.bytes_written} bytes in "
                                                   f"{seconds or 0:.1f} s", rows=rows, seconds=seconds)
            transaction.on_commit(lambda: _run_metrics("export", RunStatus.SUCCEEDED, seconds, rows))
            audit_record(action="export.succeed", actor=export.requested_by, tenant=export.tenant_id,
                         target=export, after=_export_summary(export))
            export_ready.send(sender=Export, export=export)
        return "succeeded"
    except _NoLongerOurs:
        _remove_partial_file(stored_name)
        return "skipped"
    except Exception as exc:
        code, message = classify_export(exc)
        log_failure(logger, what="export", pk=export.pk, code=code, exc=exc)
        _release_after(exc)
        _remove_partial_file(stored_name or name)
        on_usable_connection(lambda: _export_failed(export, code, message, worker=worker))
        return "failed"


class _NoLongerOurs(Exception):
    """The lease ran out while this worker was stopped and the reaper handed the row on: its work is void."""


def _remove_partial_file(name: str) -> None:
    """A file saved, or half-saved when storage failed, before the export failed."""
    if not name:
        return
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except OSError:
        logger.warning("could not remove the partial export file %s", name)


def _export_failed(export: Export, code: str, message: str, *, worker: str | None = None) -> None:
    with transaction.atomic():
        if worker is not None and still_ours(Export, export.pk, worker=worker) is None:
            return  # the reaper handed it on meanwhile; the failure of a void run is not the export's
        export.file.name = ""
        export.status, export.error_code, export.error = RunStatus.FAILED, code, message[:2000]
        export.finished_at, export.lease_expires_at = timezone.now(), None
        export.save(update_fields=["file", "status", "error_code", "error", "finished_at", "lease_expires_at",
                                   "updated_at"])
        seconds = metrics.seconds_between(export.started_at, export.finished_at)
        run_event(export, EventType.FAILED, f"failed ({code}): {export.error}", seconds=seconds)
        transaction.on_commit(lambda: _run_metrics("export", RunStatus.FAILED, seconds, 0))
        audit_record(action="export.fail", actor=export.requested_by, tenant=export.tenant_id, target=export,
                     after=_export_summary(export))


def export_to_path(*, version, fmt: str, path, tables: list | None = None, options: Mapping | None = None,
                   actor=None) -> dict:
    """Write an export of a ready version straight to a file path (commands, the demo); no storage, no row.

    The file appears whole or not at all: it is written beside its destination and renamed into place.
    Returns {path, row_counts, size_bytes, sha256}; audited as `export.write`.
    """
    import os
    from pathlib import Path

    problems: list[tuple[str, str]] = []
    if fmt not in ExportFormat.values:
        problems.append(("format", f"must be one of {', '.join(ExportFormat.values)}"))
        options = None
    if version.status != VersionStatus.READY:
        problems.append(("version", f"version {version.number} is {version.status}; only a ready version can be "
                                    "exported"))
    clean_options, option_problems = export_options_clean(fmt=fmt, options=options)
    problems.extend(option_problems)
    doc = version_doc(version)
    clean_tables, table_problems = export_tables_clean(version=version, doc=doc, tables=tables)
    problems.extend(table_problems)
    if fmt == ExportFormat.PKI and not table_problems:
        problems.extend(pki_problems(doc, clean_tables))
    if problems:
        raise ServiceValidationError(problems)
    destination = Path(path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=destination.parent, prefix=f".{destination.name}.", delete=False) as out:
        try:
            sink = ForwardingWriter(out, sha256=True)
            row_counts = write_export(sink, version=version, doc=doc, dataset_name=version.dataset.name, fmt=fmt,
                                      tables=clean_tables, options=clean_options)
            sink.flush()
        except BaseException:
            out.close()
            os.unlink(out.name)
            raise
    os.chmod(out.name, 0o644)  # a temporary file is private to its owner; the export is an ordinary file
    os.replace(out.name, destination)
    result = {"path": str(destination), "format": fmt, "tables": clean_tables, "options": clean_options,
              "row_counts": row_counts, "size_bytes": sink.bytes_written, "sha256": sink.sha256}
    with transaction.atomic():
        audit_record(action="export.write", actor=actor, tenant=version.tenant_id, target=version, after=result)
    return result


def export_is_expired(export: Export, *, now=None) -> bool:
    return export.expires_at is not None and export.expires_at <= (now or timezone.now())


def export_download(*, export: Export, actor):
    """Open the export's file for a download and audit it: (binary file, download name, content type)."""
    if export.status == RunStatus.SUCCEEDED and (export_is_expired(export) or not export.file):
        raise Gone("This export has expired and its file was removed; make a new export.")
    if export.status != RunStatus.SUCCEEDED:
        raise Conflict(f"This export is {export.status}; only a succeeded export can be downloaded.")
    try:
        handle = export.file.storage.open(export.file.name, "rb")
    except FileNotFoundError as exc:
        raise Gone("This export's file is no longer in storage; make a new export.") from exc
    with transaction.atomic():
        audit_record(action="export.download", actor=actor, tenant=export.tenant_id, target=export,
                     after={"filename": export.filename, "size_bytes": export.size_bytes, "sha256": export.sha256})
    return handle, export.filename, export.content_type


@transaction.atomic
def export_delete(*, export: Export, actor) -> None:
    """To the trash: the file stays until it expires, so a restore brings it back."""
    export.mark_deleted(by=actor)
    audit_record(action="export.delete", actor=actor, tenant=export.tenant_id, target=export)


@transaction.atomic
def export_restore(*, export: Export, actor) -> Export:
    export.mark_restored()
    audit_record(action="export.restore", actor=actor, tenant=export.tenant_id, target=export)
    return export


def _remove_file(export: Export) -> None:
    if export.file:
        export.file.storage.delete(export.file.name)


def exports_expire(*, now=None, retention_days: int | None = None) -> dict[str, int]:
    """The schedule's work: remove files of expired exports, purge exports in the trash past the retention
    period (with their files), and fail exports and pushes left running from before they had leases (those
    with a lease are the reaper's: exports_reap)."""
    now = now or timezone.now()
    days = settings.SYNTHHUB_TRASH_RETENTION_DAYS if retention_days is None else retention_days
    counts = {"expired": 0, "purged": 0, "stalled": 0}
    for export in Export.all_objects.filter(expires_at__lte=now).exclude(file=""):
        _remove_file(export)
        with transaction.atomic():
            Export.all_objects.filter(pk=export.pk).update(file="", updated_at=now)
            audit_record(action="export.expire", tenant=export.tenant_id, target=export,
                         after={"expires_at": export.expires_at})
        counts["expired"] += 1
    for export in Export.all_objects.filter(deleted_at__lt=now - timedelta(days=days)):
        _remove_file(export)
        with transaction.atomic():
            audit_record(action="export.purge", tenant=export.tenant_id, target=export)
            export.delete()
        counts["purged"] += 1
    # A task that ran longer than the queue allows has been dropped by its worker: nothing will finish it.
    stalled_before = now - timedelta(seconds=2 * int(settings.Q_CLUSTER.get("timeout") or 600))
    for model in (Export, Push):
        for row in model._base_manager.filter(status=RunStatus.RUNNING, started_at__lt=stalled_before,
                                              lease_expires_at__isnull=True):
            code, message = failure(FailureReason.STALLED)
            if model is Export:
                _export_failed(row, code, message)
            else:
                _push_failed(row, code, message)
            counts["stalled"] += 1
    return counts


def exports_reap(*, now=None) -> dict[str, int]:
    """Exports and pushes whose worker stopped (lease expired): queued again while they have attempts left,
    then failed as `stalled`. Run by `manage.py synthhub_scheduler`."""

    def fail(model, row):
        code, message = failure(FailureReason.STALLED, "its worker stopped before it finished, on every attempt")
        if model is Export:
            _export_failed(row, code, message)
        else:
            _push_failed(row, code, message)

    return runs_reap(now=now, fail=fail)


# ----------------------------------------------------------------------------- target connections
TARGET_FIELDS = ("name", "host", "port", "dbname", "user", "sslmode")
NON_TEST_NAME_SETTING = "SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES"


def _target_snapshot(target: TargetConnection) -> dict:
    return {**{field: getattr(target, field) for field in TARGET_FIELDS}, "password_set": target.has_password}


def db_name_allowed(dbname: str) -> bool:
    """Test-looking database names only, unless the operator allows any (an operator setting, not a role)."""
    return bool(getattr(settings, NON_TEST_NAME_SETTING, False)) or dbname.lower().endswith(TEST_NAME_SUFFIXES)


def _parse_dsn(dsn: str) -> tuple[dict, list[tuple[str, str]]]:
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # psycopg raises ProgrammingError for a malformed string; its text may echo the input
        return {}, [("dsn", "not a PostgreSQL connection string")]
    allowed = ("host", "port", "dbname", "user", "password", "sslmode")
    problems = [(f"dsn.{key}", "is not supported here") for key in parts if key not in allowed]
    return {key: value for key, value in parts.items() if key in allowed}, problems


def target_problems(values: dict) -> list[tuple[str, str]]:
    """Every problem of a target's fields as (path, message); fills in the port as an integer.

    Beyond the shapes: the host must be on the operator's allow-list, the database must not be the
    platform's own, and its name must look like a test database's unless the operator allows any.
    """
    problems: list[tuple[str, str]] = []
    for field in ("name", "host", "dbname", "user"):
        if not str(values.get(field) or "").strip():
            problems.append((field, "required"))
    port = values.get("port", 5432)
    try:
        values["port"] = int(port)
        if not 0 < values["port"] < 65536:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(("port", "must be a port number from 1 to 65535"))
    if values.get("sslmode", "prefer") not in dict(TargetConnection._meta.get_field("sslmode").choices):
        problems.append(("sslmode", "must be one of disable, allow, prefer, require, verify-ca, verify-full"))
    dbname = str(values.get("dbname") or "")
    if len(dbname) > 63:
        problems.append(("dbname", "PostgreSQL database names have at most 63 characters"))
    elif dbname and not db_name_allowed(dbname):
        problems.append(("dbname", _name_rule_message(dbname)))
    if problems:
        return problems
    try:
        check_target(host=str(values["host"]).strip(), port=values["port"], dbname=dbname)
    except TargetNotAllowed as exc:
        problems.append((exc.path, str(exc)))
    return problems


@transaction.atomic
def target_create(*, tenant, actor, dsn: str | None = None, password: str | None = None, **fields) -> TargetConnection:
    """A target connection; from fields, or from a DSN whose parts fill the fields not given."""
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(fields) - set(TARGET_FIELDS))
    problems.extend((key, "is not a field of a target connection") for key in unknown)
    values = {}
    if dsn:
        parsed, dsn_problems = _parse_dsn(dsn)
        problems.extend(dsn_problems)
        if password is None:
            password = parsed.pop("password", None)
        parsed.pop("password", None)
        values.update(parsed)
    values.update({key: value for key, value in fields.items() if key in TARGET_FIELDS and value is not None})
    problems.extend(target_problems(values))
    if values.get("name") and TargetConnection.objects.filter(tenant=tenant, name=values["name"]).exists():
        problems.append(("name", f"a target named '{values['name']}' already exists in this tenant"))
    if problems:
        raise ServiceValidationError(problems)
    target = TargetConnection.objects.create(tenant=tenant, created_by=actor, password_encrypted=encrypt_secret(
        password or ""), **values)
    audit_record(action="target.create", actor=actor, tenant=tenant, target=target, after=_target_snapshot(target))
    return target


@transaction.atomic
def target_update(*, target: TargetConnection, actor, password: str | None = None, **changes) -> TargetConnection:
    """Change fields; `password` replaces the stored one ("" removes it, None keeps it)."""
    problems = [(key, "is not a field of a target connection") for key in sorted(set(changes) - set(TARGET_FIELDS))]
    values = {**{field: getattr(target, field) for field in TARGET_FIELDS},
              **{key: value for key, value in changes.items() if key in TARGET_FIELDS}}
    problems.extend(target_problems(values))
    if TargetConnection.objects.filter(tenant=target.tenant, name=values["name"]).exclude(pk=target.pk).exists():
        problems.append(("name", f"a target named '{values['name']}' already exists in this tenant"))
    if problems:
        raise ServiceValidationError(problems)
    before = _target_snapshot(target)
    for key, value in values.items():
        setattr(target, key, value)
    if password is not None:
        target.password_encrypted = encrypt_secret(password)
    target.save()
    after = _target_snapshot(target)
    if password is not None:
        after["password_changed"] = True
    audit_record(action="target.update", actor=actor, tenant=target.tenant, target=target, before=before,
                 after=after)
    return target


@transaction.atomic
def target_delete(*, target: TargetConnection, actor) -> None:
    # The rows go first and the audit lock last (lock order, docs/jobs.md): a push finishing at this moment
    # holds its row and then takes the audit lock, so auditing first could deadlock with it.
    before, target_id, label, tenant = _target_snapshot(target), target.pk, str(target)[:255], target.tenant
    target.delete()
    audit_record(action="target.delete", actor=actor, tenant=tenant, target_type="exports.targetconnection",
                 target_id=target_id, target_label=label, before=before)


# ----------------------------------------------------------------------------- pushes
def _push_summary(push: Push) -> dict:
    return {"status": push.status, "target": push.target.name, "database": push.target.dbname,
            "version": push.version.number, "tables": push.tables, "row_counts": push.row_counts,
            "error_code": push.error_code, "error": push.error}


def _name_rule_message(dbname: str) -> str:
    return (f"database '{dbname}' does not look like a test database (its name must end in "
            f"{', '.join(TEST_NAME_SUFFIXES)}); the platform's operator decides whether other names are "
            f"allowed ({NON_TEST_NAME_SETTING})")


def version_push(*, target: TargetConnection, actor, dataset_id: int, version_number: int,
                 tables: list | None = None, trust_service: dict | None = None) -> Push:
    """Queue a push of a ready version into the target; a production-looking database is refused (audited)."""
    if not db_name_allowed(target.dbname):
        with transaction.atomic():
            audit_record(action="push.refuse", actor=actor, tenant=target.tenant, target=target,
                         after={"database": target.dbname, "dataset": dataset_id, "version": version_number})
        raise ServiceValidationError([("target", _name_rule_message(target.dbname))])
    with transaction.atomic():
        problems: list[tuple[str, str]] = []
        dataset, version = _dataset_and_version(actor=actor, tenant=target.tenant, dataset_id=dataset_id,
                                                version_number=version_number, problems=problems)
        clean_tables, mapping = [], {}
        if version is not None and trust_service is not None:
            from apps.documents.trust_push import normalise_mapping

            mapping, mapping_problems = normalise_mapping(trust_service, version_doc(version))
            problems.extend(mapping_problems)
            if tables is not None:
                problems.append(("tables", "a trust-service push writes the mapped tables only; leave tables out"))
        elif version is not None:
            clean_tables, table_problems = export_tables_clean(version=version, doc=version_doc(version),
                                                               tables=tables)
            problems.extend(table_problems)
        if problems:
            raise ServiceValidationError(problems)
        push = Push.objects.create(tenant=target.tenant, target=target, dataset=dataset, version=version,
                                   tables=clean_tables, trust_service=mapping, requested_by=actor)
        what = f"trust-service mapping of {len(mapping)} kinds" if mapping else f"{len(clean_tables)} tables"
        run_event(push, EventType.QUEUED, f"queued: version {version.number} into target {target.name} "
                                          f"({what}), requested by {events.actor_name(actor)}")
        audit_record(action="push.start", actor=actor, tenant=target.tenant, target=push,
                     after=_push_summary(push))
        dispatch_on_commit()
    return push


def push_run(*, push_id: int) -> str:
    """Create the tables in the target database and upsert the version's rows, in one target transaction.

    The target is checked again as it connects (allow-list, resolved addresses, the platform's own
    database and tables); a refusal or an error marks the push failed with a reason category.
    """
    worker = worker_name()
    push = run_claim(Push, push_id, worker=worker)
    if push is None:
        return "skipped"
    target, version = push.target, push.version
    try:
        if not db_name_allowed(target.dbname):
            raise TargetNotAllowed(_name_rule_message(target.dbname), path="dbname")
        with lease_renewed(Push, push.pk, worker=worker):
            if push.trust_service:
                row_counts = push_engine.push_trust_service(target=target, version=version,
                                                            mapping=push.trust_service)
            else:
                row_counts = push_engine.push_version(target=target, version=version, doc=version_doc(version),
                                                      tables=push.tables)
    except Exception as exc:
        code, message = classify_push(exc)
        log_failure(logger, what="push", pk=push.pk, code=code, exc=exc)
        _release_after(exc)
        on_usable_connection(lambda: _push_failed(push, code, message, worker=worker))
        return "failed"
    with transaction.atomic():
        if still_ours(Push, push.pk, worker=worker) is None:
            return "skipped"  # the reaper handed it on while this worker was stopped; the rerun upserts again
        push.status, push.row_counts, push.finished_at = RunStatus.SUCCEEDED, row_counts, timezone.now()
        push.error, push.error_code, push.lease_expires_at = "", "", None
        push.save(update_fields=["status", "row_counts", "finished_at", "error", "error_code", "lease_expires_at",
                                 "updated_at"])
        seconds = metrics.seconds_between(push.started_at, push.finished_at)
        rows = sum(row_counts.values())
        run_event(push, EventType.SUCCEEDED, f"succeeded: {rows} rows written in {seconds or 0:.1f} s", rows=rows,
                  seconds=seconds)
        transaction.on_commit(lambda: _run_metrics("push", RunStatus.SUCCEEDED, seconds, rows))
        audit_record(action="push.succeed", actor=push.requested_by, tenant=push.tenant_id, target=push,
                     after=_push_summary(push))
    return "succeeded"


def _push_failed(push: Push, code: str, message: str, *, worker: str | None = None) -> None:
    with transaction.atomic():
        if worker is not None and still_ours(Push, push.pk, worker=worker) is None:
            return  # the reaper handed it on meanwhile; the failure of a void run is not the push's
        push.status, push.error_code, push.error = RunStatus.FAILED, code, message[:2000]
        push.finished_at, push.lease_expires_at = timezone.now(), None
        push.save(update_fields=["status", "error_code", "error", "finished_at", "lease_expires_at", "updated_at"])
        seconds = metrics.seconds_between(push.started_at, push.finished_at)
        run_event(push, EventType.FAILED, f"failed ({code}): {push.error}", seconds=seconds)
        transaction.on_commit(lambda: _run_metrics("push", RunStatus.FAILED, seconds, 0))
        audit_record(action="push.fail", actor=push.requested_by, tenant=push.tenant_id, target=push,
                     after=_push_summary(push))
