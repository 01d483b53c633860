"""Worker heartbeats in the database, and the question the probe and the supervisor ask of them.

A queue worker process writes its WorkerHeartbeat row when it starts a task and, from a thread of its own,
every SYNTHHUB_WORKER_HEARTBEAT_SECONDS while the task runs. An idle worker writes nothing: an idle worker
that cannot take work (django-q2 issue #23: the internal queue's lock died with a killed worker) looks
exactly like a healthy idle one from inside the process, but not from the database, where work then waits
while no worker has been seen. `queue_stalled` is that test.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Min, Q
from django.utils import timezone

from apps.observability.metrics import WORKER_HEARTBEATS

from .models import ChunkStatus, JobChunk, JobStatus, WorkerHeartbeat

logger = logging.getLogger(__name__)

CLUSTER_ENV = "SYNTHHUB_CLUSTER_ID"

_state = {"busy": 0, "thread": None, "started_at": None, "tasks": 0}
_lock = threading.Lock()
_wake = threading.Event()


def cluster_id() -> str:
    return os.environ.get(CLUSTER_ENV, "")[:100]


def beat(*, task_started: bool = False) -> None:
    """Write this process's heartbeat row (one UPSERT-like update, an insert the first time)."""
    now = timezone.now()
    host, pid = socket.gethostname()[:200], os.getpid()
    with _lock:
        _state["started_at"] = _state["started_at"] or now
        _state["tasks"] += 1 if task_started else 0
        values = {"last_seen": now, "tasks": _state["tasks"], "cluster": cluster_id(),
                  "started_at": _state["started_at"]}
    if not WorkerHeartbeat.objects.filter(host=host, pid=pid).update(**values):
        WorkerHeartbeat.objects.update_or_create(host=host, pid=pid, defaults=values)
    WORKER_HEARTBEATS.inc()


def _beat_while_busy() -> None:
    while True:
        _wake.wait(settings.SYNTHHUB_WORKER_HEARTBEAT_SECONDS)
        _wake.clear()
        if not _state["busy"]:
            continue
        try:
            beat()
        except Exception:  # noqa: BLE001 - a missed beat is reported by its absence, never by the task failing
            logger.warning("worker heartbeat failed", exc_info=True)
        finally:
            connection.close()  # this thread's own connection; a beat every few seconds does not need to keep it


@contextmanager
def working():
    """Around every queue task: a beat at the start, then one every few seconds until it ends.

    A synchronous queue (tests, `job_run` without workers) runs tasks in the caller's process: no worker
    to watch there, so nothing is written."""
    from django_q.conf import Conf

    if Conf.SYNC:
        yield
        return
    with _lock:
        if _state.get("pid") != os.getpid():  # a process forked from one that ran tasks starts afresh
            _state.update(pid=os.getpid(), thread=None, busy=0, started_at=None, tasks=0)
        if _state["thread"] is None or not _state["thread"].is_alive():
            _state["thread"] = threading.Thread(target=_beat_while_busy, name="synthhub-heartbeat", daemon=True)
            _state["thread"].start()
        _state["busy"] += 1
    _wake.set()  # a thread asleep since the last task starts its count from now
    try:
        try:
            beat(task_started=True)
        except Exception:  # noqa: BLE001 - the task runs even when its heartbeat cannot be written
            logger.warning("worker heartbeat failed", exc_info=True)
        yield
    finally:
        with _lock:
            _state["busy"] -= 1


def stall_after() -> timedelta:
    return timedelta(seconds=settings.SYNTHHUB_QUEUE_STALL_SECONDS)


def oldest_waiting_enqueue():
    """Since when the longest-waiting task the broker should hold (enqueued, not yet claimed) has waited,
    counted from its first enqueue (a re-enqueue by the dispatcher does not reset it); None if none."""
    from apps.exports.models import Export, Push, RunStatus

    candidates = [
        JobChunk.objects.filter(status=ChunkStatus.PENDING, enqueued_at__isnull=False,
                                job__status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .aggregate(oldest=Min("waiting_since"))["oldest"],
        *(model._base_manager.filter(status=RunStatus.QUEUED, enqueued_at__isnull=False)
          .aggregate(oldest=Min("waiting_since"))["oldest"] for model in (Export, Push)),
    ]
    present = [value for value in candidates if value is not None]
    return min(present) if present else None


def queue_stalled(*, cluster: str | None = None, now=None) -> dict | None:
    """Why the queue looks stuck, or None: a task has waited on the broker longer than
    SYNTHHUB_QUEUE_STALL_SECONDS and no worker (of `cluster`, when given) has been seen for as long."""
    now = now or timezone.now()
    threshold = now - stall_after()
    oldest = oldest_waiting_enqueue()
    if oldest is None or oldest >= threshold:
        return None
    workers = WorkerHeartbeat.objects.all()
    if cluster is not None:
        workers = workers.filter(cluster=cluster)
    if workers.filter(Q(last_seen__gte=threshold)).exists():
        return None
    newest = workers.order_by("-last_seen").values_list("last_seen", flat=True).first()
    return {"oldest_waiting_seconds": int((now - oldest).total_seconds()),
            "last_worker_seen_seconds": None if newest is None else int((now - newest).total_seconds())}


def heartbeats_prune(*, now=None) -> int:
    """Rows of processes not seen for a day (workers recycle and get new pids)."""
    now = now or timezone.now()
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=1)).delete()
    return deleted
