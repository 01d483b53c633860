"""django-q2 entry points: they take ids and call a service. Each writes the worker's heartbeat while it runs."""

import os
import socket

from apps.datasets.services import trash_purge

from . import services
from .heartbeat import working


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_chunk(chunk_id: int) -> str:
    with working():
        return services.chunk_run(chunk_id=chunk_id, worker=_worker_name())


def reap_jobs() -> dict:
    return services.jobs_reap()


def purge_trash() -> dict:
    with working():
        return trash_purge()
