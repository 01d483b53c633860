"""Concurrent generate and export requests on one dataset: the lock order leaves no deadlock.

Each request runs in its own thread with its own database connection. django-q2 runs in sync mode here, so
every request also runs its queued work (the job's chunks, the export's file) in its thread once it commits:
version numbering, chunks finishing jobs and exports being created and finished all meet on one dataset row
and on the audit chain, as they do under a real load.
"""

import threading

import pytest
from django.db import connection

from apps.exports.models import Export, RunStatus
from apps.generation.models import GenerationJob, JobStatus
from apps.generation.scheduler import scheduler_pass
from tests.conftest import SHOP_SPEC

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE = "/api/v1/tenants/alpha"
REQUESTS = 40  # of each kind


def _post_all(calls):
    """Run every (client, path, body) at once, one thread and connection each; returns (statuses, errors)."""
    statuses, errors = [], []
    barrier = threading.Barrier(len(calls))

    def post(client, path, body):
        try:
            barrier.wait()
            statuses.append(client.post(path, body, format="json").status_code)
        except Exception as exc:  # the test client re-raises a view's exception: that is a 500
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, errors


def test_concurrent_generates_and_exports_on_one_dataset(on_postgres, tenant_a, make_dataset, api_client_for,
                                                         settings):
    settings.SYNTHHUB_CHUNK_ROWS = 10  # several chunks per job, so jobs finish while others start
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], spec=SHOP_SPEC)
    client = api_client_for(users["editor"])
    assert client.post(f"{BASE}/datasets/{dataset.pk}/generate/", {}, format="json").status_code == 202
    assert GenerationJob.objects.get().status == JobStatus.SUCCEEDED

    # Each thread gets its own client: the test client is not shared between threads.
    clients = [api_client_for(users["editor"]) for _ in range(2 * REQUESTS)]
    generate = [(clients[i], f"{BASE}/datasets/{dataset.pk}/generate/", {}) for i in range(REQUESTS)]
    export = [(clients[REQUESTS + i], f"{BASE}/exports/", {"dataset": dataset.pk, "version": 1, "format": "csv"})
              for i in range(REQUESTS)]
    calls = [call for pair in zip(generate, export, strict=True) for call in pair]
    statuses, errors = _post_all(calls)

    assert errors == [], errors[:3]
    assert statuses.count(202) == 2 * REQUESTS, sorted(statuses)
    # The scheduler's pass after the redelivery time: work whose dispatch after its request failed (e.g. the
    # database refusing connections beyond max_connections when other suites share the server) runs now.
    settings.SYNTHHUB_DISPATCH_REDELIVER_SECONDS = 0
    scheduler_pass()
    jobs = GenerationJob.objects.exclude(pk=GenerationJob.objects.order_by("id").first().pk)
    assert jobs.count() == REQUESTS
    failed = list(jobs.exclude(status=JobStatus.SUCCEEDED).values_list("status", "error"))
    assert failed == [], failed[:3]
    assert sorted(jobs.values_list("version__number", flat=True)) == list(range(2, REQUESTS + 2))
    exports = Export.objects.filter(dataset=dataset)
    assert exports.count() == REQUESTS
    failed = list(exports.exclude(status=RunStatus.SUCCEEDED).values_list("status", "error"))
    assert failed == [], failed[:3]


@pytest.mark.django_db
def test_a_job_failed_by_the_reaper_names_the_earlier_attempts_error(tenant_a, make_dataset):
    from datetime import timedelta

    from django.utils import timezone

    from apps.generation import services
    from apps.generation.models import ChunkStatus, JobChunk

    tenant, users = tenant_a
    job = services.job_start(dataset=make_dataset(tenant, users["owner"]), actor=None, chunk_size=10)
    chunk = job.chunks.order_by("id").first()
    # An earlier attempt failed and recorded why; the last one's worker died holding the lease.
    JobChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.RUNNING, attempts=services.max_chunk_attempts(), error="OperationalError: deadlock detected",
        lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert services.jobs_reap()["failed"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "lease expired" in job.error and "OperationalError: deadlock detected" in job.error, job.error
