"""The outbox and its dispatcher: a broker that is down, idempotent retries, one re-queue per dead worker's
chunk (audited), and fair shares between tenants."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from apps.audit.models import AuditEvent
from apps.generation import dispatch, services
from apps.generation.models import ChunkStatus, GenerationJob, IdempotencyKey, JobChunk, JobStatus
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def dataset(tenant_a, make_dataset):
    tenant, users = tenant_a
    return make_dataset(tenant, users["owner"])


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(dispatch, "async_task", refuse)
    return monkeypatch


@pytest.fixture
def on_the_broker(monkeypatch):
    """Tasks go to the ORM broker (a table in this database) instead of running in this process."""
    monkeypatch.setattr(Conf, "SYNC", False)
    return lambda: OrmQ.objects.count()


def test_generate_answers_202_while_the_broker_is_down_and_runs_when_it_is_back(
        dataset, tenant_a, api_client_for, broker_down, django_capture_on_commit_callbacks):
    client = api_client_for(tenant_a[1]["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/datasets/{dataset.pk}/generate/", {"seed": 3}, format="json")
    assert response.status_code == 202, response.content
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == JobStatus.QUEUED
    assert not job.chunks.exclude(status=ChunkStatus.PENDING).exists()
    assert not job.chunks.filter(enqueued_at__isnull=False).exists()  # nothing counts as handed to the broker

    broker_down.undo()  # the broker is back: the scheduler's next pass
    dispatch.dispatch()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.rows_done == job.rows_total


def test_export_answers_202_while_the_broker_is_down(tenant_a, make_dataset, make_version, api_client_for,
                                                     broker_down, django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    version = make_version(make_dataset(tenant, users["owner"]))
    client = api_client_for(users["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/exports/", {"dataset": version.dataset_id, "version": version.number,
                                                    "format": "csv", "tables": ["customers"]}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    broker_down.undo()
    assert dispatch.dispatch()["exports"] == 1
    assert client.get(f"{BASE}/exports/{response.json()['id']}/").json()["status"] == "succeeded"


def test_a_retried_generate_with_the_same_key_returns_the_first_answer(
        dataset, tenant_a, api_client_for, django_capture_on_commit_callbacks):
    client = api_client_for(tenant_a[1]["editor"])
    url = f"{BASE}/datasets/{dataset.pk}/generate/"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"seed": 3}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        again = client.post(url, {"seed": 3}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert GenerationJob.objects.count() == 1 and dataset.versions.count() == 1

    # The same key with another body is refused; another key is another request.
    assert_error_shape(client.post(url, {"seed": 4}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"), 422)
    with django_capture_on_commit_callbacks(execute=True):
        other = client.post(url, {"seed": 3}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    # Without a key every request is a new one, as before.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"seed": 3}, format="json").status_code == 202
    assert GenerationJob.objects.count() == 3


def test_idempotency_keys_are_scoped_to_the_user_and_expire(dataset, tenant_a, api_client_for, settings,
                                                             django_capture_on_commit_callbacks):
    users = tenant_a[1]
    url = f"{BASE}/datasets/{dataset.pk}/generate/"
    with django_capture_on_commit_callbacks(execute=True):
        mine = api_client_for(users["editor"]).post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="same")
        theirs = api_client_for(users["owner"]).post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert mine.json()["id"] != theirs.json()["id"]  # one user's key never answers another's request

    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=settings.SYNTHHUB_IDEMPOTENCY_TTL_HOURS,
                                                                        seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        later = api_client_for(users["editor"]).post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert later.status_code == 202 and later.json()["id"] not in (mine.json()["id"], theirs.json()["id"])


def test_a_bad_idempotency_key_or_a_failed_request_stores_nothing(dataset, tenant_a, api_client_for):
    client = api_client_for(tenant_a[1]["editor"])
    url = f"{BASE}/datasets/{dataset.pk}/generate/"
    assert_error_shape(client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256), 400,
                       paths={"Idempotency-Key"})
    assert_error_shape(client.post(url, {"seed": -1}, format="json", HTTP_IDEMPOTENCY_KEY="k"), 400, paths={"seed"})
    assert not IdempotencyKey.objects.exists() and not GenerationJob.objects.exists()


def test_a_retried_export_with_the_same_key_creates_one_export(tenant_a, make_dataset, make_version, api_client_for,
                                                               django_capture_on_commit_callbacks):
    from apps.exports.models import Export

    tenant, users = tenant_a
    version = make_version(make_dataset(tenant, users["owner"]))
    client = api_client_for(users["owner"])
    body = {"dataset": version.dataset_id, "version": version.number, "format": "jsonl", "tables": ["customers"]}
    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post(f"{BASE}/exports/", body, format="json", HTTP_IDEMPOTENCY_KEY="e-1")
                   for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202] and answers[0].json() == answers[1].json()
    assert Export.objects.count() == 1


def test_the_openapi_document_declares_the_idempotency_header(api_client_for, tenant_a):
    schema = api_client_for(tenant_a[1]["owner"]).get("/api/schema/?format=json").json()
    for path, method in (("/api/v1/tenants/{tenant}/datasets/{dataset_pk}/generate/", "post"),
                         ("/api/v1/tenants/{tenant}/exports/", "post")):
        operation = schema["paths"][path][method]
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
        assert "422" in operation["responses"]


def _dead_workers_chunk(dataset):
    """A job whose first chunk was claimed by a worker that died long ago (lease and job heartbeat stale);
    its other chunks are done."""
    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    chunk = job.chunks.order_by("id").first()
    long_ago = timezone.now() - services.chunk_lease() * 5
    job.chunks.exclude(pk=chunk.pk).update(status=ChunkStatus.DONE)
    JobChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.RUNNING, attempts=1, lease_expires_at=long_ago,
                                                worker="gone:1", enqueued_at=long_ago)
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, last_heartbeat=long_ago,
                                                   updated_at=long_ago)
    return job, chunk


def test_the_reaper_enqueues_a_dead_workers_chunk_once_and_audits_it(dataset, on_the_broker,
                                                                     django_capture_on_commit_callbacks):
    job, chunk = _dead_workers_chunk(dataset)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.jobs_reap() == {"requeued": 1, "failed": 0}
    assert on_the_broker() == 1
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (ChunkStatus.PENDING, 1)
    event = AuditEvent.objects.get(action="job.requeue", target_id=str(job.pk))
    assert event.after["reason"] == "its worker stopped (lease expired)" and event.after["chunk"] == str(chunk)
    # A second pass finds nothing to do: the chunk is on the broker.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.jobs_reap() == {"requeued": 0, "failed": 0}
        dispatch.dispatch()
    assert on_the_broker() == 1


def test_a_second_delivery_of_a_running_chunk_counts_no_attempt(dataset):
    job = services.job_start(dataset=dataset, actor=None, chunk_size=10)
    chunk = job.chunks.order_by("id").first()
    lease = timezone.now() + services.chunk_lease()
    JobChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.RUNNING, attempts=1, lease_expires_at=lease,
                                                worker="other:1")
    assert services.chunk_run(chunk_id=chunk.pk, worker="me:2") == "skipped"
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.worker) == (ChunkStatus.RUNNING, 1, "other:1")


# ----------------------------------------------------------------------------- fairness
def _sent_order(monkeypatch):
    sent = []
    monkeypatch.setattr(dispatch, "async_task", lambda func, chunk_id, **kwargs: sent.append(chunk_id))
    return sent


def test_dispatch_interleaves_tenants_and_caps_each(tenant_a, tenant_b, make_dataset, monkeypatch, settings):
    settings.SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS = 2
    big = services.job_start(dataset=make_dataset(tenant_a[0], tenant_a[1]["owner"]), actor=None, chunk_size=5)
    small = services.job_start(dataset=make_dataset(tenant_b[0], tenant_b[1]["owner"]), actor=None, chunk_size=5,
                               rows_scale=0.5)
    assert big.chunks_total > 6
    sent = _sent_order(monkeypatch)
    dispatch.dispatch()
    owner = dict(JobChunk.objects.values_list("id", "job_id"))
    assert [owner[c] for c in sent] == [big.pk, small.pk, big.pk, small.pk]  # round-robin, two each
    dispatch.dispatch()
    assert len(sent) == 4  # both tenants are at their cap until a chunk finishes

    # A chunk of A finishes: one more of A goes out, and B keeps its two.
    JobChunk.objects.filter(pk=sent[0]).update(status=ChunkStatus.DONE)
    dispatch.dispatch()
    assert len(sent) == 5 and owner[sent[4]] == big.pk


def test_without_a_cap_one_tenants_backlog_goes_first(tenant_a, tenant_b, make_dataset, monkeypatch, settings):
    settings.SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS = 0
    big = services.job_start(dataset=make_dataset(tenant_a[0], tenant_a[1]["owner"]), actor=None, chunk_size=5)
    sent = _sent_order(monkeypatch)
    dispatch.dispatch()
    small = services.job_start(dataset=make_dataset(tenant_b[0], tenant_b[1]["owner"]), actor=None, chunk_size=5)
    dispatch.dispatch()
    owner = dict(JobChunk.objects.values_list("id", "job_id"))
    assert [owner[c] for c in sent[:big.chunks_total]] == [big.pk] * big.chunks_total
    assert owner[sent[-1]] == small.pk


@pytest.mark.django_db(transaction=True)
def test_a_small_job_starts_at_once_beside_a_big_one(tenant_a, tenant_b, make_dataset, settings, monkeypatch):
    """Two tenants on one synchronous queue: with the cap, B's first chunk runs after at most the cap of A's
    chunks, not after all of them."""
    from django.db import transaction

    settings.SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS = 1
    order = []
    real = services.chunk_run

    def recording(*, chunk_id, worker=""):
        order.append(JobChunk.objects.get(pk=chunk_id).job_id)
        return real(chunk_id=chunk_id, worker=worker)

    monkeypatch.setattr(services, "chunk_run", recording)
    with transaction.atomic():  # both jobs are pending before the dispatcher sees either
        big = services.job_start(dataset=make_dataset(tenant_a[0], tenant_a[1]["owner"]), actor=None, chunk_size=5)
        small = services.job_start(dataset=make_dataset(tenant_b[0], tenant_b[1]["owner"]), actor=None,
                                   chunk_size=5, rows_scale=0.2)
    assert GenerationJob.objects.get(pk=small.pk).status == JobStatus.SUCCEEDED
    assert GenerationJob.objects.get(pk=big.pk).status == JobStatus.SUCCEEDED
    assert big.chunks_total > 4 and order.index(small.pk) <= 1, order


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_job(on_postgres, dataset, tenant_a, api_client_for):
    """The second request waits on the key's unique index until the first commits, then replays its answer."""
    import threading

    from django.db import connection

    url = f"{BASE}/datasets/{dataset.pk}/generate/"
    clients = [api_client_for(tenant_a[1]["editor"]) for _ in range(4)]
    answers, barrier = [], threading.Barrier(len(clients))

    def post(client):
        try:
            barrier.wait()
            answers.append(client.post(url, {"seed": 5}, format="json", HTTP_IDEMPOTENCY_KEY="retry-storm"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [202] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert GenerationJob.objects.count() == 1
