"""Webhook endpoints (create, change, delete: audited) and the events queued for them.

`webhook_emit` is called inside the transaction of the change it reports, so the delivery rows commit with
it or not at all (the outbox); the dispatcher puts them on the queue, and `delivery_attempt` sends one.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, ServiceValidationError
from apps.exports.encryption import decrypt_secret, encrypt_secret

from .addresses import url_problem
from .models import (
    TEST_EVENT,
    DeliveryStatus,
    ErrorCategory,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .sender import send
from .signing import SIGNATURE_HEADER, new_secret, signature_header

logger = logging.getLogger(__name__)

USER_AGENT = "SynthHub-Webhooks/1"


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "events": endpoint.events, "active": endpoint.active,
            "description": endpoint.description}


def _clean(*, url=None, events=None, description=None, partial: bool) -> list[tuple[str, str]]:
    problems = []
    if url is not None or not partial:
        problem = url_problem(url or "")
        if problem:
            problems.append(("url", problem))
    if events is not None or not partial:
        if not isinstance(events, list) or not events:
            problems.append(("events", f"list one or more of {', '.join(WebhookEvent.values)}"))
        else:
            for index, event in enumerate(events):
                if event not in WebhookEvent.values:
                    problems.append((f"events.{index}", f"unknown event; one of {', '.join(WebhookEvent.values)}"))
            if len(set(events)) != len(events):
                problems.append(("events", "lists an event twice"))
    if description is not None and len(description) > 200:
        problems.append(("description", "at most 200 characters"))
    return problems


@transaction.atomic
def webhook_create(*, tenant, actor, url: str, events: list, description: str = "") -> tuple[WebhookEndpoint, str]:
    """The endpoint and its signing secret, which is returned this once and stored encrypted."""
    problems = _clean(url=url, events=events, description=description, partial=False)
    limit = settings.SYNTHHUB_TENANT_MAX_WEBHOOKS
    if limit and WebhookEndpoint.objects.filter(tenant=tenant).count() >= limit:
        problems.append(("", f"this tenant has {limit} webhook endpoints, the most it may have "
                             "(SYNTHHUB_TENANT_MAX_WEBHOOKS); delete one first"))
    if problems:
        raise ServiceValidationError(problems)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url=url, events=list(events), description=description,
                                              secret_encrypted=encrypt_secret(secret), created_by=actor)
    audit_record(action="webhook.create", actor=actor, tenant=tenant, target=endpoint, after=_snapshot(endpoint))
    return endpoint, secret


@transaction.atomic
def webhook_update(*, endpoint: WebhookEndpoint, actor, **changes) -> WebhookEndpoint:
    allowed = {"url", "events", "description", "active"}
    changes = {key: value for key, value in changes.items() if key in allowed}
    problems = _clean(url=changes.get("url"), events=changes.get("events"), description=changes.get("description"),
                      partial=True)
    if problems:
        raise ServiceValidationError(problems)
    before = _snapshot(endpoint)
    for key, value in changes.items():
        setattr(endpoint, key, value)
    endpoint.save()
    audit_record(action="webhook.update", actor=actor, tenant=endpoint.tenant, target=endpoint, before=before,
                 after=_snapshot(endpoint))
    return endpoint


@transaction.atomic
def webhook_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """Delete the endpoint with its delivery log (audited first, as purges are: see apps/audit/services.py)."""
    audit_record(action="webhook.delete", actor=actor, tenant=endpoint.tenant, target=endpoint,
                 before=_snapshot(endpoint))
    endpoint.delete()


@transaction.atomic
def webhook_rotate_secret(*, endpoint: WebhookEndpoint, actor) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, returned this once; the old one stops signing at once (deliveries still pending are
    signed with the new one when they are sent). The audit event names the rotation, never a secret."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = new_secret()
    endpoint.secret_encrypted = encrypt_secret(secret)
    endpoint.save(update_fields=["secret_encrypted", "updated_at"])
    audit_record(action="webhook.rotate_secret", actor=actor, tenant=endpoint.tenant, target=endpoint,
                 after={"url": endpoint.url})
    return endpoint, secret


@transaction.atomic
def webhook_test(*, endpoint: WebhookEndpoint, actor) -> WebhookDelivery:
    """Queue a `webhook.test` delivery to this endpoint alone, whatever events it takes: signed, sent, retried and
    logged like any delivery. A disabled endpoint is refused (409): it gets no deliveries. So is one whose
    previous test delivery is still pending (409): repeated requests queue one outgoing request at a time."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.active:
        raise Conflict("The endpoint is disabled: enable it to send it a test delivery.")
    if WebhookDelivery.objects.filter(endpoint=endpoint, event=TEST_EVENT, status=DeliveryStatus.PENDING).exists():
        raise Conflict("A test delivery to this endpoint is still pending: see the delivery log.")
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        tenant_id=endpoint.tenant_id, endpoint=endpoint, event=TEST_EVENT, next_attempt_at=now,
        payload={"event": TEST_EVENT, "created_at": now.isoformat(),
                 "data": {"endpoint": endpoint.pk, "requested_by": getattr(actor, "pk", None)}})
    audit_record(action="webhook.test", actor=actor, tenant=endpoint.tenant, target=endpoint,
                 after={"delivery": delivery.pk})
    from .dispatch import deliveries_dispatch_on_commit

    deliveries_dispatch_on_commit()
    return delivery


# ----------------------------------------------------------------------------- events and deliveries
def webhook_emit(*, tenant_id: int, event: str, data: dict) -> int:
    """Queue `event` for every active endpoint of the tenant that takes it; returns how many were queued.

    Call it inside the transaction of the change: the rows commit with it (only inserts, so it may run after
    the audit record). `data` holds ids, statuses and sizes, never generated values."""
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(tenant_id=tenant_id, active=True)
                 if event in endpoint.events]
    if not endpoints:
        return 0
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(tenant_id=tenant_id, endpoint=endpoint, event=event, next_attempt_at=now,
                        payload={"event": event, "created_at": now.isoformat(), "data": data})
        for endpoint in endpoints)
    from .dispatch import deliveries_dispatch_on_commit

    deliveries_dispatch_on_commit()
    return len(endpoints)


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff after the `attempt`th failed attempt, capped."""
    base = settings.SYNTHHUB_WEBHOOK_RETRY_BASE_SECONDS
    cap = settings.SYNTHHUB_WEBHOOK_RETRY_CAP_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), cap))


def attempt_lease() -> timedelta:
    """How long a claimed attempt may take before the delivery may be sent again (its worker died)."""
    from .sender import TIMEOUT_SECONDS

    return timedelta(seconds=TIMEOUT_SECONDS * 6)


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for one attempt if it is due: a second copy of the task finds it not due and skips."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True, no_key=True)
                    .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).first())
        if delivery is None:
            return None
        WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1, enqueued_at=None,
                                                              next_attempt_at=now + attempt_lease())
    delivery.refresh_from_db()
    return delivery


def _signed_send(*, delivery: WebhookDelivery, endpoint: WebhookEndpoint, timestamp: int):
    """Sign and send one attempt's request (the secret is decrypted only here)."""
    body = _body(delivery)
    secret = decrypt_secret(endpoint.secret_encrypted)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "SynthHub-Event": delivery.event,
               "SynthHub-Delivery": str(delivery.pk),
               SIGNATURE_HEADER: signature_header(secret=secret, timestamp=timestamp, body=body)}
    return send(url=endpoint.url, body=body, headers=headers)


def _body(delivery: WebhookDelivery) -> bytes:
    payload = {"id": delivery.pk, **delivery.payload}
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def delivery_attempt(*, delivery_id: int) -> str:
    """Send the delivery once; on failure schedule the next attempt or, out of attempts, fail it."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return "skipped"
    started = timezone.now()
    endpoint = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, active=True).first()
    if endpoint is None:
        outcome_ok, status_code, duration, category, excerpt = False, None, 0, ErrorCategory.ENDPOINT_GONE, ""
    else:
        try:
            result = _signed_send(delivery=delivery, endpoint=endpoint, timestamp=int(started.timestamp()))
        except Exception:  # noqa: BLE001 - e.g. a secret made with a key this installation no longer has
            logger.exception("webhook delivery %s could not be sent", delivery.pk)
            result = None
        if result is None:
            outcome_ok, status_code, duration, category, excerpt = False, None, 0, ErrorCategory.INTERNAL, ""
        else:
            outcome_ok, status_code, duration = result.ok, result.status_code, result.duration_ms
            category, excerpt = result.error_category, result.excerpt
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, started_at=started,
                                      duration_ms=duration, status_code=status_code, error_category=category,
                                      response_excerpt=excerpt)
        final = category == ErrorCategory.ENDPOINT_GONE or delivery.attempts >= settings.SYNTHHUB_WEBHOOK_MAX_ATTEMPTS
        if outcome_ok:
            updates = {"status": DeliveryStatus.SUCCEEDED, "delivered_at": now}
        elif final:
            updates = {"status": DeliveryStatus.FAILED}
        else:
            updates = {"next_attempt_at": now + retry_delay(delivery.attempts)}
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**updates)
    if not outcome_ok:
        logger.info("webhook delivery %s attempt %s failed (%s %s)", delivery.pk, delivery.attempts, category,
                    status_code or "")
    return "succeeded" if outcome_ok else ("failed" if final else "retrying")


def deliveries_prune(*, now=None) -> int:
    """Remove finished deliveries (and their attempt log) older than SYNTHHUB_WEBHOOK_LOG_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SYNTHHUB_WEBHOOK_LOG_DAYS)
    old = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(status=DeliveryStatus.PENDING)
    deleted, _ = old.delete()
    return deleted
