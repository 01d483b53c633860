"""Rows done inside a table while a masking job's chunk still holds them uncommitted: reported by the worker on a
connection of its own (on SQLite into a file beside the database), at a bounded rate, and read by the API and
the console from another connection."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from apps.generation import dispatch, live
from apps.generation import services as generation
from apps.generation.models import ChunkStatus, GenerationJob, JobChunk
from apps.masking import jobs as masking_jobs

from . import samples
from .test_api_jobs import make_key

BASE = "/api/v1/tenants/alpha"
RULES = {"unlisted": "keep", "tables": {"persons": {"columns": {"email": {"rule": "fake", "provider": "email"}}}}}


def start_undelivered(tenant_a, api_client_for, monkeypatch, rows=120):
    """A masking job over a sample of `rows` people whose chunk the test runs itself."""
    tenant, users = tenant_a
    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: None)
    sample = samples.upload(tenant, users["editor"], "persons", samples.people_csv(rows))
    client = api_client_for(users["admin"])
    make_key(client)
    response = client.post(f"{BASE}/maskings/", {"rules": RULES, "source": {"samples": [sample.pk]}}, format="json")
    assert response.status_code == 202, response.content
    return GenerationJob.objects.get(pk=response.json()["id"])


class PausedReader:
    """Wraps the sample reader so the worker stops inside the table after `batches` batches until released."""

    def __init__(self, monkeypatch, batches: int):
        self.batches, self.reached, self.release = batches, threading.Event(), threading.Event()
        real = masking_jobs._SampleReader.chunks
        paused = self

        def chunks(reader, table, columns, chunk_rows):
            for number, part in enumerate(real(reader, table, columns, chunk_rows)):
                if number == paused.batches:
                    paused.reached.set()
                    assert paused.release.wait(30)
                yield part

        monkeypatch.setattr(masking_jobs._SampleReader, "chunks", chunks)


def live_rows_elsewhere(chunk_id: int) -> dict:
    """What another connection (another thread's) reads of the chunk's first attempt."""
    box = {}

    def read():
        try:
            box["rows"] = live.running_rows([(chunk_id, 1)])
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(30)
    return box["rows"]


def run_in_worker(chunk_id: int) -> tuple[threading.Thread, dict]:
    box = {}

    def work():
        try:
            box["result"] = generation.chunk_run(chunk_id=chunk_id, worker="test:1")
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=work)
    thread.start()
    return thread, box


@pytest.mark.django_db(transaction=True)
def test_rows_inside_a_table_are_seen_from_another_connection_through_the_api_and_the_console(
    tenant_a, tenant_b, api_client_for, monkeypatch, settings, client
):
    settings.SYNTHHUB_MASKING_CHUNK_ROWS = 24
    settings.SYNTHHUB_PROGRESS_REPORT_MS = 0  # every batch reports: the figures are exact
    job = start_undelivered(tenant_a, api_client_for, monkeypatch)
    chunk = job.chunks.get()
    admin, outsider = tenant_a[1]["admin"], tenant_b[1]["owner"]
    # Signed in before the worker takes the write lock (the reads below write nothing).
    api, other = APIClient(), APIClient()
    api.force_authenticate(admin)
    other.force_authenticate(outsider)
    client.force_login(admin)
    paused = PausedReader(monkeypatch, batches=2)
    thread, box = run_in_worker(chunk.pk)
    try:
        assert paused.reached.wait(30)
        detail = api.get(f"{BASE}/jobs/{job.pk}/").json()
        assert (detail["status"], detail["rows_done"]) == ("running", 0)  # nothing committed yet
        assert detail["progress_detail"] == {
            "rows_done": 48, "rows_total": 120,
            "tables": [{"table": "persons", "status": "running", "rows_done": 48, "rows_total": 120}],
        }
        listed = api.get(f"{BASE}/maskings/").json()["results"]
        assert [j["progress_detail"]["rows_done"] for j in listed if j["id"] == job.pk] == [48]
        page = client.get(f"/console/generation/generationjob/{job.pk}/progress/").content.decode()
        assert 'value="40"' in page and "48 of 120" in page and 'data-table="persons"' in page
        # Another tenant sees no such job, through either route.
        assert other.get(f"{BASE}/jobs/{job.pk}/").status_code == 404
        assert other.get(f"/api/v1/tenants/beta/jobs/{job.pk}/").status_code == 404
        assert other.get(f"{BASE}/maskings/").status_code == 404
    finally:
        paused.release.set()
        thread.join(60)
    assert box["result"] == "done"
    detail = api.get(f"{BASE}/jobs/{job.pk}/").json()
    assert detail["status"] == "succeeded" and detail["progress_detail"] == {
        "rows_done": 120, "rows_total": 120,
        "tables": [{"table": "persons", "status": "done", "rows_done": 120, "rows_total": 120}],
    }
    assert live.running_rows([(chunk.pk, 1)]) == {}  # cleared once the chunk committed


@pytest.mark.django_db(transaction=True)
def test_reports_are_written_at_most_once_per_interval(tenant_a, api_client_for, monkeypatch, settings):
    settings.SYNTHHUB_MASKING_CHUNK_ROWS = 10
    settings.SYNTHHUB_PROGRESS_REPORT_MS = 60_000
    written = []
    real = live._Writer.execute

    def execute(writer, sql, params):
        if sql.startswith("INSERT"):
            written.append(params[2])
        return real(writer, sql, params)

    monkeypatch.setattr(live._Writer, "execute", execute)
    job = start_undelivered(tenant_a, api_client_for, monkeypatch)
    paused = PausedReader(monkeypatch, batches=5)
    thread, box = run_in_worker(job.chunks.get().pk)
    try:
        assert paused.reached.wait(30)
        # The start (nothing done), then five batches masked: only the first one reported within the minute.
        assert written == [0, 10]
        assert live.job_rows_progress(job)["rows_done"] == 10
    finally:
        paused.release.set()
        thread.join(60)
    assert box["result"] == "done" and written == [0, 10]


@pytest.mark.django_db
def test_the_bound_follows_the_clock(settings):
    settings.SYNTHHUB_PROGRESS_REPORT_MS = 1000
    now = [100.0]
    chunk = JobChunk(pk=10**9, attempts=1)
    reporter = live.ChunkReporter(chunk, clock=lambda: now[0])
    try:
        wrote = []
        for step in range(300):  # a report every 10 ms for 3 s
            now[0] = 100.0 + step / 100
            wrote.append(reporter.report(step, 300))
        assert sum(wrote) == 3 and reporter.writes == 3
        assert [i for i, w in enumerate(wrote) if w] == [0, 100, 200]
        assert live.running_rows([(chunk.pk, 1)]) == {chunk.pk: (200, 300)}
        assert live.running_rows([(chunk.pk, 2)]) == {}  # a report of another attempt is not this one's
    finally:
        reporter.close()
        reporter.clear()
    assert live.running_rows([(chunk.pk, 1)]) == {}


@pytest.mark.django_db
def test_a_failed_attempt_leaves_no_figure_behind(tenant_a, api_client_for, monkeypatch, settings):
    settings.SYNTHHUB_MASKING_CHUNK_ROWS = 24
    settings.SYNTHHUB_PROGRESS_REPORT_MS = 0
    job = start_undelivered(tenant_a, api_client_for, monkeypatch)
    chunk = job.chunks.get()
    real = masking_jobs._SampleReader.chunks
    seen = []

    def broken(reader, table, columns, chunk_rows):
        for number, part in enumerate(real(reader, table, columns, chunk_rows)):
            if number == 3:
                # Read from this thread's connection only between statements: on PostgreSQL it is inside a COPY.
                seen.append(live_rows_elsewhere(chunk.pk))
                raise OSError("sample storage went away")
            yield part

    monkeypatch.setattr(masking_jobs._SampleReader, "chunks", broken)
    assert generation.chunk_run(chunk_id=chunk.pk) == "failed"
    assert seen == [{chunk.pk: (72, 120)}]
    assert live.running_rows([(chunk.pk, 1)]) == {}
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.PENDING  # retried later; its bar starts again from nothing
    assert live.job_rows_progress(GenerationJob.objects.get(pk=job.pk))["rows_done"] == 0


@pytest.mark.django_db
def test_generation_jobs_report_rows_per_table_from_their_chunks(tenant_a, api_client_for, make_dataset,
                                                                 monkeypatch):
    tenant, users = tenant_a
    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: None)
    job = generation.job_start(dataset=make_dataset(tenant, users["owner"]), actor=users["owner"], chunk_size=10)
    chunks = list(job.chunks.order_by("pk"))
    first = chunks[0]
    assert generation.chunk_run(chunk_id=first.pk) == "done"
    detail = api_client_for(users["viewer"]).get(f"{BASE}/jobs/{job.pk}/").json()
    progress = detail["progress_detail"]
    assert (progress["rows_done"], progress["rows_total"]) == (first.rows, job.rows_total) == (10, job.rows_total)
    tables = progress["tables"]
    assert [t["table"] for t in tables] == list(dict.fromkeys(c.table_name for c in chunks))
    assert tables[0] == {"table": first.table_name, "status": "running", "rows_done": 10,
                         "rows_total": sum(c.rows for c in chunks if c.table_name == first.table_name)}
    assert all(t["status"] == "pending" and t["rows_done"] == 0 for t in tables[1:])
    assert sum(t["rows_total"] for t in tables) == job.rows_total


@pytest.mark.django_db
def test_a_page_of_jobs_reads_its_progress_in_the_same_queries_whatever_its_length(
    tenant_a, api_client_for, make_dataset, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tenant, users = tenant_a
    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: None)
    dataset = make_dataset(tenant, users["owner"])
    client = api_client_for(users["viewer"])

    def listed():
        with CaptureQueriesContext(connection) as queries:
            body = client.get(f"{BASE}/jobs/").json()
        return len(queries), [j["progress_detail"]["rows_total"] for j in body["results"]]

    first = generation.job_start(dataset=dataset, actor=users["owner"], chunk_size=10)
    client.get(f"{BASE}/jobs/")  # warm whatever is read once per process
    one, totals = listed()
    assert totals == [first.rows_total]
    for _ in range(3):
        generation.job_start(dataset=dataset, actor=users["owner"], chunk_size=10)
    four, totals = listed()
    assert four == one and len(totals) == 4 and all(totals)
