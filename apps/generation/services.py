"""Generation jobs: start, run a chunk, cancel, retry, reap. Every state change happens here.

A job is its version's chunks run as separate queue tasks. A chunk runs in one transaction that locks
it, replaces its rows and marks it done, so a chunk delivered twice (in turn or at once) leaves exactly its
rows; the job finishes in the transaction of its last chunk.

Row locks follow the one lock order of apps/audit/services.py (chunk, then job, then version, then the audit
chain last), and are FOR NO KEY UPDATE: they guard status and counters, never keys, so they never block the
commit-time foreign-key checks of other transactions.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict
from apps.datasets import services as dataset_services
from apps.datasets.models import VersionStatus
from apps.observability import events, metrics
from apps.observability.models import EventType, JobKind

from .dispatch import dispatch_on_commit
from .models import ChunkStatus, GenerationJob, JobChunk, JobStatus
from .signals import job_finished

logger = logging.getLogger(__name__)


def chunk_lease() -> timedelta:
    """How long a claimed chunk may run before the reaper hands it to another worker."""
    return timedelta(seconds=settings.SYNTHHUB_CHUNK_LEASE_SECONDS)


def max_chunk_attempts() -> int:
    return int(settings.Q_CLUSTER.get("max_attempts", 3))


def _event(job_id: int, tenant_id: int, type: str, message: str, **fields) -> None:
    """A generation job's event; the caller holds the job's row lock (apps.observability.events)."""
    events.record(kind=JobKind.GENERATION, job_id=job_id, tenant_id=tenant_id, type=type, message=message, **fields)


def _lock_job(job_id: int) -> None:
    """The job's row lock, taken after its chunk's (the lock order), so its events are numbered in turn."""
    list(GenerationJob.objects.select_for_update(no_key=True).filter(pk=job_id).values_list("pk", flat=True))


def _job_summary(job: GenerationJob) -> dict:
    return {"status": job.status, "rows_done": job.rows_done, "rows_total": job.rows_total,
            "chunks_done": job.chunks_done, "chunks_total": job.chunks_total, "error": job.error}


@transaction.atomic
def job_start(*, dataset, actor, seed: int | None = None, rows_scale: float = 1.0, tables: list[str] | None = None,
              rows: dict[str, int] | None = None, reference_time=None, chunk_size: int | None = None) -> GenerationJob:
    """Create the version, the job and its pending chunks; the dispatcher queues them once this transaction
    commits (or, when the broker is down, when it is back).

    `rows` (absolute rows per table) and `reference_time` are recorded on the version, which makes it
    reproducible byte for byte (`synth_generate` with the same seed, reference time and sizes)."""
    chunk_size = chunk_size or settings.SYNTHHUB_CHUNK_ROWS
    version, engine_plan = dataset_services.version_create(dataset=dataset, actor=actor, seed=seed,
                                                           rows_scale=rows_scale, tables=tables, rows=rows,
                                                           reference_time=reference_time, chunk_size=chunk_size)
    version.status = VersionStatus.GENERATING
    version.save(update_fields=["status", "updated_at"])
    job = GenerationJob.objects.create(
        tenant=dataset.tenant, dataset=dataset, version=version, requested_by=actor,
        parameters={"seed": version.seed, "rows_scale": rows_scale, "tables": tables or [], "rows": version.rows,
                    "reference_time": version.reference_time.isoformat().replace("+00:00", "Z"),
                    "chunk_size": chunk_size},
        rows_total=sum(engine_plan.row_counts.values()), chunks_total=len(engine_plan.chunks),
    )
    chunks = JobChunk.objects.bulk_create(
        JobChunk(job=job, table_name=c.table, start=c.start, stop=c.stop) for c in engine_plan.chunks
    )
    _event(job.pk, job.tenant_id, EventType.QUEUED,
           f"queued: {job.chunks_total} chunks, {job.rows_total} rows, requested by {events.actor_name(actor)}")
    if not chunks:  # a spec whose tables all have 0 rows is finished at once
        _finish(job)
    audit_record(action="job.start", actor=actor, tenant=job.tenant, target=job,
                 after={"version": version.number, **job.parameters, "rows_total": job.rows_total})
    dispatch_on_commit()
    return job


def _finish(job: GenerationJob) -> None:
    """Called with the job row locked, when its last chunk is done."""
    now = timezone.now()
    job.status, job.finished_at, job.last_heartbeat = JobStatus.SUCCEEDED, now, now
    job.save(update_fields=["status", "finished_at", "last_heartbeat", "updated_at"])
    version = job.version
    engine_plan = dataset_services.version_plan(version)
    dataset_services.version_mark(version=version, status=VersionStatus.READY, engine_plan=engine_plan)
    seconds = metrics.seconds_between(job.started_at or job.created_at, now)
    _event(job.pk, job.tenant_id, EventType.SUCCEEDED,
           f"succeeded: {job.rows_done} rows in {job.chunks_done} chunks, {seconds or 0:.1f} s", rows=job.rows_done,
           seconds=seconds)
    transaction.on_commit(lambda: metrics.observe_job(JobKind.GENERATION, JobStatus.SUCCEEDED, seconds))
    audit_record(action="job.succeed", actor=job.requested_by, tenant=job.tenant, target=job,
                 after=_job_summary(job))
    job_finished.send(sender=GenerationJob, job=job)


def _claim(chunk_id: int, worker: str) -> JobChunk | None:
    """Mark the chunk running under a lease (committed at once, so the reaper can see it).

    Only a pending chunk is claimed: a second delivery of a chunk that another worker runs under a live lease
    is skipped without counting an attempt (the reaper makes an expired one pending again)."""
    with transaction.atomic():
        chunk = (JobChunk.objects.select_for_update(of=("self",), no_key=True).select_related("job")
                 .filter(pk=chunk_id).first())
        if chunk is None or chunk.status != ChunkStatus.PENDING:
            return None
        job = chunk.job
        if job.status in (JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.SUCCEEDED):
            chunk.status = ChunkStatus.CANCELLED if job.status == JobStatus.CANCELLED else chunk.status
            chunk.save(update_fields=["status"])
            return None
        now = timezone.now()
        attempt = chunk.attempts + 1
        chunk.status, chunk.worker, chunk.started_at = ChunkStatus.RUNNING, worker[:200], now
        chunk.lease_expires_at = now + chunk_lease()
        chunk.attempts = F("attempts") + 1
        chunk.save(update_fields=["status", "worker", "started_at", "lease_expires_at", "attempts"])
        updates = {"last_heartbeat": now, "updated_at": now}
        if job.status == JobStatus.QUEUED:
            updates |= {"status": JobStatus.RUNNING, "started_at": job.started_at or now}
        GenerationJob.objects.filter(pk=job.pk).update(**updates)  # locks the job row: events are in turn
        # A job's first claim, and every retried attempt, are events; a chunk's ordinary claim is told by its
        # "done" event (one event per chunk).
        if job.status == JobStatus.QUEUED:
            _event(job.pk, job.tenant_id, EventType.CLAIMED, f"claimed by worker {worker[:200]}",
                   worker=worker, chunk=str(chunk), attempt=attempt)
        elif attempt > 1:
            _event(job.pk, job.tenant_id, EventType.CLAIMED,
                   f"chunk {chunk} attempt {attempt} claimed by worker {worker[:200]}", worker=worker,
                   chunk=str(chunk), attempt=attempt)
    chunk.refresh_from_db()
    return chunk


class _Cancelled(Exception):
    pass


def chunk_run(*, chunk_id: int, worker: str = "") -> str:
    """Run one chunk; returns what happened (for the queue's result log)."""
    chunk = _claim(chunk_id, worker)
    if chunk is None:
        return "skipped"
    try:
        with transaction.atomic():
            locked = JobChunk.objects.select_for_update(no_key=True).get(pk=chunk.pk)
            if locked.status == ChunkStatus.DONE:
                return "already done"  # a duplicate delivery that waited for the first one
            try:
                with transaction.atomic():  # a savepoint: the chunk's rows go if the job was cancelled meanwhile
                    written = _write_chunk_rows(chunk)
                    job = (GenerationJob.objects.select_for_update(of=("self",), no_key=True).select_related("version")
                           .get(pk=chunk.job_id))
                    if job.status == JobStatus.CANCELLED:
                        raise _Cancelled
                    now = timezone.now()
                    locked.status, locked.finished_at, locked.error = ChunkStatus.DONE, now, ""
                    locked.save(update_fields=["status", "finished_at", "error"])
                    job.rows_done += written
                    job.chunks_done += 1
                    job.last_heartbeat = now
                    job.save(update_fields=["rows_done", "chunks_done", "last_heartbeat", "updated_at"])
                    seconds = metrics.seconds_between(chunk.started_at, now)
                    _event(job.pk, job.tenant_id, EventType.CHUNK_DONE,
                           f"chunk {chunk} done in {seconds or 0:.2f} s with {written} rows",
                           worker=chunk.worker, chunk=str(chunk), rows=written, seconds=seconds,
                           attempt=chunk.attempts)
                    transaction.on_commit(lambda: _chunk_metrics(written, seconds))
                    if job.chunks_done >= job.chunks_total:
                        _finish(job)
            except _Cancelled:
                locked.status = ChunkStatus.CANCELLED
                locked.save(update_fields=["status"])
                return "cancelled"
        dispatch_on_commit()  # a slot of the tenant's cap is free: the next chunk goes to the broker
        logger.info("chunk %s done", chunk, extra={"rows": written, "seconds": seconds})
        return "done"
    except Exception as exc:
        logger.exception("chunk %s of job %s failed", chunk.pk, chunk.job_id)
        _chunk_failed(chunk.pk, exc)
        return "failed"


def _chunk_metrics(rows: int, seconds: float | None) -> None:
    """After the chunk's commit: rows counted once they are stored, never taken back (a purge deletes jobs)."""
    metrics.GENERATED_ROWS.inc(rows)
    if seconds is not None:
        metrics.CHUNK_DURATION.labels(status=ChunkStatus.DONE).observe(seconds)


def _write_chunk_rows(chunk: JobChunk) -> int:
    if (chunk.job.parameters or {}).get("kind") == "masking":
        # A masking job's chunk is a source table masked into the version (apps/masking/jobs.py).
        from apps.masking.jobs import masking_write_chunk

        return masking_write_chunk(chunk)
    version = chunk.job.version
    engine_plan = dataset_services.version_plan(version, chunk_size=chunk.job.parameters.get("chunk_size"))
    return dataset_services.version_write_chunk(version=version, engine_plan=engine_plan, table=chunk.table_name,
                                                start=chunk.start, stop=chunk.stop)


def _chunk_failed(chunk_id: int, exc: Exception) -> None:
    """Retry the chunk while it has attempts left; then fail the job with a readable reason."""
    message = f"{type(exc).__name__}: {exc}"[:2000]
    requeue = False
    with transaction.atomic():
        chunk = JobChunk.objects.select_for_update(of=("self",), no_key=True).select_related("job").get(pk=chunk_id)
        if chunk.status == ChunkStatus.DONE:
            return
        seconds = metrics.seconds_between(chunk.started_at, timezone.now())
        transaction.on_commit(lambda: metrics.CHUNK_DURATION.labels(status=ChunkStatus.FAILED).observe(seconds)
                              if seconds is not None else None)
        chunk.error = message
        # The event names the exception's class only: its text can quote the values a database refused.
        if chunk.attempts < max_chunk_attempts():
            chunk.status, chunk.enqueued_at, chunk.waiting_since, requeue = ChunkStatus.PENDING, None, None, True
            chunk.save(update_fields=["status", "enqueued_at", "waiting_since", "error"])
            _lock_job(chunk.job_id)
            _event(chunk.job_id, chunk.job.tenant_id, EventType.RETRIED,
                   f"chunk {chunk} attempt {chunk.attempts} failed with {type(exc).__name__}; retried",
                   worker=chunk.worker, chunk=str(chunk), attempt=chunk.attempts, seconds=seconds)
        else:
            chunk.status = ChunkStatus.FAILED
            chunk.save(update_fields=["status", "error"])
            _fail_job(chunk.job_id, f"Chunk {chunk} failed after {chunk.attempts} attempts: {message}",
                      event=f"failed: chunk {chunk} failed after {chunk.attempts} attempts with {type(exc).__name__}")
        if requeue:
            dispatch_on_commit()


def _fail_job(job_id: int, error: str, *, event: str) -> None:
    """`error` is the job's own (shown to its users); `event` says the same without the exception's text."""
    job = GenerationJob.objects.select_for_update(of=("self",), no_key=True).select_related("version").get(pk=job_id)
    if job.is_finished:
        return
    now = timezone.now()
    job.status, job.error, job.finished_at = JobStatus.FAILED, error, now
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    seconds = metrics.seconds_between(job.started_at or job.created_at, now)
    _event(job.pk, job.tenant_id, EventType.FAILED, event, seconds=seconds)
    transaction.on_commit(lambda: metrics.observe_job(JobKind.GENERATION, JobStatus.FAILED, seconds))
    dataset_services.version_mark(version=job.version, status=VersionStatus.FAILED)
    audit_record(action="job.fail", actor=job.requested_by, tenant=job.tenant, target=job, after=_job_summary(job))
    job_finished.send(sender=GenerationJob, job=job)


@transaction.atomic
def job_cancel(*, job: GenerationJob, actor) -> GenerationJob:
    job = GenerationJob.objects.select_for_update(of=("self",), no_key=True).select_related("version").get(pk=job.pk)
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise Conflict(f"Only a queued or running job can be cancelled; this one is {job.status}.")
    before = _job_summary(job)
    job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
    job.save(update_fields=["status", "finished_at", "updated_at"])
    _event(job.pk, job.tenant_id, EventType.CANCELLED, f"cancelled by {events.actor_name(actor)}")
    # A chunk being written right now is locked: it is skipped here and cancels itself when it sees the job.
    waiting = job.chunks.select_for_update(skip_locked=True, no_key=True).filter(
        status__in=[ChunkStatus.PENDING, ChunkStatus.RUNNING])
    JobChunk.objects.filter(pk__in=list(waiting.values_list("pk", flat=True))).update(status=ChunkStatus.CANCELLED)
    dataset_services.version_mark(version=job.version, status=VersionStatus.CANCELLED)
    audit_record(action="job.cancel", actor=actor, tenant=job.tenant, target=job, before=before,
                 after=_job_summary(job))
    return job


@transaction.atomic
def job_retry(*, job: GenerationJob, actor) -> GenerationJob:
    """Rerun only the chunks of a failed job that are not done."""
    # Chunks before their job, as chunk_run takes them (the lock order).
    list(JobChunk.objects.select_for_update(no_key=True).filter(job_id=job.pk).exclude(status=ChunkStatus.DONE)
         .values_list("pk", flat=True))
    job = GenerationJob.objects.select_for_update(of=("self",), no_key=True).select_related("version").get(pk=job.pk)
    if job.status != JobStatus.FAILED:
        raise Conflict(f"Only a failed job can be retried; this one is {job.status}.")
    before = _job_summary(job)
    redo = list(job.chunks.exclude(status=ChunkStatus.DONE).values_list("pk", flat=True))
    JobChunk.objects.filter(pk__in=redo).update(status=ChunkStatus.PENDING, attempts=0, error="",
                                                lease_expires_at=None, enqueued_at=None, waiting_since=None)
    job.status, job.error, job.finished_at = JobStatus.QUEUED, "", None
    job.attempts += 1
    job.save(update_fields=["status", "error", "finished_at", "attempts", "updated_at"])
    _event(job.pk, job.tenant_id, EventType.RETRIED,
           f"retry requested by {events.actor_name(actor)}: {len(redo)} chunks queued again", attempt=job.attempts)
    dataset_services.version_mark(version=job.version, status=VersionStatus.GENERATING)
    audit_record(action="job.retry", actor=actor, tenant=job.tenant, target=job, before=before,
                 after={**_job_summary(job), "chunks_requeued": len(redo)})
    dispatch_on_commit()
    return job


def jobs_reap(*, now=None) -> dict[str, int]:
    """Make chunks whose lease ran out (their worker died) pending again, audited, for the dispatcher to
    enqueue once; fail a chunk's job once the chunk has no attempts left.

    The reaper never enqueues itself: the dispatcher is the one place that puts chunks on the broker, so a
    chunk re-queued here is enqueued exactly once (and a task the queue lost is re-enqueued by the
    dispatcher, not here). Each chunk is handled in its own transaction: the audit chain lock is the last
    lock of a transaction, so no other row may be locked after one of them was audited."""
    now = now or timezone.now()
    requeued = failed = 0
    live = [JobStatus.QUEUED, JobStatus.RUNNING]
    expired_ids = list(JobChunk.objects.filter(status=ChunkStatus.RUNNING, lease_expires_at__lt=now,
                                               job__status__in=live).order_by("id").values_list("id", flat=True))
    for chunk_id in expired_ids:
        with transaction.atomic():
            chunk = JobChunk.objects.select_for_update(of=("self",), skip_locked=True, no_key=True).select_related(
                "job").filter(pk=chunk_id, status=ChunkStatus.RUNNING, lease_expires_at__lt=now,
                              job__status__in=live).first()
            if chunk is None:  # finished meanwhile, or being written right now
                continue
            if chunk.attempts >= max_chunk_attempts():
                # Name what the earlier attempt failed with: "its worker stopped" alone hides the real cause.
                earlier = f" An earlier attempt failed with: {chunk.error}" if chunk.error else ""
                chunk.status = ChunkStatus.FAILED
                chunk.error = f"its worker stopped (lease expired).{earlier}"[:2000]
                chunk.save(update_fields=["status", "error"])
                _fail_job(chunk.job_id, f"Chunk {chunk} failed after {chunk.attempts} attempts: its worker stopped "
                                        f"(lease expired).{earlier}",
                          event=f"failed: chunk {chunk} failed after {chunk.attempts} attempts: its worker "
                                f"{chunk.worker} stopped (lease expired)")
                failed += 1
            else:
                chunk.status, chunk.lease_expires_at = ChunkStatus.PENDING, None
                chunk.enqueued_at = chunk.waiting_since = None
                chunk.save(update_fields=["status", "lease_expires_at", "enqueued_at", "waiting_since"])
                _lock_job(chunk.job_id)
                _event(chunk.job_id, chunk.job.tenant_id, EventType.REQUEUED,
                       f"chunk {chunk} queued again: its worker {chunk.worker} stopped (lease expired)",
                       worker=chunk.worker, chunk=str(chunk), attempt=chunk.attempts)
                audit_record(action="job.requeue", tenant=chunk.job.tenant_id, target=chunk.job,
                             after={"chunk": str(chunk), "attempts": chunk.attempts,
                                    "reason": "its worker stopped (lease expired)", "worker": chunk.worker})
                requeued += 1
    if requeued:
        dispatch_on_commit()
    return {"requeued": requeued, "failed": failed}
