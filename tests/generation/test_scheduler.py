"""The scheduler outside the queue, worker heartbeats in the database, and the readiness probe that tells a
stalled queue from an idle one."""

import os
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_q.conf import Conf

from apps.generation import services
from apps.generation.heartbeat import beat, queue_stalled, working
from apps.generation.models import ChunkStatus, GenerationJob, JobChunk, JobStatus, WorkerHeartbeat
from apps.generation.scheduler import Scheduler

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(tenant_a, make_dataset):
    tenant, users = tenant_a
    return make_dataset(tenant, users["owner"])


def _waiting_since(job, seconds):
    """The job's chunks were handed to the broker `seconds` ago and no worker took them."""
    since = timezone.now() - timedelta(seconds=seconds)
    job.chunks.update(enqueued_at=since, waiting_since=since)


def test_ready_is_503_when_work_waits_and_no_worker_is_seen(client, dataset, settings):
    settings.SYNTHHUB_QUEUE_STALL_SECONDS = 60
    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    assert client.get("/health/ready").status_code == 200  # pending, never enqueued: nothing to blame workers for
    _waiting_since(job, 30)
    assert client.get("/health/ready").status_code == 200  # waiting, but not for long
    _waiting_since(job, 61)
    response = client.get("/health/ready")
    assert response.status_code == 503 and response.json()["checks"]["queue"].startswith("stalled")
    job.chunks.update(enqueued_at=timezone.now())  # the dispatcher enqueued them again: still waiting as long
    assert client.get("/health/ready").status_code == 503

    # A worker seen recently is busy with something else: the queue is slow, not stuck.
    beat(task_started=True)
    assert client.get("/health/ready").status_code == 200
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - timedelta(seconds=61))
    assert client.get("/health/ready").status_code == 503
    job.chunks.update(status=ChunkStatus.DONE)
    assert client.get("/health/ready").status_code == 200  # nothing waits: idle workers are fine


def test_a_worker_writes_its_heartbeat_when_a_task_starts_and_while_it_runs(monkeypatch, settings):
    monkeypatch.setattr(Conf, "SYNC", False)  # as in a queue worker process
    settings.SYNTHHUB_WORKER_HEARTBEAT_SECONDS = 0.2
    monkeypatch.setenv("SYNTHHUB_CLUSTER_ID", "cluster-7")
    with working():
        row = WorkerHeartbeat.objects.get(pid=os.getpid())
        assert (row.cluster, row.tasks) == ("cluster-7", 1)
    with working():
        assert WorkerHeartbeat.objects.get(pid=os.getpid()).tasks == 2
    assert queue_stalled(cluster="cluster-7") is None


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_during_a_long_task(monkeypatch, settings):
    import time

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.SYNTHHUB_WORKER_HEARTBEAT_SECONDS = 0.2
    with working():
        first = WorkerHeartbeat.objects.get(pid=os.getpid()).last_seen
        time.sleep(0.7)
        later = WorkerHeartbeat.objects.get(pid=os.getpid()).last_seen
    assert later > first


def test_a_scheduler_pass_reaps_and_dispatches(dataset, settings):
    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)  # its dispatch never ran
    dead = job.chunks.order_by("id").first()
    JobChunk.objects.filter(pk=dead.pk).update(status=ChunkStatus.RUNNING, attempts=1, worker="gone:1",
                                               lease_expires_at=timezone.now() - timedelta(seconds=1))
    done = Scheduler(interval=1).tick()
    assert done["chunks_requeued"] == 1 and done["chunks_sent"] == job.chunks_total
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED


def test_a_scheduler_pass_survives_a_failure_and_retries(dataset, monkeypatch):
    from apps.generation import scheduler

    def broken():
        raise RuntimeError("database restarting")

    monkeypatch.setattr(scheduler, "scheduler_pass", broken)
    ticker = Scheduler(interval=1)
    assert ticker.tick() is None
    monkeypatch.undo()
    assert ticker.tick() is not None


@pytest.mark.django_db(transaction=True)
def test_only_one_scheduler_works_at_a_time(on_postgres):
    first = Scheduler(interval=1)
    assert first.tick() is not None and first.holding
    box = {}

    def second():
        try:
            standby = Scheduler(interval=1)
            box["tick"], box["holding"] = standby.tick(), standby.holding
        finally:
            connections.close_all()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(10)
    assert box == {"tick": None, "holding": False}
    connections["default"].close()  # the first scheduler's session ends: its lock goes with it
    thread = threading.Thread(target=second)
    thread.start()
    thread.join(10)
    assert box["holding"] is True


def test_the_scheduler_command_runs_passes(dataset):
    from django.core.management import call_command

    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    call_command("synthhub_scheduler", "--passes", "1")
    assert GenerationJob.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
