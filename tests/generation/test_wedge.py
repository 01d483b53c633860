"""django-q2 issue #23 reproduced on a real cluster, and the recovery from it without anyone stepping in.

kill -9 of the idle worker (the one blocked reading the cluster's internal queue, holding that queue's read
lock) leaves the lock held for ever: the replacement worker waits on it, and every later task stays queued.
`manage.py synthhub_worker` sees tasks waiting while its workers write no heartbeat, kills the cluster's
process group and starts a new one; the scheduler's dispatcher enqueues again what the dead cluster held.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from apps.generation import dispatch, services
from apps.generation.models import JobStatus, WorkerHeartbeat
from tests.conftest import SHOP_SPEC

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
STALL_SECONDS = 5
CLUSTER_ID = "wedge-test"


@pytest.fixture
def supervised_cluster(monkeypatch, settings):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # this process enqueues on the ORM broker, like the API
    settings.SYNTHHUB_QUEUE_STALL_SECONDS = STALL_SECONDS
    settings.SYNTHHUB_DISPATCH_REDELIVER_SECONDS = STALL_SECONDS
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "synthhub.settings.test",
        "SYNTHHUB_Q_SYNC": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SYNTHHUB_WORKERS": "1",  # the one worker holds the read lock while it waits
        "SYNTHHUB_QUEUE_STALL_SECONDS": str(STALL_SECONDS),
        "SYNTHHUB_TASK_TIMEOUT": "120",
        "SYNTHHUB_TASK_RETRY": "180",
    }
    process = subprocess.Popen([sys.executable, "manage.py", "synthhub_worker", "--cluster-id", CLUSTER_ID,
                                "--check-every", "1"], cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    groups = set()
    yield groups
    for pid in WorkerHeartbeat.objects.values_list("pid", flat=True):
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(pid))
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for group in groups:  # clusters the supervisor could not stop, if any
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)


def run_scheduler_until(job, deadline: float) -> None:
    """The scheduler's passes (dispatch and reap every second) until the job is finished."""
    while time.monotonic() < deadline:
        services.jobs_reap()
        dispatch.dispatch()
        job.refresh_from_db()
        if job.is_finished:
            return
        time.sleep(1)


def _live_members(group: int) -> list[int]:
    """Processes of a process group that still run. A killed process stays a zombie until its parent reaps it,
    and an orphan's new parent may be slow to (or, as PID 1 of a container, never) reap it: zombies do not count."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses, so split after its last ')'.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


def _group_gone(group: int, *, within: float) -> bool:
    deadline = time.monotonic() + within
    while _live_members(group):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_a_killed_idle_worker_wedges_the_queue_and_the_supervisor_recovers_it(
        on_postgres, tenant_a, make_dataset, supervised_cluster):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], spec=SHOP_SPEC)
    first = services.job_start(dataset=dataset, actor=None, chunk_size=100_000)  # to learn the worker's pid
    run_scheduler_until(first, time.monotonic() + 40)
    assert first.status == JobStatus.SUCCEEDED, first.error
    (worker_pid,) = WorkerHeartbeat.objects.filter(cluster=CLUSTER_ID).values_list("pid", flat=True)
    cluster_group = os.getpgid(worker_pid)
    supervised_cluster.add(cluster_group)
    time.sleep(1)  # the worker is idle again: blocked in the internal queue's get(), holding its read lock

    os.kill(worker_pid, signal.SIGKILL)
    started = time.monotonic()
    job = services.job_start(dataset=dataset, actor=None, chunk_size=50)

    # The wedge: the sentinel's new worker waits on the dead worker's lock; nothing is claimed.
    time.sleep(STALL_SECONDS - 1)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.chunks_done == 0
    assert not job.chunks.exclude(status="pending").exists()

    # Recovery, with nobody stepping in: stall seen, cluster killed and restarted, tasks enqueued again.
    run_scheduler_until(job, started + 50)
    elapsed = time.monotonic() - started
    assert job.status == JobStatus.SUCCEEDED, (job.status, list(job.chunks.values_list("status", flat=True)))
    assert job.rows_done == job.rows_total
    assert _group_gone(cluster_group, within=10), "the wedged cluster is still running"
    new_workers = set(WorkerHeartbeat.objects.filter(cluster=CLUSTER_ID).values_list("pid", flat=True))
    assert new_workers - {worker_pid}
    # Documented bound (docs/jobs.md): the stall time, a check, a cluster start, a scheduler pass.
    assert elapsed < STALL_SECONDS + 30, elapsed
    print(f"recovered from the wedge in {elapsed:.1f}s (stall threshold {STALL_SECONDS}s)")
