"""Schedules (create, change, delete: audited, limited per tenant) and their firing.

A schedule fires from `manage.py synthhub_scheduler` (schedules_pass): in one transaction its next time is
moved on, a run is recorded and the job is started (its chunks pending, for the dispatcher), so a broker that
is down delays the run but never loses it, and two schedulers never fire one schedule twice. Once the job
has succeeded, a later pass trashes the versions beyond the schedule's "keep last N", then queues the export
and the push; a run that cannot go on fails with a reason and sends the `schedule.failed` webhook.
A run acts as the user who created the schedule, with the permissions that user holds when it fires.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone as dj_timezone
from rest_framework.exceptions import APIException, PermissionDenied

from apps.audit.services import audit_record
from apps.core.errors import ServiceValidationError
from apps.datasets import services as dataset_services
from apps.datasets.selectors import dataset_for_action
from apps.exports import services as export_services
from apps.exports.models import ExportFormat, TargetConnection
from apps.exports.models import RunStatus as ExportStatus
from apps.generation import services as generation_services
from apps.generation.models import JobStatus
from apps.tenants.models import Membership, Role
from apps.webhooks.models import WebhookEvent
from apps.webhooks.services import webhook_emit

from .models import RunStatus, Schedule, ScheduleRun
from .timing import DEFAULT_ZONE, next_run, timing_problems

logger = logging.getLogger(__name__)

RUNS_PER_PASS = 100
MAX_KEEP_LAST = 1000
EDITABLE = ("name", "cron", "interval_seconds", "timezone", "rows_scale", "export_format", "target", "keep_last",
            "enabled")


def _snapshot(schedule: Schedule) -> dict:
    return {"name": schedule.name, "dataset": schedule.dataset_id, "cron": schedule.cron,
            "interval_seconds": schedule.interval_seconds, "timezone": schedule.timezone,
            "rows_scale": schedule.rows_scale,
            "export_format": schedule.export_format, "target": schedule.target_id, "keep_last": schedule.keep_last,
            "enabled": schedule.enabled}


def _is_admin(*, user, tenant) -> bool:
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    return membership is not None and membership.role_enum.at_least(Role.ADMIN)


def _check(schedule: Schedule, *, actor, now) -> None:
    """Every rule a schedule's fields must meet; raises ServiceValidationError with paths, or 403/404."""
    problems = []
    if not schedule.name or len(schedule.name) > 100:
        problems.append(("name", "give a name of 1 to 100 characters"))
    elif Schedule.objects.filter(tenant=schedule.tenant, name=schedule.name).exclude(pk=schedule.pk).exists():
        problems.append(("name", f"this tenant already has a schedule named '{schedule.name}'"))
    problems += timing_problems(cron=schedule.cron, interval_seconds=schedule.interval_seconds, now=now,
                                timezone=schedule.timezone)
    if not 0 < schedule.rows_scale <= 1000:
        problems.append(("rows_scale", "must be a number above 0 and at most 1000"))
    if schedule.export_format and schedule.export_format not in ExportFormat.values:
        problems.append(("export_format", f"must be one of {', '.join(ExportFormat.values)}, or empty"))
    if schedule.keep_last is not None and not 1 <= schedule.keep_last <= MAX_KEEP_LAST:
        problems.append(("keep_last", f"must be from 1 to {MAX_KEEP_LAST}, or null to keep every version"))
    if schedule.target_id is not None and schedule.target.tenant_id != schedule.tenant_id:
        problems.append(("target", "no such target connection in this tenant"))
    if problems:
        raise ServiceValidationError(problems)
    # Permissions the runs will need, held by the one who sets them up (checked again at every run).
    dataset_for_action(user=actor, tenant=schedule.tenant, pk=schedule.dataset_id, action="generate")
    if schedule.export_format:
        dataset_for_action(user=actor, tenant=schedule.tenant, pk=schedule.dataset_id, action="export")
    if schedule.target_id is not None and not _is_admin(user=actor, tenant=schedule.tenant):
        raise PermissionDenied("Pushing into a target database needs the admin role in this tenant.")


def _target(tenant, target_id):
    if target_id is None:
        return None
    target = TargetConnection.objects.filter(tenant=tenant, pk=target_id).first()
    if target is None:
        raise ServiceValidationError([("target", f"no target connection {target_id} in this tenant")])
    return target


def _dataset(*, actor, tenant, dataset_id):
    try:
        return dataset_for_action(user=actor, tenant=tenant, pk=dataset_id, action="view")
    except Http404 as exc:
        raise ServiceValidationError([("dataset", f"no dataset {dataset_id} that you may view in this tenant")]) \
            from exc


@transaction.atomic
def schedule_create(*, tenant, actor, dataset_id: int, name: str, cron: str = "", interval_seconds=None,
                    timezone: str | None = None, rows_scale: float = 1.0, export_format: str = "", target_id=None,
                    keep_last=None, enabled: bool = True) -> Schedule:
    now = dj_timezone.now()
    limit = settings.SYNTHHUB_TENANT_MAX_SCHEDULES
    if limit and Schedule.objects.filter(tenant=tenant).count() >= limit:
        raise ServiceValidationError([("", f"this tenant has {limit} schedules, the most it may have "
                                           "(SYNTHHUB_TENANT_MAX_SCHEDULES); delete one first")])
    dataset = _dataset(actor=actor, tenant=tenant, dataset_id=dataset_id)
    schedule = Schedule(tenant=tenant, dataset=dataset, name=name, cron=cron or "", interval_seconds=interval_seconds,
                        timezone=DEFAULT_ZONE if timezone is None else timezone, rows_scale=rows_scale,
                        export_format=export_format or "", target=_target(tenant, target_id), keep_last=keep_last,
                        enabled=enabled, created_by=actor)
    _check(schedule, actor=actor, now=now)
    schedule.next_run_at = next_run(cron=schedule.cron, interval_seconds=schedule.interval_seconds, after=now,
                                    timezone=schedule.timezone) if enabled else None
    schedule.save()
    audit_record(action="schedule.create", actor=actor, tenant=tenant, target=schedule, after=_snapshot(schedule))
    return schedule


@transaction.atomic
def schedule_update(*, schedule: Schedule, actor, **changes) -> Schedule:
    """Change the given fields; a changed timing (or enabling) counts from now. The runs then act as `actor`."""
    now = dj_timezone.now()
    before = _snapshot(schedule)
    changes = {key: value for key, value in changes.items() if key in EDITABLE or key == "target_id"}
    if changes.get("timezone") is None:
        changes.pop("timezone", None)
    if "target_id" in changes:
        schedule.target = _target(schedule.tenant, changes.pop("target_id"))
    if "cron" in changes and changes["cron"]:
        changes.setdefault("interval_seconds", None)  # switching to cron drops the interval, and back
    if changes.get("interval_seconds") is not None:
        changes.setdefault("cron", "")
    for key, value in changes.items():
        setattr(schedule, key, "" if key in ("cron", "export_format") and value is None else value)
    _check(schedule, actor=actor, now=now)
    timing_changed = (schedule.cron, schedule.interval_seconds, schedule.timezone, schedule.enabled) != (
        before["cron"], before["interval_seconds"], before["timezone"], before["enabled"])
    if timing_changed:
        schedule.next_run_at = next_run(cron=schedule.cron, interval_seconds=schedule.interval_seconds,
                                        after=now, timezone=schedule.timezone) if schedule.enabled else None
    schedule.created_by = actor
    schedule.save()
    audit_record(action="schedule.update", actor=actor, tenant=schedule.tenant, target=schedule, before=before,
                 after=_snapshot(schedule))
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: Schedule, actor) -> None:
    """Delete the schedule and its run history; the versions, exports and pushes it made stay."""
    audit_record(action="schedule.delete", actor=actor, tenant=schedule.tenant, target=schedule,
                 before=_snapshot(schedule))
    schedule.delete()


# ----------------------------------------------------------------------------- firing
def _reason(exc: Exception) -> str:
    """A failure in the platform's words (validation messages name the rule, never data)."""
    if isinstance(exc, Http404):
        return "the dataset is in the trash, or the schedule's creator may no longer view it"
    if isinstance(exc, ServiceValidationError):
        return "; ".join(f"{path}: {text}" if path else text for path, text in exc.problems)[:500]
    if isinstance(exc, APIException):
        return str(exc.detail)[:500]
    return "an unexpected error (see the server log)"


def _fail_run(run: ScheduleRun, reason: str) -> None:
    """Mark the run failed (audited) and queue the schedule.failed webhook, in the caller's transaction."""
    run.status, run.error, run.finished_at = RunStatus.FAILED, reason[:500], dj_timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "updated_at"])
    schedule = run.schedule
    audit_record(action="schedule.fail", actor=schedule.created_by, tenant=run.tenant_id, target=schedule,
                 after={"run": run.pk, "job": run.job_id, "reason": run.error})
    webhook_emit(tenant_id=run.tenant_id, event=WebhookEvent.SCHEDULE_FAILED, data={
        "schedule": schedule.pk, "name": schedule.name, "dataset": schedule.dataset_id, "run": run.pk,
        "job": run.job_id, "reason": run.error})


def schedule_fire(*, schedule_id: int, now=None) -> ScheduleRun | None:
    """Fire the schedule if it is due: move its next time on, record a run and start its job, in one
    transaction. Returns the run, or None when the schedule is not due (or another scheduler has it)."""
    now = now or dj_timezone.now()
    with transaction.atomic():
        schedule = (Schedule.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
                    .select_related("tenant", "created_by")
                    .filter(pk=schedule_id, enabled=True, next_run_at__lte=now).first())
        if schedule is None:
            return None
        schedule.last_run_at = now
        schedule.next_run_at = next_run(cron=schedule.cron, interval_seconds=schedule.interval_seconds, after=now,
                                        timezone=schedule.timezone)
        schedule.save(update_fields=["last_run_at", "next_run_at", "updated_at"])
        busy = ScheduleRun.objects.filter(schedule=schedule,
                                          status__in=[RunStatus.GENERATING, RunStatus.DELIVERING]).exists()
        run = ScheduleRun.objects.create(tenant=schedule.tenant, schedule=schedule)
        if busy:
            _fail_run(run, "skipped: the schedule's previous run has not finished")
            return run
        try:
            with transaction.atomic():
                actor = schedule.created_by
                if actor is None:
                    raise ServiceValidationError("the user who set up the schedule no longer exists")
                dataset = dataset_for_action(user=actor, tenant=schedule.tenant, pk=schedule.dataset_id,
                                             action="generate")
                job = generation_services.job_start(dataset=dataset, actor=actor, rows_scale=schedule.rows_scale)
        except Exception as exc:  # noqa: BLE001 - the run fails with a reason; the schedule fires again next time
            if not isinstance(exc, (Http404, APIException)):
                logger.exception("schedule %s could not start its job", schedule.pk)
            _fail_run(run, _reason(exc))
            return run
        run.job = job
        run.save(update_fields=["job", "updated_at"])
        audit_record(action="schedule.fire", actor=actor, tenant=schedule.tenant, target=schedule,
                     after={"run": run.pk, "job": job.pk, "version": job.version.number})
    return run


def schedules_fire_due(*, now=None) -> int:
    now = now or dj_timezone.now()
    due = list(Schedule.objects.filter(enabled=True, next_run_at__lte=now).order_by("next_run_at")
               .values_list("pk", flat=True)[:RUNS_PER_PASS])
    return sum(1 for pk in due if schedule_fire(schedule_id=pk, now=now) is not None)


def _trash_old_versions(run: ScheduleRun) -> int:
    """Versions this schedule made beyond its newest `keep_last` ready ones go to the trash (audited)."""
    schedule = run.schedule
    if not schedule.keep_last:
        return 0
    made = (ScheduleRun.objects.filter(schedule=schedule, job__status=JobStatus.SUCCEEDED,
                                       job__version__deleted_at__isnull=True)
            .select_related("job__version").order_by("-job_id"))
    trashed = 0
    for old in list(made)[schedule.keep_last:]:
        dataset_services.version_delete(version=old.job.version, actor=schedule.created_by)
        trashed += 1
    return trashed


def _deliver(run: ScheduleRun) -> None:
    """Queue the export and the push of the run's new version (each needs its permission at this moment)."""
    schedule, version = run.schedule, run.job.version
    actor = schedule.created_by
    if schedule.export_format:
        run.export = export_services.export_create(tenant=run.tenant, actor=actor, dataset_id=schedule.dataset_id,
                                                   version_number=version.number, fmt=schedule.export_format)
    if schedule.target_id is not None:
        if not _is_admin(user=actor, tenant=run.tenant):
            raise PermissionDenied("the schedule's creator no longer holds the admin role needed to push")
        run.push = export_services.version_push(target=schedule.target, actor=actor, dataset_id=schedule.dataset_id,
                                                version_number=version.number)


def _advance(run: ScheduleRun) -> str | None:
    """Move one unfinished run on; returns its new status when it changed."""
    if run.status == RunStatus.GENERATING:
        job = run.job
        if job is None:
            _fail_run(run, "its generation job was deleted")
            return RunStatus.FAILED
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            return None
        if job.status != JobStatus.SUCCEEDED:
            _fail_run(run, f"its generation job {job.pk} {job.status}")
            return RunStatus.FAILED
        # Versions are trashed before anything is audited in this transaction (the lock order).
        _trash_old_versions(run)
        try:
            with transaction.atomic():
                _deliver(run)
        except Exception as exc:  # noqa: BLE001 - the run fails with a reason instead of blocking the pass
            if not isinstance(exc, (Http404, APIException)):
                logger.exception("schedule run %s could not queue its export or push", run.pk)
            _fail_run(run, _reason(exc))
            return RunStatus.FAILED
        delivering = run.export_id is not None or run.push_id is not None
        run.status = RunStatus.DELIVERING if delivering else RunStatus.SUCCEEDED
        run.finished_at = None if delivering else dj_timezone.now()
        run.save(update_fields=["status", "export", "push", "finished_at", "updated_at"])
        return run.status
    runs = [item for item in (run.export, run.push) if item is not None]
    failed = [item for item in runs if item.status == ExportStatus.FAILED]
    if failed:
        what = "export" if failed[0] is run.export else "push"
        _fail_run(run, f"its {what} {failed[0].pk} failed ({failed[0].error_code or 'error'})")
        return RunStatus.FAILED
    if all(item.status == ExportStatus.SUCCEEDED for item in runs):
        run.status, run.finished_at = RunStatus.SUCCEEDED, dj_timezone.now()
        run.save(update_fields=["status", "finished_at", "updated_at"])
        return run.status
    return None


def schedule_runs_advance() -> dict[str, int]:
    """Move every unfinished run on whose job, export or push has finished; each in its own transaction."""
    done = {"runs_succeeded": 0, "runs_failed": 0}
    pending = list(ScheduleRun.objects.filter(status__in=[RunStatus.GENERATING, RunStatus.DELIVERING])
                   .order_by("id").values_list("pk", flat=True)[:RUNS_PER_PASS])
    for pk in pending:
        with transaction.atomic():
            run = (ScheduleRun.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
                   .select_related("schedule__created_by", "schedule__target", "job__version", "export", "push")
                   .filter(pk=pk, status__in=[RunStatus.GENERATING, RunStatus.DELIVERING]).first())
            if run is None:
                continue
            status = _advance(run)
        if status == RunStatus.SUCCEEDED:
            done["runs_succeeded"] += 1
        elif status == RunStatus.FAILED:
            done["runs_failed"] += 1
    return done


def schedules_pass(*, now=None) -> dict[str, int]:
    """The scheduler's step for schedules: fire what is due, then move runs on."""
    return {"schedules_fired": schedules_fire_due(now=now), **schedule_runs_advance()}
