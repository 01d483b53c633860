"""The dispatcher: the half of the transactional outbox that talks to the broker.

The rows are the truth. A request commits its chunks (or its export or push) as pending and answers; the
dispatcher puts on the broker what is pending and not yet enqueued, and again what was enqueued long ago
(`SYNTHHUB_DISPATCH_REDELIVER_SECONDS`) and is still pending: the broker or a dead cluster lost it. So a broker
that is down delays work until it is back, it never fails a request, and a lost task is redone.

Chunks are enqueued fairly: round-robin over the tenants that have pending chunks, and at most
`SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS` chunks of one tenant running or waiting on the broker at a time, so the
broker never holds a long run of one tenant's chunks in front of another tenant's first one. The dispatcher
runs when work is created, when a chunk finishes, and every second in `manage.py synthhub_scheduler`.

A task delivered twice is harmless: a chunk, an export or a push is claimed only while it is pending, so the
second delivery is skipped without counting an attempt.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from itertools import zip_longest

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.tasks import async_task

from apps.audit.services import audit_record
from apps.observability import events
from apps.observability.models import EventType, JobKind

from .models import ChunkStatus, GenerationJob, JobChunk, JobStatus

logger = logging.getLogger(__name__)

RUN_CHUNK_TASK = "apps.generation.tasks.run_chunk"
LIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
# Without a per-tenant cap, one pass enqueues at most this many chunks (the next pass takes the rest).
UNCAPPED_BATCH = 500

_local = threading.local()


class BrokerUnavailable(Exception):
    """The broker refused a task; what was not enqueued stays pending for the next pass."""


def redeliver_after() -> timedelta:
    return timedelta(seconds=settings.SYNTHHUB_DISPATCH_REDELIVER_SECONDS)


def _waiting(queryset, *, redeliver_before):
    """Rows the broker does not hold: never enqueued, or enqueued so long ago that the task was lost."""
    return queryset.filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=redeliver_before))


def dispatch() -> dict[str, int]:
    """Enqueue what is pending (chunks fairly, then exports and pushes); returns how many of each were sent.

    Re-entrant calls in one thread do nothing: with a synchronous queue (tests, `job_run` without workers) a
    task runs inside async_task and its own dispatch call would recurse; the outer loop picks its work up.
    """
    sent = {"chunks": 0, "exports": 0, "pushes": 0}
    if getattr(_local, "active", False):
        return sent
    _local.active = True
    try:
        while True:
            chunks = _dispatch_chunks()
            runs = _dispatch_runs()
            sent["chunks"] += chunks
            sent["exports"] += runs["exports"]
            sent["pushes"] += runs["pushes"]
            if not chunks and not runs["exports"] and not runs["pushes"]:
                return sent
    except BrokerUnavailable:
        return sent
    finally:
        _local.active = False


def dispatch_safely() -> None:
    """dispatch() for request and task code paths: a broker failure is logged, never raised (the scheduler
    retries within a second)."""
    try:
        dispatch()
    except Exception:  # noqa: BLE001 - the rows stay pending; the scheduler's next pass enqueues them
        logger.warning("dispatch failed; the scheduler will retry", exc_info=True)


def dispatch_on_commit() -> None:
    transaction.on_commit(dispatch_safely)


def _tenant_order(per_tenant: dict[int, list]) -> list:
    """Round-robin: the first chunk of every tenant, then the second of every tenant, and so on."""
    ordered = []
    for row in zip_longest(*per_tenant.values()):
        ordered.extend(item for item in row if item is not None)
    return ordered


def _dispatch_chunks() -> int:
    now = timezone.now()
    redeliver_before = now - redeliver_after()
    waiting = _waiting(JobChunk.objects.filter(status=ChunkStatus.PENDING, job__status__in=LIVE_JOB_STATUSES),
                       redeliver_before=redeliver_before)
    tenants = sorted(set(waiting.values_list("job__tenant_id", flat=True).order_by()))
    if not tenants:
        return 0
    cap = settings.SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS
    busy: dict[int, int] = {}
    if cap:
        in_flight = JobChunk.objects.filter(job__status__in=LIVE_JOB_STATUSES, job__tenant_id__in=tenants).filter(
            Q(status=ChunkStatus.RUNNING) | Q(status=ChunkStatus.PENDING, enqueued_at__gte=redeliver_before))
        busy = dict(in_flight.values_list("job__tenant_id").annotate(n=Count("id")).order_by())
    per_tenant = {}
    for tenant_id in tenants:
        slots = max(cap - busy.get(tenant_id, 0), 0) if cap else UNCAPPED_BATCH
        if slots:
            per_tenant[tenant_id] = list(waiting.filter(job__tenant_id=tenant_id).order_by("job_id", "id")
                                         .values_list("id", "job_id")[:slots])
    order = _tenant_order(per_tenant)
    if not order:
        return 0
    with transaction.atomic():
        # Another dispatcher may be marking the same rows: each row is taken by one of them.
        marked = set(_waiting(JobChunk.objects.select_for_update(skip_locked=True, no_key=True).filter(
            pk__in=[chunk_id for chunk_id, _ in order], status=ChunkStatus.PENDING),
            redeliver_before=redeliver_before).values_list("id", flat=True))
        lost = JobChunk.objects.filter(pk__in=marked, enqueued_at__isnull=False)
        lost_per_job = dict(lost.values_list("job_id").annotate(n=Count("id")).order_by())
        JobChunk.objects.filter(pk__in=marked).update(enqueued_at=now, waiting_since=Coalesce("waiting_since", now))
        for job in GenerationJob.objects.select_for_update(no_key=True).filter(pk__in=lost_per_job).order_by("id"):
            events.record(kind=JobKind.GENERATION, job_id=job.pk, tenant_id=job.tenant_id, type=EventType.REQUEUED,
                          message=f"{lost_per_job[job.pk]} chunks queued again: their task was lost by the queue")
            audit_record(action="job.requeue", tenant=job.tenant_id, target=job,
                         after={"chunks_requeued": lost_per_job[job.pk], "reason": "task lost by the queue"})
    return _send([(chunk_id, job_id) for chunk_id, job_id in order if chunk_id in marked])


def _send(order: list[tuple[int, int]]) -> int:
    for index, (chunk_id, job_id) in enumerate(order):
        try:
            async_task(RUN_CHUNK_TASK, chunk_id, task_name=f"job-{job_id}-chunk-{chunk_id}", group=f"job-{job_id}")
        except Exception as exc:
            unsent = [pk for pk, _ in order[index:]]
            JobChunk.objects.filter(pk__in=unsent, status=ChunkStatus.PENDING).update(enqueued_at=None,
                                                                                      waiting_since=None)
            logger.warning("broker unavailable (%s); %d chunks stay pending", type(exc).__name__, len(unsent))
            raise BrokerUnavailable from exc
    return len(order)


def _dispatch_runs() -> dict[str, int]:
    """Queued exports and pushes (not capped: each is one task)."""
    from apps.exports.models import Export, Push, RunStatus
    from apps.exports.services import RUN_EXPORT_TASK, RUN_PUSH_TASK

    sent = {}
    for key, model, task, prefix in (("exports", Export, RUN_EXPORT_TASK, "export"),
                                     ("pushes", Push, RUN_PUSH_TASK, "push")):
        now = timezone.now()
        with transaction.atomic():
            rows = list(_waiting(model._base_manager.select_for_update(skip_locked=True, no_key=True)
                                 .filter(status=RunStatus.QUEUED), redeliver_before=now - redeliver_after())
                        .order_by("id").values_list("id", "tenant_id", "enqueued_at")[:UNCAPPED_BATCH])
            model._base_manager.filter(pk__in=[pk for pk, _, _ in rows]).update(
                enqueued_at=now, waiting_since=Coalesce("waiting_since", now))
            for pk, tenant_id, enqueued_at in rows:
                if enqueued_at is not None:
                    events.record(kind=prefix, job_id=pk, tenant_id=tenant_id, type=EventType.REQUEUED,
                                  message="queued again: its task was lost by the queue")
                    audit_record(action=f"{prefix}.requeue", tenant=tenant_id, target_type=model._meta.label_lower,
                                 target_id=pk, target_label=f"{prefix} {pk}",
                                 after={"reason": "task lost by the queue"})
        for index, (pk, _, _) in enumerate(rows):
            try:
                async_task(task, pk, task_name=f"{prefix}-{pk}")
            except Exception as exc:
                model._base_manager.filter(pk__in=[pk for pk, _, _ in rows[index:]],
                                           status=RunStatus.QUEUED).update(enqueued_at=None, waiting_since=None)
                logger.warning("broker unavailable (%s); %s stay queued", type(exc).__name__, key)
                raise BrokerUnavailable from exc
        sent[key] = len(rows)
    return sent
