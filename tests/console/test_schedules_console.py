"""Schedules in the console: created and changed through the service (audited, checked), other teams' 404."""

from zoneinfo import ZoneInfo

from apps.audit.models import AuditEvent
from apps.schedules import services
from apps.schedules.models import Schedule

ADD = "/console/schedules/schedule/add/"


def form(dataset, **fields):
    return {"dataset": dataset.pk, "name": "nightly", "cron": "0 3 * * *", "interval_seconds": "",
            "rows_scale": "1", "export_format": "csv", "target": "", "keep_last": "2", "enabled": "on", **fields}


def test_an_editor_creates_a_schedule_in_the_console(team, console_client):
    tenant, users, a, _ = team
    response = console_client(users["editor"]).post(ADD, form(a["dataset"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = Schedule.objects.get()
    assert (schedule.cron, schedule.export_format, schedule.keep_last) == ("0 3 * * *", "csv", 2)
    assert schedule.created_by == users["editor"] and schedule.next_run_at is not None
    assert AuditEvent.objects.filter(action="schedule.create").exists()


def test_a_bad_cron_is_shown_on_the_form_and_nothing_is_written(team, console_client):
    tenant, users, a, _ = team
    response = console_client(users["editor"]).post(ADD, form(a["dataset"], cron="0 25 * * *"))
    assert response.status_code == 200
    assert "hour: 25 is outside 0-23" in response.content.decode()
    assert not Schedule.objects.exists()


def test_a_change_goes_through_the_service_and_other_teams_get_404(team, tenant_b, console_client):
    tenant, users, a, b = team
    schedule = services.schedule_create(tenant=tenant, actor=users["owner"], dataset_id=a["dataset"].pk,
                                        name="nightly", interval_seconds=3600)
    page = f"/console/schedules/schedule/{schedule.pk}/change/"
    client = console_client(users["editor"])
    response = client.post(page, form(a["dataset"], cron="", interval_seconds="7200", keep_last=""))
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule.refresh_from_db()
    assert schedule.interval_seconds == 7200 and schedule.cron == ""
    assert AuditEvent.objects.filter(action="schedule.update").exists()
    outsider = console_client(tenant_b[1]["owner"])
    assert outsider.get(page).status_code == 404
    assert outsider.post(f"/console/schedules/schedule/{schedule.pk}/delete/", {"post": "yes"}).status_code == 404
    assert Schedule.objects.filter(pk=schedule.pk).exists()


def test_a_schedule_in_a_time_zone_from_the_console_and_an_unknown_zone_on_the_form(team, console_client):
    tenant, users, a, _ = team
    client = console_client(users["editor"])
    refused = client.post(ADD, form(a["dataset"], timezone="Atlantis/Lost_City"))
    assert refused.status_code == 200
    assert "an IANA time zone name" in refused.content.decode() and not Schedule.objects.exists()
    response = client.post(ADD, form(a["dataset"], timezone="Europe/Amsterdam"))
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = Schedule.objects.get()
    assert schedule.timezone == "Europe/Amsterdam"
    assert schedule.next_run_at.astimezone(ZoneInfo("Europe/Amsterdam")).hour == 3
    listing = client.get("/console/schedules/schedule/").content.decode()
    assert "Europe/Amsterdam" in listing
