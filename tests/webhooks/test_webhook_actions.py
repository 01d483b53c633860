"""Rotating an endpoint's secret and sending it a test delivery, through the API (admins and owners)."""

import json
import time

import pytest

from apps.audit.models import AuditEvent
from apps.webhooks import services
from apps.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from apps.webhooks.signing import verify
from tests.conftest import assert_error_shape

from .test_webhooks import register, run_on_commit, url

pytestmark = pytest.mark.django_db


def test_rotating_the_secret_shows_the_new_one_once_and_signs_with_it(tenant_a, api_client_for, receiver):
    tenant, users = tenant_a
    client = api_client_for(users["admin"])
    endpoint = register(client, tenant, receiver.url, events=["job.failed"])
    response = client.post(url(tenant, f"{endpoint['id']}/rotate-secret/"))
    assert response.status_code == 200, response.content
    secret = response.json()["secret"]
    assert secret.startswith("whsec_") and secret != endpoint["secret"]
    assert secret not in json.dumps(client.get(url(tenant, f"{endpoint['id']}/")).json())
    event = AuditEvent.objects.get(action="webhook.rotate_secret", target_id=str(endpoint["id"]))
    assert secret not in json.dumps([event.before, event.after]) and endpoint["secret"] not in json.dumps(event.after)

    run_on_commit(services.webhook_emit, tenant_id=tenant.pk, event="job.failed", data={"job": 1})
    _, headers, body = receiver.requests[-1]
    assert verify(secret=secret, header=headers["SynthHub-Signature"], body=body, now=int(time.time()))
    assert not verify(secret=endpoint["secret"], header=headers["SynthHub-Signature"], body=body, now=int(time.time()))


def test_a_test_delivery_reaches_the_endpoint_signed_and_is_logged(tenant_a, api_client_for, receiver,
                                                                   django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    endpoint = register(client, tenant, receiver.url, events=["export.ready"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(tenant, f"{endpoint['id']}/test/"))
    assert response.status_code == 202, response.content
    assert response.json()["event"] == "webhook.test" and response.json()["endpoint"] == endpoint["id"]
    _, headers, body = receiver.requests[-1]
    assert headers["SynthHub-Event"] == "webhook.test"
    assert verify(secret=endpoint["secret"], header=headers["SynthHub-Signature"], body=body, now=int(time.time()))
    assert json.loads(body)["data"]["endpoint"] == endpoint["id"]
    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.SUCCEEDED
    log = client.get(url(tenant, f"{endpoint['id']}/deliveries/")).json()["results"]
    assert log[0]["event"] == "webhook.test" and log[0]["attempt_log"][0]["status_code"] == 200
    assert AuditEvent.objects.filter(action="webhook.test", target_id=str(endpoint["id"])).exists()


def test_a_disabled_endpoint_gets_no_test_delivery(tenant_a, api_client_for, receiver):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    endpoint = register(client, tenant, receiver.url, events=["export.ready"])
    client.patch(url(tenant, f"{endpoint['id']}/"), {"active": False}, format="json")
    assert_error_shape(client.post(url(tenant, f"{endpoint['id']}/test/")), 409)
    assert not WebhookDelivery.objects.exists() and receiver.requests == []


def test_a_second_test_delivery_waits_for_the_pending_one(tenant_a, api_client_for, receiver):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    endpoint = register(client, tenant, receiver.url, events=["export.ready"])
    first = client.post(url(tenant, f"{endpoint['id']}/test/"))  # queued; not sent (no commit in the test)
    assert first.status_code == 202, first.content
    for _ in range(3):
        assert_error_shape(client.post(url(tenant, f"{endpoint['id']}/test/")), 409)
    assert WebhookDelivery.objects.filter(endpoint_id=endpoint["id"]).count() == 1
    WebhookDelivery.objects.filter(pk=first.json()["id"]).update(status=DeliveryStatus.SUCCEEDED)
    assert client.post(url(tenant, f"{endpoint['id']}/test/")).status_code == 202


def test_only_admins_of_the_tenant_rotate_or_test(tenant_a, tenant_b, api_client_for, receiver):
    tenant, users = tenant_a
    other, other_users = tenant_b
    endpoint, _ = services.webhook_create(tenant=tenant, actor=users["owner"], url=receiver.url,
                                          events=["job.failed"])
    before = WebhookEndpoint.objects.get(pk=endpoint.pk).secret_encrypted
    for role in ("viewer", "editor"):
        client = api_client_for(users[role])
        assert_error_shape(client.post(url(tenant, f"{endpoint.pk}/rotate-secret/")), 403)
        assert_error_shape(client.post(url(tenant, f"{endpoint.pk}/test/")), 403)
    outsider = api_client_for(other_users["owner"])
    for path in (url(tenant, f"{endpoint.pk}/rotate-secret/"), url(other, f"{endpoint.pk}/rotate-secret/"),
                 url(other, f"{endpoint.pk}/test/")):
        assert_error_shape(outsider.post(path), 404)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret_encrypted == before
    assert not WebhookDelivery.objects.exists()
