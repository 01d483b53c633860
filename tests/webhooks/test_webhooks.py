"""Webhook endpoints through the API, signed deliveries to a local receiver, retries, and address refusals."""

import json
import time
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.generation import services as generation_services
from apps.webhooks import dispatch, services
from apps.webhooks.models import DeliveryStatus, ErrorCategory, WebhookDelivery, WebhookEndpoint
from apps.webhooks.signing import verify
from tests.conftest import assert_error_shape


def url(tenant, suffix=""):
    return f"/api/v1/tenants/{tenant.slug}/webhooks/{suffix}"


def run_on_commit(callable_, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return callable_(**kwargs)


def register(client, tenant, target, events=("job.succeeded", "job.failed", "export.ready")):
    response = client.post(url(tenant), {"url": target, "events": list(events)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def make_due(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_the_secret_is_shown_once_and_the_endpoint_is_audited(tenant_a, api_client_for, receiver):
    tenant, users = tenant_a
    client = api_client_for(users["admin"])
    body = register(client, tenant, receiver.url)
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    shown = client.get(url(tenant, f"{body['id']}/")).json()
    assert "secret" not in shown and body["secret"] not in json.dumps(client.get(url(tenant)).json())
    assert WebhookEndpoint.objects.get(pk=body["id"]).secret_encrypted != body["secret"]
    assert AuditEvent.objects.filter(action="webhook.create", target_id=str(body["id"])).exists()
    assert_error_shape(api_client_for(users["editor"]).get(url(tenant)), 403)


def test_a_job_and_an_export_are_delivered_signed_to_the_receiver(tenant_a, make_dataset, api_client_for, receiver):
    from apps.exports import services as export_services

    tenant, users = tenant_a
    secret = register(api_client_for(users["owner"]), tenant, receiver.url)["secret"]
    dataset = make_dataset(tenant, users["owner"])
    job = run_on_commit(generation_services.job_start, dataset=dataset, actor=users["owner"])
    job.refresh_from_db()
    run_on_commit(export_services.export_create, tenant=tenant, actor=users["owner"], dataset_id=dataset.pk,
                  version_number=job.version.number, fmt="csv")

    assert [json.loads(body)["event"] for _, _, body in receiver.requests] == ["job.succeeded", "export.ready"]
    path, headers, body = receiver.requests[0]
    assert path == "/hooks/synthhub" and headers["Content-Type"] == "application/json"
    assert headers["SynthHub-Event"] == "job.succeeded"
    assert verify(secret=secret, header=headers["SynthHub-Signature"], body=body, now=int(time.time()))
    assert not verify(secret=secret, header=headers["SynthHub-Signature"], body=body + b" ", now=int(time.time()))
    assert not verify(secret="whsec_other", header=headers["SynthHub-Signature"], body=body, now=int(time.time()))
    assert not verify(secret=secret, header=headers["SynthHub-Signature"], body=body, now=int(time.time()) + 3600)
    payload = json.loads(body)
    assert payload["data"]["job"] == job.pk and payload["data"]["status"] == "succeeded"
    # Ids, statuses and sizes only: none of the generated values is in any payload.
    customer = job.version.records.filter(table_name="customers").first().data
    for _, _, sent in receiver.requests:
        assert customer["name"] not in sent.decode()
    delivery = WebhookDelivery.objects.get(event="job.succeeded")
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    attempt = delivery.attempt_log.get()
    assert attempt.status_code == 200 and attempt.error_category == "" and attempt.response_excerpt == "ok"


def test_failed_attempts_are_retried_with_exponential_backoff_until_one_succeeds(tenant_a, receiver, settings):
    settings.SYNTHHUB_WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.SYNTHHUB_WEBHOOK_RETRY_CAP_SECONDS = 45
    tenant, users = tenant_a
    services.webhook_create(tenant=tenant, actor=users["owner"], url=receiver.url, events=["job.failed"])
    receiver.statuses = [500, 503]
    receiver.answer_body = b"x" * 10_000
    run_on_commit(services.webhook_emit, tenant_id=tenant.pk, event="job.failed", data={"job": 1})
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
    assert services.delivery_attempt(delivery_id=delivery.pk) == "skipped"  # not due yet

    make_due(delivery)
    assert services.delivery_attempt(delivery_id=delivery.pk) == "retrying"
    delivery.refresh_from_db()
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=40) < wait <= timedelta(seconds=45)  # 60 s, capped at 45

    make_due(delivery)
    assert services.delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 3
    log = list(delivery.attempt_log.values_list("number", "status_code", "error_category"))
    assert log == [(1, 500, ErrorCategory.HTTP_STATUS), (2, 503, ErrorCategory.HTTP_STATUS), (3, 200, "")]
    assert all(len(excerpt) <= 200 for excerpt in delivery.attempt_log.values_list("response_excerpt", flat=True))
    # The same signed body every time, with the delivery's id.
    bodies = {body for _, _, body in receiver.requests}
    assert len(bodies) == 1 and json.loads(bodies.pop())["id"] == delivery.pk


def test_a_delivery_out_of_attempts_fails(tenant_a, receiver, settings):
    settings.SYNTHHUB_WEBHOOK_MAX_ATTEMPTS = 2
    tenant, users = tenant_a
    services.webhook_create(tenant=tenant, actor=users["owner"], url=receiver.url, events=["job.failed"])
    receiver.statuses = [500, 500, 500]
    run_on_commit(services.webhook_emit, tenant_id=tenant.pk, event="job.failed", data={"job": 1})
    delivery = WebhookDelivery.objects.get()
    make_due(delivery)
    assert services.delivery_attempt(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and len(receiver.requests) == 2


def test_a_broker_outage_loses_no_delivery(tenant_a, receiver, monkeypatch):
    tenant, users = tenant_a
    services.webhook_create(tenant=tenant, actor=users["owner"], url=receiver.url, events=["job.failed"])

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(dispatch, "async_task", refuse)
    run_on_commit(services.webhook_emit, tenant_id=tenant.pk, event="job.failed", data={"job": 1})
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.enqueued_at is None and not receiver.requests
    monkeypatch.undo()
    assert dispatch.deliveries_dispatch() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and len(receiver.requests) == 1


@pytest.mark.parametrize("target", [
    "https://10.0.0.7/hook",
    "https://192.168.1.20/hook",
    "https://172.16.0.1/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hook",
    "https://[fe80::1]/hook",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://internal.example/hook",  # resolves to a private address
    "http://93.184.216.34/hook",  # public, but not https
    "https://user:pw@93.184.216.34/hook",
    "ftp://93.184.216.34/hook",
    "https:///hook",
    "not a url",
])
def test_private_addresses_and_non_https_urls_are_refused_with_the_path(tenant_a, api_client_for, fake_dns, target,
                                                                        settings):
    settings.SYNTHHUB_WEBHOOK_ALLOWED_HOSTS = []
    fake_dns["internal.example"] = "10.1.2.3"
    tenant, users = tenant_a
    response = api_client_for(users["owner"]).post(url(tenant), {"url": target, "events": ["job.failed"]},
                                                   format="json")
    assert_error_shape(response, 400, paths={"url"})
    assert not WebhookEndpoint.objects.exists()


def test_loopback_is_refused_unless_the_operator_allows_it(tenant_a, api_client_for, receiver, settings):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    settings.SYNTHHUB_WEBHOOK_ALLOWED_HOSTS = []
    response = client.post(url(tenant), {"url": receiver.url, "events": ["job.failed"]}, format="json")
    assert "SYNTHHUB_WEBHOOK_ALLOWED_HOSTS" in assert_error_shape(response, 400, paths={"url"})["details"][0]["message"]
    settings.SYNTHHUB_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1/32"]
    register(client, tenant, receiver.url)


def test_the_address_is_checked_again_at_delivery_after_resolving(tenant_a, receiver, fake_dns, settings):
    """A name that was public when registered and resolves to loopback later (DNS rebinding) is not called."""
    settings.SYNTHHUB_WEBHOOK_ALLOWED_HOSTS = []
    tenant, users = tenant_a
    fake_dns["hooks.example"] = "93.184.216.34"
    services.webhook_create(tenant=tenant, actor=users["owner"], url=f"https://hooks.example:{receiver.port}/h",
                            events=["job.failed"])
    fake_dns["hooks.example"] = "127.0.0.1"
    run_on_commit(services.webhook_emit, tenant_id=tenant.pk, event="job.failed", data={"job": 1})
    delivery = WebhookDelivery.objects.get()
    assert not receiver.requests
    assert delivery.attempt_log.get().error_category == ErrorCategory.NOT_ALLOWED


def test_the_request_goes_to_the_checked_address_under_the_urls_host_name(tenant_a, receiver, fake_dns, settings):
    settings.SYNTHHUB_WEBHOOK_ALLOWED_HOSTS = ["hooks.internal"]
    fake_dns["hooks.internal"] = "127.0.0.1"
    tenant, users = tenant_a
    services.webhook_create(tenant=tenant, actor=users["owner"], url=f"http://hooks.internal:{receiver.port}/h",
                            events=["job.failed"])
    run_on_commit(services.webhook_emit, tenant_id=tenant.pk, event="job.failed", data={"job": 1})
    assert receiver.requests[0][1]["Host"] == f"hooks.internal:{receiver.port}"


def test_another_tenants_endpoints_and_deliveries_are_404(tenant_a, tenant_b, api_client_for, receiver):
    tenant, users = tenant_a
    other, other_users = tenant_b
    endpoint, _ = services.webhook_create(tenant=tenant, actor=users["owner"], url=receiver.url,
                                          events=["job.failed"])
    outsider = api_client_for(other_users["owner"])
    for path in (url(other, f"{endpoint.pk}/"), url(other, f"{endpoint.pk}/deliveries/"),
                 url(tenant, f"{endpoint.pk}/")):
        assert_error_shape(outsider.get(path), 404)
    assert_error_shape(outsider.patch(url(other, f"{endpoint.pk}/"), {"active": False}, format="json"), 404)
    assert_error_shape(outsider.delete(url(other, f"{endpoint.pk}/")), 404)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).active


def test_the_delivery_log_lists_attempts_and_inactive_endpoints_get_nothing(tenant_a, api_client_for, receiver):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    endpoint = register(client, tenant, receiver.url, events=["job.failed"])
    receiver.statuses = [502]
    run_on_commit(services.webhook_emit, tenant_id=tenant.pk, event="job.failed", data={"job": 1})
    log = client.get(url(tenant, f"{endpoint['id']}/deliveries/")).json()["results"]
    assert len(log) == 1 and log[0]["status"] == "pending" and log[0]["attempts"] == 1
    assert log[0]["attempt_log"][0]["status_code"] == 502
    assert log[0]["attempt_log"][0]["error_category"] == "http_status"
    assert "payload" not in log[0]
    assert client.patch(url(tenant, f"{endpoint['id']}/"), {"active": False}, format="json").status_code == 200
    assert services.webhook_emit(tenant_id=tenant.pk, event="job.failed", data={"job": 2}) == 0


def test_bad_events_are_400_with_paths(tenant_a, api_client_for, receiver):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    response = client.post(url(tenant), {"url": receiver.url, "events": ["job.done"]}, format="json")
    assert_error_shape(response, 400, paths={"events.0"})
    response = client.post(url(tenant), {"url": receiver.url, "events": []}, format="json")
    assert_error_shape(response, 400, paths={"events"})
    assert not WebhookEndpoint.objects.exists()


def test_the_per_tenant_limit_is_enforced(tenant_a, receiver, settings):
    from apps.core.errors import ServiceValidationError

    settings.SYNTHHUB_TENANT_MAX_WEBHOOKS = 1
    tenant, users = tenant_a
    services.webhook_create(tenant=tenant, actor=users["owner"], url=receiver.url, events=["job.failed"])
    with pytest.raises(ServiceValidationError, match="SYNTHHUB_TENANT_MAX_WEBHOOKS"):
        services.webhook_create(tenant=tenant, actor=users["owner"], url=receiver.url, events=["job.failed"])


def test_an_unreadable_secret_or_a_deactivated_endpoint_ends_in_the_log_not_in_a_crash(tenant_a, receiver):
    tenant, users = tenant_a
    endpoint, _ = services.webhook_create(tenant=tenant, actor=users["owner"], url=receiver.url,
                                          events=["job.failed"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret_encrypted="made-with-another-key")
    run_on_commit(services.webhook_emit, tenant_id=tenant.pk, event="job.failed", data={"job": 1})
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and not receiver.requests
    assert delivery.attempt_log.get().error_category == ErrorCategory.INTERNAL
    services.webhook_update(endpoint=endpoint, actor=users["owner"], active=False)
    make_due(delivery)
    assert services.delivery_attempt(delivery_id=delivery.pk) == "failed"
    assert delivery.attempt_log.last().error_category == ErrorCategory.ENDPOINT_GONE
