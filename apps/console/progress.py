"""What the job page shows while a job runs: counts, speed, time left, errors, and a missing worker."""

from django.utils import timezone

from apps.generation.heartbeat import queue_stalled
from apps.generation.live import job_rows_progress
from apps.generation.models import ChunkStatus, JobStatus


def job_progress(job) -> dict:
    now = timezone.now()
    end = job.finished_at or now
    seconds = (end - job.started_at).total_seconds() if job.started_at else 0.0
    # Rows of done chunks plus what running chunks report from inside their transaction (apps/generation/live.py).
    rows = job_rows_progress(job)
    tables = None
    if (job.parameters or {}).get("kind") == "masking" and not job.is_finished:
        # A masking job's table is one chunk: a bar per table.
        tables = [{**t, "rows_expected": t["rows_total"],
                   "percent": min(100, round(100 * t["rows_done"] / t["rows_total"])) if t["rows_total"]
                   else (100 if t["rows_done"] else 0)} for t in rows["tables"]]
    rows_done = rows["rows_done"]
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
