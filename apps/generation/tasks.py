"""django-q2 entry points: they take ids and call a service. Each writes the worker's heartbeat while it runs."""

import os
import socket

from apps.datasets.services import trash_purge
from apps.observability.logs import job_context

from . import services
from .heartbeat import working
from .models import JobChunk


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_chunk(chunk_id: int) -> str:
    job_id, tenant = JobChunk.objects.filter(pk=chunk_id).values_list("job_id", "job__tenant__slug").first() or (
        None, None)
    with working(), job_context(job_kind="generation", job_id=job_id, chunk_id=chunk_id, tenant=tenant):
        return services.chunk_run(chunk_id=chunk_id, worker=_worker_name())


def reap_jobs() -> dict:
    return services.jobs_reap()


def purge_trash() -> dict:
    with working():
        return trash_purge()
