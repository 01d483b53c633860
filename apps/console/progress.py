"""What the job page shows while a job runs: counts, speed, time left, errors, and a missing worker."""

from django.utils import timezone

from apps.generation.heartbeat import queue_stalled
from apps.generation.models import ChunkStatus, JobStatus


def job_progress(job) -> dict:
    now = timezone.now()
    end = job.finished_at or now
    seconds = (end - job.started_at).total_seconds() if job.started_at else 0.0
    rate = job.rows_done / seconds if seconds > 0 and job.rows_done else 0.0
    left = max(job.rows_total - job.rows_done, 0)
    eta = left / rate if rate and not job.is_finished else None
    failed = list(job.chunks.filter(status=ChunkStatus.FAILED).exclude(error="")
                  .values_list("table_name", "start", "stop", "error")[:5])
    waiting = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    return {
        "job": job,
        "percent": round(100 * job.progress),
        "rows_per_second": round(rate),
        "eta_seconds": round(eta) if eta is not None else None,
        "elapsed_seconds": round(seconds),
        "chunk_errors": failed,
        "stalled": queue_stalled(now=now) if waiting else None,
        "finished": job.is_finished,
    }
