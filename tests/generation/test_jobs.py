"""Generation jobs in django-q2's sync mode: the state machine, progress, cancel, retry, reaping."""

from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.datasets.models import Record
from apps.generation import services
from apps.generation.models import ChunkStatus, GenerationJob, JobChunk, JobStatus
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def dataset(tenant_a, make_dataset):
    tenant, users = tenant_a
    return make_dataset(tenant, users["owner"])


def start(dataset, capture, **kwargs):
    with capture(execute=True):
        return services.job_start(dataset=dataset, actor=None, chunk_size=10, **kwargs)


def test_generate_endpoint_answers_202_and_the_job_completes(dataset, tenant_a, api_client_for,
                                                             django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    client = api_client_for(users["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/datasets/{dataset.pk}/generate/", {"seed": 3}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["version"] == 1
    job = client.get(f"{BASE}/jobs/{body['id']}/").json()
    assert job["status"] == "succeeded" and job["rows_done"] == job["rows_total"] and job["progress"] == 1.0
    version = client.get(f"{BASE}/datasets/{dataset.pk}/versions/1/").json()
    assert version["status"] == "ready" and version["seed"] == 3
    assert Record.objects.filter(version_id=GenerationJob.objects.get().version_id).count() == job["rows_total"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"job.start", "job.succeed"} <= actions


def test_chunks_follow_the_plan_and_progress_counts_each_once(dataset, django_capture_on_commit_callbacks):
    job = start(dataset, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    chunks = list(job.chunks.order_by("table_name", "start"))
    assert job.chunks_total == len(chunks) > 2
    assert all(c.status == ChunkStatus.DONE and c.attempts == 1 for c in chunks)
    assert (job.chunks_done, job.rows_done) == (job.chunks_total, job.rows_total)
    # Delivered again after it finished: nothing changes.
    assert services.chunk_run(chunk_id=chunks[0].pk) == "skipped"
    job.refresh_from_db()
    assert job.rows_done == job.rows_total


def test_bytes_do_not_depend_on_chunk_size(dataset, django_capture_on_commit_callbacks):
    small = start(dataset, django_capture_on_commit_callbacks, seed=9)
    with django_capture_on_commit_callbacks(execute=True):
        large = services.job_start(dataset=dataset, actor=None, seed=9, chunk_size=1000)
    large.version.reference_time = small.version.reference_time  # same reference time, as a rerun would use
    for table in small.version.row_counts:
        a = list(Record.objects.filter(version=small.version, table_name=table).order_by("row_index")
                 .values_list("data", flat=True))
        b = list(Record.objects.filter(version=large.version, table_name=table).order_by("row_index")
                 .values_list("data", flat=True))
        assert orjson.dumps(a) == orjson.dumps(b)


def test_failing_chunk_is_retried_then_fails_the_job_and_retry_reruns_only_missing(
        dataset, monkeypatch, django_capture_on_commit_callbacks, tenant_a, api_client_for):
    from apps.datasets import services as dataset_svc

    real = dataset_svc.iter_batches
    broken = {"orders"}

    def flaky(engine_plan, table, start, stop):
        if table in broken and start == 0:
            raise RuntimeError("disk on fire")
        return real(engine_plan, table, start, stop)

    monkeypatch.setattr(dataset_svc, "iter_batches", flaky)
    job = start(dataset, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "disk on fire" in job.error and "orders[0:10]" in job.error
    failed = job.chunks.get(status=ChunkStatus.FAILED)
    assert failed.attempts == services.max_chunk_attempts()
    assert job.version.status == "failed"
    done_before = set(job.chunks.filter(status=ChunkStatus.DONE).values_list("pk", "finished_at"))

    broken.clear()
    client = api_client_for(tenant_a[1]["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/jobs/{job.pk}/retry/")
    assert response.status_code == 202, response.content
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2 and job.rows_done == job.rows_total
    # Chunks that had succeeded were not run again.
    assert done_before <= set(job.chunks.values_list("pk", "finished_at"))
    assert Record.objects.filter(version=job.version).count() == job.rows_total
    assert {"job.fail", "job.retry"} <= set(AuditEvent.objects.values_list("action", flat=True))


def test_cancel_a_queued_job(dataset, tenant_a, api_client_for):
    # Without executing on-commit callbacks the chunks stay queued.
    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    client = api_client_for(tenant_a[1]["editor"])
    response = client.post(f"{BASE}/jobs/{job.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    job.refresh_from_db()
    assert job.version.status == "cancelled"
    assert set(job.chunks.values_list("status", flat=True)) == {ChunkStatus.CANCELLED}
    # A chunk task delivered after the cancel does nothing.
    assert services.chunk_run(chunk_id=job.chunks.first().pk) == "skipped"
    assert not Record.objects.filter(version=job.version).exists()
    assert_error_shape(client.post(f"{BASE}/jobs/{job.pk}/cancel/"), 409)
    assert_error_shape(client.post(f"{BASE}/jobs/{job.pk}/retry/"), 409)
    assert AuditEvent.objects.filter(action="job.cancel").exists()


@pytest.mark.django_db(transaction=True)
def test_cancel_while_running_keeps_the_version_unfinished(on_postgres, dataset, monkeypatch):
    import threading

    from django.db import connection

    from apps.datasets import services as dataset_svc
    from apps.generation import dispatch

    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: None)  # the test delivers the chunks itself
    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    first, *rest = list(job.chunks.order_by("id"))
    assert services.chunk_run(chunk_id=first.pk) == "done"
    real = dataset_svc.iter_batches

    def cancel_midway(engine_plan, table, start, stop):
        # The user cancels from another connection while this chunk is being generated.
        def cancel():
            services.job_cancel(job=job, actor=None)
            connection.close()

        thread = threading.Thread(target=cancel)
        thread.start()
        thread.join()
        return real(engine_plan, table, start, stop)

    monkeypatch.setattr(dataset_svc, "iter_batches", cancel_midway)
    assert services.chunk_run(chunk_id=rest[0].pk) == "cancelled"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.chunks_done == 1
    assert job.version.status == "cancelled"
    # The cancelled chunk's rows were rolled back.
    assert not Record.objects.filter(version=job.version, table_name=rest[0].table_name,
                                     row_index__gte=rest[0].start, row_index__lt=rest[0].stop).exists()


def test_reaper_requeues_an_expired_lease_and_fails_after_max_attempts(dataset, django_capture_on_commit_callbacks):
    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    chunk = job.chunks.order_by("id").first()
    past = timezone.now() - timedelta(seconds=1)
    JobChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.RUNNING, attempts=1, lease_expires_at=past)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.jobs_reap()["requeued"] >= 1
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.DONE and chunk.attempts == 2

    other = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    stuck = other.chunks.order_by("id").first()
    JobChunk.objects.filter(pk=stuck.pk).update(status=ChunkStatus.RUNNING, attempts=services.max_chunk_attempts(),
                                                lease_expires_at=past)
    assert services.jobs_reap()["failed"] == 1
    other.refresh_from_db()
    assert other.status == JobStatus.FAILED and "worker stopped" in other.error


def test_dispatcher_enqueues_again_chunks_whose_tasks_the_queue_lost(dataset, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    from apps.generation import dispatch

    lost = []
    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: lost.append(args))  # accepted, then lost
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    assert lost and job.chunks.filter(enqueued_at__isnull=False).count() == len(lost)
    assert dispatch.dispatch()["chunks"] == 0  # enqueued recently: the broker may still deliver them
    monkeypatch.undo()
    JobChunk.objects.filter(job=job).update(enqueued_at=timezone.now() - dispatch.redeliver_after()
                                            - timedelta(seconds=1))
    dispatch.dispatch()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    requeues = AuditEvent.objects.filter(action="job.requeue", target_id=str(job.pk))
    assert requeues.exists() and all(e.after["reason"] == "task lost by the queue" for e in requeues)


def test_bad_generate_input_is_400_and_creates_nothing(dataset, tenant_a, api_client_for):
    client = api_client_for(tenant_a[1]["editor"])
    url = f"{BASE}/datasets/{dataset.pk}/generate/"
    assert_error_shape(client.post(url, {"seed": -1, "rows_scale": 0}, format="json"), 400,
                       paths={"seed", "rows_scale"})
    assert_error_shape(client.post(url, {"tables": ["nope"]}, format="json"), 400, paths={"tables.0"})
    dataset.tenant.max_rows_per_version = 1000
    dataset.tenant.save()
    assert_error_shape(client.post(url, {"rows_scale": 999}, format="json"), 400, paths={"rows_scale"})
    assert not GenerationJob.objects.exists()
    assert_error_shape(api_client_for(tenant_a[1]["viewer"]).post(url, {}, format="json"), 403)


def test_other_tenant_gets_404_for_jobs(dataset, tenant_b, api_client_for):
    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    client = api_client_for(tenant_b[1]["owner"])
    assert_error_shape(client.get(f"{BASE}/jobs/{job.pk}/"), 404)
    assert_error_shape(client.post(f"{BASE}/jobs/{job.pk}/cancel/"), 404)
    assert_error_shape(client.post(f"{BASE}/jobs/{job.pk}/retry/"), 404)
    assert_error_shape(client.post(f"{BASE}/datasets/{dataset.pk}/generate/", {}, format="json"), 404)
    assert_error_shape(client.get(f"/api/v1/tenants/beta/jobs/{job.pk}/"), 404)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_job_list_is_scoped_to_visible_datasets(dataset, tenant_a, api_client_for):
    tenant, users = tenant_a
    services.job_start(dataset=dataset, actor=None, chunk_size=10)
    assert len(api_client_for(users["viewer"]).get(f"{BASE}/jobs/").json()["results"]) == 1
    from apps.datasets.services import dataset_permissions_set

    dataset_permissions_set(dataset=dataset, actor=None, roles={"viewer": []}, members=[])
    assert api_client_for(users["viewer"]).get(f"{BASE}/jobs/").json()["results"] == []


@pytest.mark.django_db(transaction=True)
def test_job_commands(dataset, capsys):
    from django.core.management import call_command

    # Committed for real, so the queued chunks run (sync mode) before --wait starts polling.
    call_command("job_run", "--dataset", str(dataset.pk), "--seed", "4", "--wait", "--timeout", "60")
    out = capsys.readouterr().out
    assert "succeeded" in out
    call_command("job_status", "--dataset", str(dataset.pk))
    assert "succeeded" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No dataset"):
        call_command("job_run", "--dataset", "999999")
    with pytest.raises(CommandError, match="rows_scale"):
        call_command("job_run", "--dataset", str(dataset.pk), "--rows-scale", "-1")


@pytest.mark.django_db(transaction=True)
def test_a_chunk_task_delivered_at_once_several_times_counts_once(on_postgres, dataset, monkeypatch):
    import threading

    from django.db import connection

    from apps.generation import dispatch

    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: None)  # the test delivers the chunks itself
    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    chunk = job.chunks.order_by("id").first()
    results, barrier = [], threading.Barrier(4)

    def deliver():
        try:
            barrier.wait()
            results.append(services.chunk_run(chunk_id=chunk.pk, worker=threading.current_thread().name))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("done") == 1 and len(results) == 4, results
    job.refresh_from_db()
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.DONE
    assert (job.rows_done, job.chunks_done) == (chunk.rows, 1)
    rows = Record.objects.filter(version=job.version, table_name=chunk.table_name)
    assert sorted(rows.values_list("row_index", flat=True)) == list(range(chunk.start, chunk.stop))
