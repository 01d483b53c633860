"""Job timelines: written by the runners, bounded, scoped like their job, and free of generated values."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.generation import dispatch
from apps.generation import services as generation
from apps.generation.models import GenerationJob, JobStatus
from apps.observability import events
from apps.observability.models import JobEvent, JobKind

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"
CANARY = "ZEBRA-CANARY-4711"
CANARY_SPEC = {
    "version": 1,
    "name": "canary",
    "seed": 5,
    "tables": {
        "people": {"rows": 25, "primary_key": "id", "columns": {
            "id": {"type": "sequence"},
            "code": {"type": "choice", "values": [CANARY]},
            "note": {"type": "template", "template": "note {code}"},
        }},
    },
}


@pytest.fixture
def canary(tenant_a, make_dataset):
    tenant, users = tenant_a
    return make_dataset(tenant, users["owner"], name="canary", spec=CANARY_SPEC)


def generate(client, dataset, capture):
    with capture(execute=True):
        response = client.post(f"{BASE}/datasets/{dataset.pk}/generate/", {}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def test_a_generation_job_tells_its_story_without_its_values(canary, tenant_a, api_client_for, settings,
                                                             django_capture_on_commit_callbacks):
    settings.SYNTHHUB_CHUNK_ROWS = 10
    client = api_client_for(tenant_a[1]["editor"])
    job_id = generate(client, canary, django_capture_on_commit_callbacks)
    job = GenerationJob.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED and job.chunks_total == 3
    from apps.datasets.models import Record
    assert Record.objects.filter(version=job.version, data__code=CANARY).count() == 25  # the value is stored

    response = client.get(f"{BASE}/jobs/{job_id}/events/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "generation" and body["job"] == job_id and body["dropped"] == 0
    types = [event["type"] for event in body["events"]]
    assert types[0] == "queued" and types[1] == "claimed" and types[-1] == "succeeded"
    done = [event for event in body["events"] if event["type"] == "chunk_done"]
    assert len(done) == 3 and sum(event["rows"] for event in done) == 25
    assert all(event["seconds"] is not None and event["chunk"].startswith("people[") for event in done)
    assert "requested by editor@alpha.test" in body["events"][0]["message"]
    assert [event["seq"] for event in body["events"]] == list(range(1, len(types) + 1))
    assert CANARY not in response.content.decode()

    out = StringIO()
    call_command("job_status", "--job", str(job_id), "--events", stdout=out)
    printed = out.getvalue()
    assert "chunk_done" in printed and "succeeded" in printed and CANARY not in printed


def test_a_failing_chunk_is_retried_then_fails_and_the_events_never_quote_the_error(
        canary, tenant_a, api_client_for, monkeypatch, django_capture_on_commit_callbacks):
    from apps.datasets import services as dataset_services

    def leaking(*args, **kwargs):
        raise ValueError(f"duplicate key value ({CANARY})")  # a database error quoting a row's value

    monkeypatch.setattr(dataset_services, "iter_batches", leaking)
    client = api_client_for(tenant_a[1]["editor"])
    job_id = generate(client, canary, django_capture_on_commit_callbacks)
    job = GenerationJob.objects.get(pk=job_id)
    assert job.status == JobStatus.FAILED and CANARY in job.error  # the job's own error keeps the text

    body = client.get(f"{BASE}/jobs/{job_id}/events/").json()
    types = [event["type"] for event in body["events"]]
    attempts = generation.max_chunk_attempts()
    assert types.count("retried") == attempts - 1 and types[-1] == "failed"
    assert "ValueError" in body["events"][-1]["message"]
    assert CANARY not in str(body)


def test_cancel_is_an_event_naming_who_cancelled(canary, tenant_a, api_client_for, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: None)  # the job stays queued
    client = api_client_for(tenant_a[1]["editor"])
    job_id = generate(client, canary, django_capture_on_commit_callbacks)
    assert client.post(f"{BASE}/jobs/{job_id}/cancel/").status_code == 200
    last = client.get(f"{BASE}/jobs/{job_id}/events/").json()["events"][-1]
    assert last["type"] == "cancelled" and last["message"] == "cancelled by editor@alpha.test"


def test_another_tenant_and_a_missing_job_get_404(canary, tenant_a, tenant_b, api_client_for,
                                                  django_capture_on_commit_callbacks):
    job_id = generate(api_client_for(tenant_a[1]["owner"]), canary, django_capture_on_commit_callbacks)
    outsider = api_client_for(tenant_b[1]["owner"])
    assert outsider.get(f"{BASE}/jobs/{job_id}/events/").status_code == 404
    assert outsider.get(f"/api/v1/tenants/beta/jobs/{job_id}/events/").status_code == 404
    member = api_client_for(tenant_a[1]["viewer"])
    assert member.get(f"{BASE}/jobs/999999/events/").status_code == 404
    assert member.get(f"{BASE}/jobs/not-a-number/events/").status_code == 404


def test_a_long_timeline_keeps_its_start_and_its_end_and_counts_what_it_dropped(tenant_a, settings):
    settings.SYNTHHUB_JOB_EVENTS_MAX = 30
    tenant = tenant_a[0]
    for number in range(1, 51):
        events.record(kind=JobKind.PROFILE, job_id=7, tenant_id=tenant.pk, type="chunk_done", message=f"step {number}")
    story = events.timeline(kind=JobKind.PROFILE, job_id=7)
    seqs = [event.seq for event in story["events"]]
    assert len(seqs) == 30 and story["dropped"] == 20
    assert seqs[:20] == list(range(1, 21)) and seqs[20:] == list(range(41, 51))
    # Another job of another kind with the same id is a separate timeline.
    events.record(kind=JobKind.MASKING, job_id=7, tenant_id=tenant.pk, type="queued", message="queued")
    assert events.timeline(kind=JobKind.MASKING, job_id=7)["events"][0].seq == 1


def test_an_export_has_its_own_timeline(tenant_a, api_client_for, canary, make_version,
                                        django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    version = make_version(canary, users["editor"])
    client = api_client_for(users["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/exports/", {"dataset": canary.pk, "version": version.number,
                                                    "format": "csv"}, format="json")
    assert response.status_code == 202, response.content
    export_id = response.json()["id"]
    reply = client.get(f"{BASE}/exports/{export_id}/events/")
    assert reply.status_code == 200
    body = reply.json()
    assert body["kind"] == "export"
    assert [event["type"] for event in body["events"]] == ["queued", "claimed", "succeeded"]
    assert body["events"][-1]["rows"] == 25 and CANARY not in reply.content.decode()
    assert api_client_for(tenant_a[1]["viewer"]).get(f"{BASE}/exports/{export_id}/events/").status_code == 200
    assert api_client_for(tenant_b_owner(tenant_a)).get(f"{BASE}/exports/{export_id}/events/").status_code == 404


def tenant_b_owner(tenant_a):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="stranger@x.test", password="pw-for-tests")


def test_events_of_purged_jobs_are_pruned(canary, tenant_a, api_client_for, django_capture_on_commit_callbacks):
    job_id = generate(api_client_for(tenant_a[1]["owner"]), canary, django_capture_on_commit_callbacks)
    assert JobEvent.objects.filter(kind="generation", job_id=job_id).exists()
    GenerationJob.objects.filter(pk=job_id).delete()
    assert events.events_prune() >= 3
    assert not JobEvent.objects.filter(kind="generation", job_id=job_id).exists()


def test_the_console_job_page_shows_the_events(canary, tenant_a, api_client_for, client,
                                               django_capture_on_commit_callbacks):
    owner = tenant_a[1]["owner"]
    job_id = generate(api_client_for(owner), canary, django_capture_on_commit_callbacks)
    client.force_login(owner)
    page = client.get(f"/console/generation/generationjob/{job_id}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'class="job-events"' in text and "Chunk done" in text and "requested by owner@alpha.test" in text
    assert CANARY not in text
