"""Masking jobs that read uploaded samples instead of a database, and progress inside a table: rows done over
rows expected while a table is masked, estimates settled by the chunk's own count."""

from __future__ import annotations

import csv
import io
import json

import pytest
from guardian.shortcuts import remove_perm

from apps.audit.models import AuditEvent
from apps.datasets.models import Dataset, Record
from apps.generation import live
from apps.generation import services as generation
from apps.generation.models import ChunkStatus, GenerationJob, JobStatus
from apps.masking import selectors, sources
from apps.tenants.models import TenantGroup
from tests.conftest import assert_error_shape
from tests.exports.conftest import scratch_postgres  # noqa: F401  (a fixture)

from . import data, samples
from .test_api_jobs import make_key, source, start, target  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def uploaded(tenant_a):
    tenant, users = tenant_a
    people = samples.people_csv(120)
    persons = samples.upload(tenant, users["editor"], "persons", people)
    orders = samples.upload(tenant, users["editor"], "orders", samples.orders_csv(120))
    return {"persons": persons, "orders": orders, "csv": people}


def originals(people_csv: bytes) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(people_csv.decode())))
    found = {samples.SECRET_NAME, samples.SECRET_EMAIL, samples.SECRET_IBAN}
    for row in rows:
        found |= {row["email"], row["phone"], row["phone"].replace(" ", ""), row["national_id"], row["note"]}
    return found


def suggested(tenant_a, uploaded, capture) -> dict:
    tenant, users = tenant_a
    profile = samples.profile_of(tenant, users["editor"], [uploaded["persons"], uploaded["orders"]], capture)
    document, _ = selectors.rules_suggested(tenant=tenant, user=users["admin"], profile=profile.pk)
    return document


def mask_samples(client, rules, ids, capture=None):
    body = {"rules": rules, "source": {"samples": ids}}
    if capture is None:
        return client.post(f"{BASE}/maskings/", body, format="json")
    with capture(execute=True):
        return client.post(f"{BASE}/maskings/", body, format="json")


def test_a_masking_job_reads_samples_and_keeps_nothing_original(
    tenant_a, api_client_for, uploaded, caplog, django_capture_on_commit_callbacks
):
    rules = suggested(tenant_a, uploaded, django_capture_on_commit_callbacks)
    client = api_client_for(tenant_a[1]["admin"])
    make_key(client)
    ids = [uploaded["orders"].pk, uploaded["persons"].pk]
    response = mask_samples(client, rules, ids, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    assert job.parameters["source"]["tables"] == ["persons", "orders"]  # keys before the tables that refer to them
    rows_orders = uploaded["orders"].row_count
    assert (job.rows_done, job.rows_total) == (120 + rows_orders, 120 + rows_orders)
    persons = [r.data for r in Record.objects.filter(version=job.version, table_name="persons").order_by("row_index")]
    orders = [r.data for r in Record.objects.filter(version=job.version, table_name="orders").order_by("row_index")]
    assert len(persons) == 120 and len(orders) == rows_orders
    ids_masked = {p["id"] for p in persons}
    assert len(ids_masked) == 120 and all(o["person_id"] in ids_masked for o in orders)
    assert all(data.iban_ok(p["iban"]) for p in persons)
    assert len({p["email"] for p in persons}) == 120  # unique in the sample, unique masked
    assert [p["score"] for p in persons] == [
        float(r["score"]) for r in csv.DictReader(io.StringIO(uploaded["csv"].decode()))
    ]  # kept columns as they were

    stored = json.dumps([persons, orders]) + json.dumps(
        GenerationJob.objects.filter(pk=job.pk).values().first(), default=str
    )
    audit = json.dumps(list(AuditEvent.objects.values("before", "after", "target_label")), default=str)
    timeline = client.get(f"{BASE}/jobs/{job.pk}/events/").json()["events"]
    assert [e["type"] for e in timeline] == ["queued", "claimed", "chunk_done", "chunk_done", "succeeded"]
    assert timeline[0]["message"].startswith("queued: masking 2 tables of 2 samples")
    for text in (stored, audit, caplog.text, json.dumps(timeline)):
        assert [value for value in originals(uploaded["csv"]) if value in text] == []
    start_event = AuditEvent.objects.get(action="masking.start")
    assert start_event.after["samples"] == {"persons": uploaded["persons"].pk, "orders": uploaded["orders"].pk}


def test_samples_of_another_tenant_or_hidden_ones_are_refused_like_missing_ones(
    tenant_a,
    tenant_b,
    api_client_for,
    uploaded,
    target,  # noqa: F811
):
    client = api_client_for(tenant_a[1]["admin"])
    make_key(client)
    rules = {"unlisted": "keep", "tables": {"persons": {"columns": {"email": {"rule": "fake", "provider": "email"}}}}}
    theirs = samples.upload(tenant_b[0], tenant_b[1]["owner"], "persons", samples.people_csv(10))
    missing = assert_error_shape(mask_samples(client, rules, [999_999]), 400, paths={"source.samples.0"})
    other = assert_error_shape(mask_samples(client, rules, [theirs.pk]), 400, paths={"source.samples.0"})
    assert missing["details"] == other["details"]
    # The admin loses view on the sample: the same answer.
    group = TenantGroup.objects.get(tenant=tenant_a[0], role="admin").group
    hidden = samples.upload(tenant_a[0], tenant_a[1]["owner"], "hidden", samples.people_csv(10))
    remove_perm("view_sample", group, hidden)
    assert (
        assert_error_shape(mask_samples(client, rules, [hidden.pk]), 400, paths={"source.samples.0"})["details"]
        == missing["details"]
    )
    # Two samples of one table, samples with a target, neither, bad ids.
    twin = samples.upload(tenant_a[0], tenant_a[1]["editor"], "persons", samples.people_csv(10))
    assert_error_shape(mask_samples(client, rules, [uploaded["persons"].pk, twin.pk]), 400, paths={"source.samples.1"})
    both = {"rules": rules, "source": {"samples": [uploaded["persons"].pk], "target": target.pk, "tables": ["persons"]}}
    assert_error_shape(client.post(f"{BASE}/maskings/", both, format="json"), 400, paths={"source.samples"})
    assert_error_shape(
        client.post(f"{BASE}/maskings/", {"rules": rules, "source": {}}, format="json"),
        400,
        paths={"source.target", "source.tables"},
    )
    assert_error_shape(mask_samples(client, rules, ["x"]), 400, paths={"source.samples.0"})
    # A rule for a column the sample lacks.
    bad = {"tables": {"persons": {"columns": {"ghost": "keep"}}}, "unlisted": "keep"}
    assert_error_shape(
        mask_samples(client, bad, [uploaded["persons"].pk]), 400, paths={"rules.tables.persons.columns.ghost"}
    )
    assert not GenerationJob.objects.exists() and not Dataset.objects.filter(tenant=tenant_a[0]).exists()
    # Editors may not start masking jobs at all.
    assert mask_samples(api_client_for(tenant_a[1]["editor"]), rules, [uploaded["persons"].pk]).status_code == 403


def test_a_sample_deleted_before_its_chunk_runs_fails_the_job_without_values(
    tenant_a, api_client_for, uploaded, django_capture_on_commit_callbacks
):
    from apps.profiling import services as profiling

    client = api_client_for(tenant_a[1]["admin"])
    make_key(client)
    rules = {"unlisted": "keep", "tables": {"persons": {"columns": {"email": {"rule": "fake", "provider": "email"}}}}}
    response = mask_samples(client, rules, [uploaded["persons"].pk])  # dispatched on commit: not run yet
    job = GenerationJob.objects.get(pk=response.json()["id"])
    profiling.sample_delete(sample=uploaded["persons"], actor=tenant_a[1]["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        for chunk in job.chunks.all():
            for _ in range(5):
                generation.chunk_run(chunk_id=chunk.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "sample of this job was deleted" in job.error
    assert all(value not in job.error for value in originals(uploaded["csv"]))


def test_progress_inside_a_table_moves_to_the_exact_count(
    tenant_a, api_client_for, uploaded, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SYNTHHUB_MASKING_CHUNK_ROWS = 25
    settings.SYNTHHUB_PROGRESS_REPORT_MS = 0
    reports = []
    real_report = live.ChunkReporter.report

    def report(reporter, rows, expected):
        reports.append((rows, expected))
        return real_report(reporter, rows, expected)

    monkeypatch.setattr(live.ChunkReporter, "report", report)
    client = api_client_for(tenant_a[1]["admin"])
    make_key(client)
    rules = {"unlisted": "keep", "tables": {"persons": {"columns": {"email": {"rule": "fake", "provider": "email"}}}}}
    response = mask_samples(client, rules, [uploaded["persons"].pk], django_capture_on_commit_callbacks)
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    assert reports == [(25, 120), (50, 120), (75, 120), (100, 120), (120, 120)]
    assert live.job_rows_progress(job) == {
        "rows_done": 120, "rows_total": 120,
        "tables": [{"table": "persons", "status": "done", "rows_done": 120, "rows_total": 120}],
    }


def test_the_job_page_shows_rows_of_a_running_table(tenant_a, api_client_for, uploaded, client):
    admin = tenant_a[1]["admin"]
    make_key(api_client_for(admin))
    rules = {"unlisted": "keep", "tables": {"persons": {"columns": {"email": {"rule": "fake", "provider": "email"}}}}}
    response = mask_samples(api_client_for(admin), rules, [uploaded["persons"].pk])
    job = GenerationJob.objects.get(pk=response.json()["id"])
    chunk = job.chunks.get()
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    type(chunk).objects.filter(pk=chunk.pk).update(status=ChunkStatus.RUNNING, attempts=1)
    chunk.refresh_from_db()
    reporter = live.ChunkReporter(chunk, clock=iter(range(0, 100, 5)).__next__)  # 5 s between reports
    try:
        reporter.report(48, 120)
        client.force_login(admin)
        page = client.get(f"/console/generation/generationjob/{job.pk}/progress/").content.decode()
        assert 'value="40"' in page  # the job's bar: 48 of 120 rows
        assert "48 of 120" in page and 'data-table="persons"' in page
        reporter.report(96, 120)
        page = client.get(f"/console/generation/generationjob/{job.pk}/progress/").content.decode()
        assert 'value="80"' in page and "96 of 120" in page
    finally:
        reporter.close()
        reporter.clear()


def test_a_source_table_estimate_is_settled_by_the_chunks_count(
    tenant_a,
    api_client_for,
    target,  # noqa: F811
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(sources, "row_estimate", lambda connection, table: 1_000)
    client = api_client_for(tenant_a[1]["admin"])
    make_key(client)
    response = start(client, target, capture=django_capture_on_commit_callbacks)
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    assert (job.rows_done, job.rows_total) == (210, 210)
    assert sorted(job.chunks.values_list("table_name", "stop")) == [("customers", 60), ("orders", 150)]


def test_row_estimate_counts_up_to_its_bound_then_reads_reltuples(source):  # noqa: F811
    import psycopg

    with psycopg.connect(**source["params"], autocommit=True) as connection:
        assert sources.row_estimate(connection, "orders") == 150
        connection.execute("ANALYZE orders")
        assert sources.row_estimate(connection, "orders", bound=100) == 150  # reltuples after ANALYZE
        connection.execute("CREATE TABLE never_analyzed AS SELECT * FROM orders")
        assert sources.row_estimate(connection, "never_analyzed", bound=100) == 101  # at least what was counted
