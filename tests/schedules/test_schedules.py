"""Schedules through the API and their firing: a version, its export, keep-last-N, failures and limits."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.datasets.models import DatasetVersion, VersionStatus
from apps.exports.models import Export
from apps.schedules import services
from apps.schedules.models import RunStatus, Schedule, ScheduleRun
from apps.webhooks import services as webhook_services
from apps.webhooks.models import WebhookDelivery
from tests.conftest import assert_error_shape


def url(tenant, suffix=""):
    return f"/api/v1/tenants/{tenant.slug}/schedules/{suffix}"


@pytest.fixture
def shop(tenant_a, make_dataset):
    tenant, users = tenant_a
    return make_dataset(tenant, users["owner"])


def create(client, tenant, **body):
    return client.post(url(tenant), body, format="json")


def run_on_commit(callable_, **kwargs):
    """Call it and run what it queues on commit (the test cluster runs tasks synchronously)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return callable_(**kwargs)


def make_due(schedule):
    Schedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now() - timedelta(seconds=1))


def test_an_editor_creates_a_schedule_and_it_is_audited(tenant_a, shop, api_client_for):
    tenant, users = tenant_a
    response = create(api_client_for(users["editor"]), tenant, dataset=shop.pk, name="nightly", cron="0 3 * * *",
                      export_format="csv", keep_last=2)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["cron"] == "0 3 * * *" and body["interval_seconds"] is None
    next_run = timezone.datetime.fromisoformat(body["next_run_at"].replace("Z", "+00:00"))
    assert (next_run.hour, next_run.minute) == (3, 0) and next_run > timezone.now()
    assert AuditEvent.objects.filter(action="schedule.create", target_id=str(body["id"])).exists()


@pytest.mark.parametrize(("body", "path"), [
    ({"cron": "61 * * * *"}, "cron"),
    ({"cron": "* * *"}, "cron"),
    ({"cron": "* * * * *"}, "cron"),  # every minute: under the minimum interval
    ({"interval_seconds": 10}, "interval_seconds"),
    ({"cron": "0 3 * * *", "interval_seconds": 3600}, "cron"),
    ({}, "cron"),
    ({"interval_seconds": 3600, "export_format": "xls"}, "export_format"),
    ({"interval_seconds": 3600, "keep_last": 0}, "keep_last"),
    ({"interval_seconds": "3600"}, "interval_seconds"),
    ({"interval_seconds": 3600, "name": ""}, "name"),
    ({"cron": "0 3 * * *", "timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"cron": "0 3 * * *", "timezone": "../../etc/passwd"}, "timezone"),
    ({"cron": "0 3 * * *", "timezone": ""}, "timezone"),
    ({"cron": "0 3 * * *", "timezone": "europe/amsterdam"}, "timezone"),  # IANA names are case-sensitive
])
def test_bad_timing_or_options_are_400_with_the_path_and_nothing_is_written(tenant_a, shop, api_client_for, body,
                                                                            path):
    tenant, users = tenant_a
    payload = {"dataset": shop.pk, "name": "bad", **body}
    response = create(api_client_for(users["owner"]), tenant, **payload)
    assert_error_shape(response, 400, paths={path})
    assert not Schedule.objects.exists()


def test_a_viewer_may_not_schedule_and_an_editor_may_not_push(tenant_a, shop, api_client_for):
    from apps.exports import services as export_services

    tenant, users = tenant_a
    target = export_services.target_create(tenant=tenant, actor=users["owner"], name="scratch", host="127.0.0.1",
                                           port=5432, dbname="shop_test", user="postgres")
    response = create(api_client_for(users["viewer"]), tenant, dataset=shop.pk, name="v", interval_seconds=3600)
    assert_error_shape(response, 403)
    response = create(api_client_for(users["editor"]), tenant, dataset=shop.pk, name="e", interval_seconds=3600,
                      target=target.pk)
    assert_error_shape(response, 403)
    response = create(api_client_for(users["admin"]), tenant, dataset=shop.pk, name="a", interval_seconds=3600,
                      target=target.pk)
    assert response.status_code == 201, response.content
    assert Schedule.objects.count() == 1


def test_another_tenants_schedules_are_404(tenant_a, tenant_b, shop, make_dataset, api_client_for):
    tenant, users = tenant_a
    other, other_users = tenant_b
    schedule = services.schedule_create(tenant=tenant, actor=users["owner"], dataset_id=shop.pk, name="mine",
                                        interval_seconds=3600)
    outsider = api_client_for(other_users["owner"])
    for path in (url(other, f"{schedule.pk}/"), url(tenant, f"{schedule.pk}/")):
        assert_error_shape(outsider.get(path), 404)
    assert_error_shape(outsider.patch(url(other, f"{schedule.pk}/"), {"keep_last": 1}, format="json"), 404)
    assert_error_shape(outsider.delete(url(other, f"{schedule.pk}/")), 404)
    assert_error_shape(outsider.get(url(other, f"{schedule.pk}/runs/")), 404)
    # Scheduling another tenant's dataset: no such dataset here.
    response = create(outsider, other, dataset=shop.pk, name="theirs", interval_seconds=3600)
    assert_error_shape(response, 400, paths={"dataset"})
    assert Schedule.objects.filter(tenant=other).count() == 0
    assert Schedule.objects.get(pk=schedule.pk).keep_last is None


def test_the_per_tenant_limit_is_enforced(tenant_a, shop, api_client_for, settings):
    settings.SYNTHHUB_TENANT_MAX_SCHEDULES = 2
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    for name in ("one", "two"):
        assert create(client, tenant, dataset=shop.pk, name=name, interval_seconds=3600).status_code == 201
    response = create(client, tenant, dataset=shop.pk, name="three", interval_seconds=3600)
    assert "SYNTHHUB_TENANT_MAX_SCHEDULES" in assert_error_shape(response, 400)["message"]
    assert Schedule.objects.count() == 2


def test_changing_the_timing_counts_from_now_and_switches_cron_to_interval(tenant_a, shop, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    schedule_id = create(client, tenant, dataset=shop.pk, name="s", cron="0 3 * * *").json()["id"]
    response = client.patch(url(tenant, f"{schedule_id}/"), {"interval_seconds": 7200}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["cron"] == "" and response.json()["interval_seconds"] == 7200
    schedule = Schedule.objects.get(pk=schedule_id)
    assert abs((schedule.next_run_at - timezone.now()) - timedelta(seconds=7200)) < timedelta(seconds=30)
    response = client.patch(url(tenant, f"{schedule_id}/"), {"cron": "bad"}, format="json")
    assert_error_shape(response, 400, paths={"cron"})
    response = client.patch(url(tenant, f"{schedule_id}/"), {"enabled": False}, format="json")
    assert response.json()["next_run_at"] is None


def test_a_firing_makes_a_version_then_its_export_and_keeps_the_last_n(tenant_a, shop, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["editor"])
    schedule_id = create(client, tenant, dataset=shop.pk, name="nightly", interval_seconds=3600, export_format="csv",
                         keep_last=1).json()["id"]
    schedule = Schedule.objects.get(pk=schedule_id)

    assert services.schedule_fire(schedule_id=schedule.pk) is None  # not due yet
    make_due(schedule)
    first = run_on_commit(services.schedule_fire, schedule_id=schedule.pk)
    first.refresh_from_db()
    assert first.job.status == "succeeded" and first.job.requested_by == users["editor"]
    assert first.job.version.status == VersionStatus.READY
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now() + timedelta(seconds=3500)
    assert services.schedule_fire(schedule_id=schedule.pk) is None  # moved on: fires once

    run_on_commit(services.schedule_runs_advance)  # queues the export, which the test cluster runs at once
    first.refresh_from_db()
    assert first.status == RunStatus.DELIVERING
    export = Export.objects.get(pk=first.export_id)
    assert export.status == "succeeded" and export.format == "csv" and export.version == first.job.version
    assert services.schedule_runs_advance()["runs_succeeded"] == 1
    first.refresh_from_db()
    assert first.status == RunStatus.SUCCEEDED and first.finished_at is not None

    make_due(schedule)
    second = run_on_commit(services.schedule_fire, schedule_id=schedule.pk)
    run_on_commit(services.schedule_runs_advance)
    second.refresh_from_db()
    # keep_last=1: the first schedule-made version went to the trash (restorable), the new one is live.
    assert DatasetVersion.all_objects.get(pk=first.job.version_id).deleted_at is not None
    assert DatasetVersion.objects.filter(pk=second.job.version_id).exists()
    assert AuditEvent.objects.filter(action="version.delete", target_id=str(first.job.version_id)).exists()

    runs = client.get(url(tenant, f"{schedule.pk}/runs/")).json()["results"]
    assert [run["id"] for run in runs] == [second.pk, first.pk]
    assert runs[1]["version"] == first.job.version.number and runs[1]["export"] == export.pk


def test_a_firing_whose_creator_lost_the_permission_fails_and_sends_schedule_failed(tenant_a, shop):
    from apps.tenants.models import Membership
    from apps.tenants.services import membership_remove

    tenant, users = tenant_a
    webhook_services.webhook_create(tenant=tenant, actor=users["owner"], url="http://127.0.0.1:9/hook",
                                    events=["schedule.failed"])
    schedule = services.schedule_create(tenant=tenant, actor=users["editor"], dataset_id=shop.pk, name="s",
                                        interval_seconds=3600)
    membership_remove(membership=Membership.objects.get(tenant=tenant, user=users["editor"]), actor=users["owner"])
    make_due(schedule)
    run = services.schedule_fire(schedule_id=schedule.pk)
    assert run.status == RunStatus.FAILED and run.job is None
    assert "may no longer view" in run.error
    delivery = WebhookDelivery.objects.get(event="schedule.failed")
    assert delivery.payload["data"]["run"] == run.pk and delivery.payload["data"]["schedule"] == schedule.pk
    assert AuditEvent.objects.filter(action="schedule.fail").exists()
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now()  # it will try again at its next time


def test_a_firing_while_the_previous_run_is_unfinished_is_skipped(tenant_a, shop):
    tenant, users = tenant_a
    schedule = services.schedule_create(tenant=tenant, actor=users["owner"], dataset_id=shop.pk, name="s",
                                        interval_seconds=3600)
    make_due(schedule)
    first = services.schedule_fire(schedule_id=schedule.pk)  # its job stays queued: nothing ran on commit
    assert first.status == RunStatus.GENERATING
    make_due(schedule)
    second = services.schedule_fire(schedule_id=schedule.pk)
    assert second.status == RunStatus.FAILED and "previous run" in second.error
    assert ScheduleRun.objects.filter(schedule=schedule).count() == 2


def test_the_scheduler_pass_fires_due_schedules_and_moves_their_runs_on(tenant_a, shop):
    from apps.generation.scheduler import scheduler_pass

    tenant, users = tenant_a
    schedule = services.schedule_create(tenant=tenant, actor=users["owner"], dataset_id=shop.pk, name="s",
                                        interval_seconds=3600)
    assert scheduler_pass()["schedules_fired"] == 0
    make_due(schedule)
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = scheduler_pass()
    assert done["schedules_fired"] == 1
    run = ScheduleRun.objects.get()
    assert run.job.status == "succeeded"  # the test cluster ran its chunks when the firing committed
    assert scheduler_pass()["runs_succeeded"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


def test_a_cron_in_a_time_zone_fires_on_its_wall_clock_and_changing_the_zone_counts_again(tenant_a, shop,
                                                                                           api_client_for):
    from zoneinfo import ZoneInfo

    tenant, users = tenant_a
    client = api_client_for(users["editor"])
    response = create(client, tenant, dataset=shop.pk, name="amsterdam", cron="30 2 * * *",
                      timezone="Europe/Amsterdam")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["timezone"] == "Europe/Amsterdam"
    first = timezone.datetime.fromisoformat(body["next_run_at"].replace("Z", "+00:00"))
    local = first.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert (local.hour, local.minute) in ((2, 30), (3, 30))  # 03:30 only on a spring-forward day
    schedule = Schedule.objects.get(pk=body["id"])
    fired = services.schedule_fire(schedule_id=schedule.pk, now=first)
    assert fired is not None
    schedule.refresh_from_db()
    assert timedelta(hours=23) <= schedule.next_run_at - first <= timedelta(hours=25)

    changed = client.patch(url(tenant, f"{schedule.pk}/"), {"timezone": "America/New_York"}, format="json")
    assert changed.status_code == 200, changed.content
    moved = timezone.datetime.fromisoformat(changed.json()["next_run_at"].replace("Z", "+00:00"))
    assert moved.astimezone(ZoneInfo("America/New_York")).strftime("%M") == "30"
    bad = client.patch(url(tenant, f"{schedule.pk}/"), {"timezone": "Nowhere/Atlantis"}, format="json")
    assert_error_shape(bad, 400, paths={"timezone"})
    assert Schedule.objects.get(pk=schedule.pk).timezone == "America/New_York"
    events = AuditEvent.objects.filter(action="schedule.update", target_id=str(schedule.pk))
    assert events.count() == 1 and events.get().after["timezone"] == "America/New_York"


def test_without_a_zone_a_schedule_reads_its_cron_in_utc(tenant_a, shop, api_client_for):
    tenant, users = tenant_a
    response = create(api_client_for(users["editor"]), tenant, dataset=shop.pk, name="utc", cron="30 2 * * *")
    assert response.status_code == 201 and response.json()["timezone"] == "UTC"
    assert response.json()["next_run_at"].endswith("02:30:00Z")
