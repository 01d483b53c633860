"""Webhook endpoints and their delivery log in the console: admins and owners only, every write through the
service (address checks, events, audit), the secret shown once, other teams' rows 404."""

import pytest
from django.test import TestCase

from apps.audit.models import AuditEvent
from apps.exports.encryption import decrypt_secret
from apps.webhooks import services
from apps.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import receiver  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

ADD = "/console/webhooks/webhookendpoint/add/"
LIST = "/console/webhooks/webhookendpoint/"
DELIVERIES = "/console/webhooks/webhookdelivery/"


def form(tenant, **fields):
    return {"tenant": tenant.pk, "url": "http://127.0.0.1:9/hooks", "events": ["job.succeeded", "export.ready"],
            "description": "CI", "active": "on", **fields}


def page(endpoint) -> str:
    return f"{LIST}{endpoint.pk}/change/"


@pytest.fixture
def endpoints(team):
    tenant, users, _, theirs = team
    mine, _ = services.webhook_create(tenant=tenant, actor=users["owner"], url="http://127.0.0.1:9/mine",
                                      events=["job.failed"], description="mine")
    b_tenant = theirs["dataset"].tenant
    b_owner = b_tenant.memberships.get(role="owner").user
    other, _ = services.webhook_create(tenant=b_tenant, actor=b_owner, url="http://127.0.0.1:9/theirs",
                                       events=["job.failed"], description="theirs")
    return mine, other


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(team, console_client):
    tenant, users, _, _ = team
    client = console_client(users["admin"])
    response = client.post(ADD, form(tenant))
    assert response.status_code == 200, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    secret = decrypt_secret(endpoint.secret_encrypted)
    assert secret in response.content.decode() and "shown only once" in response.content.decode()
    assert (endpoint.url, endpoint.events, endpoint.active) == ("http://127.0.0.1:9/hooks",
                                                               ["job.succeeded", "export.ready"], True)
    assert AuditEvent.objects.filter(action="webhook.create", target_id=str(endpoint.pk)).exists()
    assert secret not in client.get(page(endpoint)).content.decode()
    assert secret not in client.get(LIST).content.decode()


def test_bad_urls_and_missing_events_are_shown_on_the_form_and_nothing_is_written(team, console_client, settings):
    tenant, users, _, _ = team
    client = console_client(users["owner"])
    settings.SYNTHHUB_WEBHOOK_ALLOWED_HOSTS = []
    refused = client.post(ADD, form(tenant))  # plain http to loopback, not allowed by the operator now
    assert refused.status_code == 200 and "must be an https:// URL" in refused.content.decode()
    private = client.post(ADD, form(tenant, url="https://10.0.0.7/hooks"))
    assert private.status_code == 200
    assert "resolves to a loopback, private, link-local or reserved address" in private.content.decode()
    empty = client.post(ADD, form(tenant, events=[]))
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_change_disable_enable_and_delete_go_through_the_service(team, endpoints, console_client):
    _, users, _, _ = team
    mine, _ = endpoints
    client = console_client(users["admin"])
    changed = client.post(page(mine), {"url": "http://127.0.0.1:9/changed", "events": ["export.ready"],
                                       "description": "changed", "active": ""})
    assert changed.status_code == 302, changed.content.decode()[:2000]
    mine.refresh_from_db()
    assert (mine.url, mine.events, mine.active) == ("http://127.0.0.1:9/changed", ["export.ready"], False)
    assert AuditEvent.objects.filter(action="webhook.update", target_id=str(mine.pk)).exists()
    enabled = client.post(LIST, {"action": "enable_selected", "_selected_action": [mine.pk]})
    assert enabled.status_code == 302 and WebhookEndpoint.objects.get(pk=mine.pk).active
    client.post(LIST, {"action": "disable_selected", "_selected_action": [mine.pk]})
    assert not WebhookEndpoint.objects.get(pk=mine.pk).active
    deleted = client.post(f"{LIST}{mine.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not WebhookEndpoint.objects.filter(pk=mine.pk).exists()
    assert AuditEvent.objects.filter(action="webhook.delete", target_id=str(mine.pk)).exists()


def test_rotating_shows_the_new_secret_once(team, endpoints, console_client):
    _, users, _, _ = team
    mine, _ = endpoints
    old = decrypt_secret(mine.secret_encrypted)
    response = console_client(users["owner"]).post(f"{LIST}{mine.pk}/rotate-secret/")
    assert response.status_code == 200
    new = decrypt_secret(WebhookEndpoint.objects.get(pk=mine.pk).secret_encrypted)
    assert new != old and new in response.content.decode() and old not in response.content.decode()
    assert AuditEvent.objects.filter(action="webhook.rotate_secret", target_id=str(mine.pk)).exists()


def test_a_test_delivery_and_the_delivery_log(team, endpoints, console_client, receiver, settings):  # noqa: F811
    settings.SYNTHHUB_WEBHOOK_MAX_ATTEMPTS = 5
    _, users, _, _ = team
    mine, _ = endpoints
    services.webhook_update(endpoint=mine, actor=users["owner"], url=receiver.url)
    receiver.statuses = [503]
    receiver.answer_body = b"busy " + b"x" * 500
    client = console_client(users["admin"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"{LIST}{mine.pk}/test/")
    assert response.status_code == 302 and response["Location"] == page(mine)
    delivery = WebhookDelivery.objects.get(endpoint=mine)
    assert delivery.event == "webhook.test" and delivery.status == DeliveryStatus.PENDING
    assert receiver.requests and receiver.requests[0][1]["SynthHub-Event"] == "webhook.test"
    html = client.get(page(mine)).content.decode()
    assert 'class="webhook-deliveries"' in html and "503" in html and "busy xxx" in html
    assert "x" * 200 not in html  # the excerpt is truncated on the page
    assert delivery.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") in html  # the next retry
    listing = client.get(f"{DELIVERIES}?endpoint={mine.pk}").content.decode()
    assert f"delivery {delivery.pk} " in listing and "503" in listing
    detail = client.get(f"{DELIVERIES}{delivery.pk}/change/").content.decode()
    assert 'class="webhook-attempts"' in detail and "The endpoint answered with a status other than 2xx" in detail
    assert '"data"' not in detail and "requested_by" not in detail  # never the payload
    assert client.post(f"{DELIVERIES}{delivery.pk}/change/", {}).status_code == 403  # read only


def test_a_disabled_endpoint_gets_no_test_delivery(team, endpoints, console_client):
    _, users, _, _ = team
    mine, _ = endpoints
    services.webhook_update(endpoint=mine, actor=users["owner"], active=False)
    response = console_client(users["owner"]).post(f"{LIST}{mine.pk}/test/", follow=True)
    assert "The endpoint is disabled" in response.content.decode()
    assert not WebhookDelivery.objects.exists()


def test_editors_viewers_and_other_teams_get_nothing(team, endpoints, console_client):
    tenant, users, _, _ = team
    mine, other = endpoints
    for role in ("viewer", "editor"):
        client = console_client(users[role])
        assert client.get(LIST).status_code == 403 and client.get(DELIVERIES).status_code == 403
        assert client.get(page(mine)).status_code == 403
        assert client.post(f"{LIST}{mine.pk}/rotate-secret/").status_code == 403
        assert client.post(f"{LIST}{mine.pk}/test/").status_code == 403
        assert client.post(ADD, form(tenant)).status_code == 403
    client = console_client(users["owner"])
    assert "theirs" not in client.get(LIST).content.decode()
    assert client.get(page(other)).status_code == 404
    assert client.post(f"{LIST}{other.pk}/rotate-secret/").status_code == 404
    assert client.post(f"{LIST}{other.pk}/test/").status_code == 404
    assert client.post(f"{LIST}{other.pk}/delete/", {"post": "yes"}).status_code == 404
    b_tenant = other.tenant
    assert client.post(ADD, form(b_tenant)).status_code == 200  # not a choice: the form refuses it
    assert not WebhookEndpoint.objects.filter(tenant=b_tenant).exclude(pk=other.pk).exists()
    assert WebhookEndpoint.objects.filter(pk=other.pk).exists()
    assert decrypt_secret(other.secret_encrypted) == decrypt_secret(
        WebhookEndpoint.objects.get(pk=other.pk).secret_encrypted)
