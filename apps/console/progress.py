"""What the job page shows while a job runs: counts, speed, time left, errors, and a missing worker."""

from django.utils import timezone

from apps.generation.heartbeat import queue_stalled
from apps.generation.models import ChunkStatus, JobStatus


def job_progress(job) -> dict:
    now = timezone.now()
    end = job.finished_at or now
    seconds = (end - job.started_at).total_seconds() if job.started_at else 0.0
    tables, in_flight = None, 0
    if (job.parameters or {}).get("kind") == "masking" and not job.is_finished:
        # A masking job's table is one chunk: the rows read inside it so far move the bar (apps/masking/progress.py).
        from apps.masking.progress import tables_progress

        tables = tables_progress(job)
        in_flight = sum(t["rows_done"] for t in tables if t["status"] == ChunkStatus.RUNNING)
    rows_done = job.rows_done + in_flight
    rate = rows_done / seconds if seconds > 0 and rows_done else 0.0
    left = max(job.rows_total - rows_done, 0)
    eta = left / rate if rate and not job.is_finished else None
    percent = min(100, round(100 * rows_done / job.rows_total)) if job.rows_total else round(100 * job.progress)
    failed = list(job.chunks.filter(status=ChunkStatus.FAILED).exclude(error="")
                  .values_list("table_name", "start", "stop", "error")[:5])
    waiting = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    return {
        "job": job,
        "percent": percent,
        "rows_done": rows_done,
        "tables": tables,
        "rows_per_second": round(rate),
        "eta_seconds": round(eta) if eta is not None else None,
        "elapsed_seconds": round(seconds),
        "chunk_errors": failed,
        "stalled": queue_stalled(now=now) if waiting else None,
        "finished": job.is_finished,
    }
