"""A profile job's timeline: queued, claimed by a worker, each table profiled, succeeded, failed or cancelled;
on the API, in the console and in `profile_status --events`, scoped like the profile, and never a sample value."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.observability.models import JobEvent, JobKind
from apps.profiling import services
from apps.profiling.models import Profile, ProfileStatus

from .conftest import SECRET_NAME, SECRET_SEGMENT, customers_csv, orders_csv

BASE = "/api/v1/tenants/alpha"
SAMPLE_VALUES = (SECRET_NAME, SECRET_SEGMENT, "retail", "enterprise", "example.org", "Anna")


@pytest.fixture
def samples(tenant_a, upload):
    _, users = tenant_a
    customers = upload(users["editor"], customers_csv(300)).json()["id"]
    orders = upload(users["editor"], orders_csv(300), filename="orders.csv", table_name="orders").json()["id"]
    return customers, orders


def start(client, samples, capture=None):
    if capture is None:
        response = client.post(f"{BASE}/profiles/", {"samples": list(samples)}, format="json")
    else:
        with capture(execute=True):
            response = client.post(f"{BASE}/profiles/", {"samples": list(samples)}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def assert_no_sample_values(text: str) -> None:
    for value in SAMPLE_VALUES:
        assert value not in text, value


def test_a_profile_job_tells_its_story_without_sample_values(tenant_a, samples, api_client_for,
                                                            django_capture_on_commit_callbacks):
    client = api_client_for(tenant_a[1]["editor"])
    profile_id = start(client, samples, django_capture_on_commit_callbacks)
    response = client.get(f"{BASE}/profiles/{profile_id}/events/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "profile" and body["job"] == profile_id and body["dropped"] == 0
    types = [event["type"] for event in body["events"]]
    assert types == ["queued", "claimed", "chunk_done", "chunk_done", "succeeded"]
    queued, claimed, customers, orders, done = body["events"]
    assert queued["message"].startswith("queued: 2 tables") and "editor@" in queued["message"]
    assert claimed["worker"] and claimed["worker"] in claimed["message"]
    assert (customers["chunk"], customers["rows"]) == ("customers", 300)
    assert customers["message"].startswith("table customers profiled in ") and customers["seconds"] is not None
    assert orders["chunk"] == "orders" and orders["rows"] > 300
    assert done["message"].startswith("succeeded: 2 tables")
    # The profile itself holds sample values (top values, min/max): its timeline does not.
    assert SECRET_SEGMENT in json.dumps(Profile.objects.get(pk=profile_id).result)
    assert_no_sample_values(json.dumps(body))
    assert_no_sample_values(json.dumps(list(JobEvent.objects.filter(kind=JobKind.PROFILE).values()), default=str))


def test_a_failed_profile_names_the_exception_class_not_its_text(tenant_a, samples, api_client_for, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    def broken(sources, progress=None, table_done=None):
        raise ValueError(f"could not parse {SECRET_NAME}")

    monkeypatch.setattr("apps.profiling.profiler.profile_tables", broken)
    client = api_client_for(tenant_a[1]["editor"])
    profile_id = start(client, samples, django_capture_on_commit_callbacks)
    assert Profile.objects.get(pk=profile_id).status == ProfileStatus.FAILED
    events = client.get(f"{BASE}/profiles/{profile_id}/events/").json()["events"]
    assert [event["type"] for event in events] == ["queued", "claimed", "failed"]
    assert "ValueError" in events[-1]["message"]
    assert_no_sample_values(json.dumps(events))


def test_cancelling_a_queued_profile(tenant_a, samples, api_client_for):
    _, users = tenant_a
    client = api_client_for(users["editor"])
    profile_id = start(client, samples)  # queued: the queue is not run
    assert api_client_for(users["viewer"]).post(f"{BASE}/profiles/{profile_id}/cancel/").status_code == 403
    response = client.post(f"{BASE}/profiles/{profile_id}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert services.profile_run(profile_id=profile_id, worker="w1") == "skipped"  # the queued task finds it
    events = client.get(f"{BASE}/profiles/{profile_id}/events/").json()["events"]
    assert [event["type"] for event in events] == ["queued", "cancelled"]
    assert events[-1]["message"] == f"cancelled by {users['editor'].get_username()}"
    again = client.post(f"{BASE}/profiles/{profile_id}/cancel/")
    assert again.status_code == 409 and Profile.objects.get(pk=profile_id).status == ProfileStatus.CANCELLED


def test_a_running_profile_stops_when_cancelled(tenant_a, samples, api_client_for, monkeypatch):
    from apps.profiling import profiler

    _, users = tenant_a
    profile_id = start(api_client_for(users["editor"]), samples)
    real = profiler.profile_tables

    def cancelled_meanwhile(sources, progress=None, table_done=None):
        services.profile_cancel(profile=Profile.objects.get(pk=profile_id), actor=users["owner"])
        return real(sources, progress, table_done)

    monkeypatch.setattr("apps.profiling.profiler.profile_tables", cancelled_meanwhile)
    assert services.profile_run(profile_id=profile_id, worker="w1") == "cancelled"
    profile = Profile.objects.get(pk=profile_id)
    assert profile.status == ProfileStatus.CANCELLED and profile.result == {}
    types = list(JobEvent.objects.filter(kind=JobKind.PROFILE, job_id=profile_id).values_list("type", flat=True))
    assert types == ["queued", "claimed", "cancelled"]


def test_another_tenant_gets_404(tenant_a, tenant_b, samples, api_client_for):
    profile_id = start(api_client_for(tenant_a[1]["editor"]), samples)
    outsider = api_client_for(tenant_b[1]["owner"])
    assert outsider.get(f"{BASE}/profiles/{profile_id}/events/").status_code == 404
    assert outsider.post(f"{BASE}/profiles/{profile_id}/cancel/").status_code == 404
    assert outsider.get(f"/api/v1/tenants/beta/profiles/{profile_id}/events/").status_code == 404
    assert Profile.objects.get(pk=profile_id).status == ProfileStatus.QUEUED


def test_profile_status_prints_the_timeline(tenant_a, samples, api_client_for, django_capture_on_commit_callbacks):
    profile_id = start(api_client_for(tenant_a[1]["editor"]), samples, django_capture_on_commit_callbacks)
    out = StringIO()
    call_command("profile_status", "--profile", str(profile_id), "--events", stdout=out)
    text = out.getvalue()
    assert f"{profile_id}" in text and "succeeded" in text and "customers, orders" in text
    assert "table orders profiled in" in text and "claimed by worker" in text
    assert_no_sample_values(text)
    empty = StringIO()
    call_command("profile_status", "--profile", str(profile_id + 1000), stdout=empty)
    assert empty.getvalue().strip() == "No profiles."


def test_the_console_profile_page_shows_events_and_cancels(tenant_a, tenant_b, samples, api_client_for, client):
    _, users = tenant_a
    profile_id = start(api_client_for(users["editor"]), samples)
    client.force_login(users["editor"])
    page = client.get(f"/console/profiling/profile/{profile_id}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="profile-events"' in html and "queued: 2 tables" in html and "profile-cancel-form" in html
    response = client.post(f"/console/profiling/profile/{profile_id}/cancel/")
    assert response.status_code == 302
    assert Profile.objects.get(pk=profile_id).status == ProfileStatus.CANCELLED
    progress = client.get(f"/console/profiling/profile/{profile_id}/progress/").content.decode()
    assert "cancelled by" in progress
    client.force_login(users["viewer"])  # viewers hold no sample permission by default: the profile is hidden
    assert client.post(f"/console/profiling/profile/{profile_id}/cancel/").status_code == 404
    client.force_login(tenant_b[1]["owner"])
    assert client.get(f"/console/profiling/profile/{profile_id}/change/").status_code == 404
    assert client.post(f"/console/profiling/profile/{profile_id}/cancel/").status_code == 404


def test_a_purged_profiles_events_are_pruned(tenant_a, samples, api_client_for):
    from apps.observability.events import events_prune

    _, users = tenant_a
    client = api_client_for(users["owner"])
    kept = start(client, samples)
    profile_id = start(client, samples[:1])
    services.profile_purge(profile=Profile.objects.get(pk=profile_id), actor=users["owner"])
    assert JobEvent.objects.filter(kind=JobKind.PROFILE, job_id=profile_id).exists()
    assert events_prune() >= 1
    assert not JobEvent.objects.filter(kind=JobKind.PROFILE, job_id=profile_id).exists()
    assert JobEvent.objects.filter(kind=JobKind.PROFILE, job_id=kept).exists()


@pytest.mark.parametrize("command", ["profile_status", "job_status"])
@pytest.mark.parametrize("limit", ["-1", "0", "many"])
def test_a_status_command_refuses_a_limit_below_one_with_a_usage_error(command, limit):
    with pytest.raises(CommandError, match="--limit"):
        call_command(command, "--limit", limit)
