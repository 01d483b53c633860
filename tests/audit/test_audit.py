import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.audit.models import AppendOnlyError, AuditEvent
from apps.audit.services import audit_record
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db


def test_verify_passes_on_untouched_log(tenant_a, capsys):
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


def test_verify_names_the_event_edited_in_sql(tenant_a):
    tampered = AuditEvent.objects.order_by("id")[2]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {AuditEvent._meta.db_table} SET action = %s WHERE id = %s", ["nothing", tampered.id])
    with pytest.raises(CommandError, match=f"event {tampered.id}:"):
        call_command("audit_verify")


def test_verify_names_the_event_after_a_removed_one(tenant_a):
    events = list(AuditEvent.objects.order_by("id"))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events[1].id])
    with pytest.raises(CommandError, match=f"event {events[2].id}:"):
        call_command("audit_verify")


def test_events_are_append_only(tenant_a):
    event = AuditEvent.objects.first()
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_request_id_and_ip_recorded_from_api_call(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    response = client.post("/api/v1/tenants/alpha/members/", {"email": "n@x.test", "role": "viewer"},
                           format="json", HTTP_X_REQUEST_ID="req-123")
    assert response.status_code == 201
    assert response["X-Request-ID"] == "req-123"
    event = AuditEvent.objects.get(action="membership.add", target_label__contains="n@x.test")
    assert (event.request_id, event.ip, event.actor_id) == ("req-123", "127.0.0.1", users["owner"].id)


def test_audit_api_is_for_admins_with_filters(tenant_a, tenant_b, api_client_for):
    tenant, users = tenant_a
    audit_record(action="custom.thing", tenant=tenant, actor=users["editor"], target_type="x", target_id="7")
    audit_record(action="custom.thing", tenant=tenant_b[0], actor=users["editor"])
    url = "/api/v1/tenants/alpha/audit-events/"
    assert_error_shape(api_client_for(users["editor"]).get(url), 403)
    client = api_client_for(users["admin"])
    rows = client.get(url, {"action": "custom.thing"}).json()["results"]
    assert [(row["target_type"], row["target_id"]) for row in rows] == [("x", "7")]
    rows = client.get(url, {"action": "membership.*"}).json()["results"]
    assert rows and all(row["action"].startswith("membership.") for row in rows)
    rows = client.get(url, {"actor": users["editor"].username}).json()["results"]
    assert {row["action"] for row in rows} == {"custom.thing"}
    assert client.get(url, {"since": "2999-01-01T00:00:00Z"}).json()["results"] == []
    assert_error_shape(client.get(url, {"since": "yesterday"}), 400, paths={"since"})
