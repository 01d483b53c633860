"""Real django-q2 clusters on PostgreSQL: several workers, a killed worker, bytes compared with one worker."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from django.db import connection

from apps.datasets import services as dataset_services
from apps.datasets.models import Record
from apps.generation import services
from apps.generation.models import ChunkStatus, JobChunk, JobStatus
from apps.generation.progress import wait_for_job
from apps.generation.scheduler import scheduler_pass
from tests.conftest import SHOP_SPEC

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3


@pytest.fixture
def enqueue_for_real(monkeypatch, settings):
    """The test process puts chunk tasks on the ORM broker instead of running them in-process, and reaps
    with the clusters' short lease."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.SYNTHHUB_CHUNK_LEASE_SECONDS = LEASE_SECONDS
    # Tasks the killed cluster held are enqueued again by the dispatcher after this long.
    settings.SYNTHHUB_DISPATCH_REDELIVER_SECONDS = 2 * LEASE_SECONDS


@pytest.fixture
def start_cluster():
    clusters = []

    def start(workers: int = 1) -> subprocess.Popen:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "synthhub.settings.test",
            "SYNTHHUB_Q_SYNC": "false",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "SYNTHHUB_WORKERS": str(workers),
            "SYNTHHUB_CHUNK_LEASE_SECONDS": str(LEASE_SECONDS),
            "SYNTHHUB_TASK_TIMEOUT": "120",
            "SYNTHHUB_TASK_RETRY": "180",
        }
        # A session of its own, so the whole cluster (sentinel, pusher, workers) can be killed at once.
        process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                   start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        clusters.append(process)
        return process

    yield start
    for process in clusters:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def stored(version) -> dict[str, bytes]:
    return {
        table: orjson.dumps(list(Record.objects.filter(version=version, table_name=table).order_by("row_index")
                                 .values_list("row_index", "data")))
        for table in version.row_counts
    }


def single_worker_reference(job):
    """The same version generated here, in one process, chunk by chunk."""
    version, _ = dataset_services.version_create(
        dataset=job.dataset, actor=None, seed=job.version.seed, rows_scale=job.version.rows_scale,
        reference_time=job.version.reference_time)
    return dataset_services.version_generate(version=version, chunk_size=1000)


def worker_pids(job) -> set[int]:
    return {int(worker.rsplit(":", 1)[1]) for worker in job.chunks.values_list("worker", flat=True) if worker}


def test_two_clusters_share_a_job_and_match_one_worker_byte_for_byte(
        on_postgres, tenant_a, make_dataset, start_cluster, enqueue_for_real):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], spec=SHOP_SPEC)
    start_cluster()
    start_cluster()
    time.sleep(2)  # let both clusters start polling
    job = services.job_start(dataset=dataset, actor=None, rows_scale=40, chunk_size=100)
    assert job.chunks_total >= 20
    job = wait_for_job(job.pk, timeout=180, show_bar=False)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert len(worker_pids(job)) >= 2, "both clusters should have run chunks"
    reference = single_worker_reference(job)
    assert stored(job.version) == stored(reference)


def test_a_killed_worker_loses_nothing(on_postgres, tenant_a, make_dataset, start_cluster, enqueue_for_real):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], spec=SHOP_SPEC)
    victim = start_cluster()
    start_cluster()
    time.sleep(2)
    job = services.job_start(dataset=dataset, actor=None, rows_scale=400, chunk_size=500)

    # Wait until the victim's worker is in the middle of a chunk, then SIGKILL its whole cluster.
    deadline = time.monotonic() + 120
    killed_chunk = None
    while killed_chunk is None and time.monotonic() < deadline:
        for chunk in JobChunk.objects.filter(job=job, status=ChunkStatus.RUNNING):
            pid = int(chunk.worker.rsplit(":", 1)[1])
            try:
                in_victim = os.getpgid(pid) == victim.pid
            except ProcessLookupError:
                continue
            if in_victim:
                os.killpg(victim.pid, signal.SIGKILL)
                victim.wait()
                killed_chunk = chunk
                break
        time.sleep(0.01)
    assert killed_chunk is not None, "the victim never ran a chunk"

    # The scheduler's passes (reaper and dispatcher), done here every second.
    while time.monotonic() < deadline:
        scheduler_pass()
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(1)
    summary = list(job.chunks.values_list("status", "attempts", "worker", "lease_expires_at"))
    assert job.status == JobStatus.SUCCEEDED, (job.error, [s for s in summary if s[0] != "done"], killed_chunk.pk)
    killed_chunk.refresh_from_db()
    assert killed_chunk.status == ChunkStatus.DONE and killed_chunk.attempts >= 2
    for table, count in job.version.row_counts.items():
        rows = Record.objects.filter(version=job.version, table_name=table)
        assert rows.count() == count
        assert rows.values("row_index").distinct().count() == count
    assert job.rows_done == job.rows_total
    assert stored(job.version) == stored(single_worker_reference(job))
