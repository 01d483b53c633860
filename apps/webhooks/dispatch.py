"""The deliveries' dispatcher: the half of the outbox that talks to the broker (as apps/generation/dispatch.py).

A delivery row is the truth: one that is due and not on the broker (or put there so long ago that the broker
lost it, SYNTHHUB_DISPATCH_REDELIVER_SECONDS) is enqueued; a broker that is down delays deliveries, it never
loses one. Runs when an event is queued and on every pass of `manage.py synthhub_scheduler`.
"""

from __future__ import annotations

import logging
import threading

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from apps.generation.dispatch import redeliver_after

from .models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger(__name__)

DELIVER_TASK = "apps.webhooks.tasks.deliver"
BATCH = 200

_local = threading.local()


def deliveries_dispatch() -> int:
    """Enqueue the deliveries that are due; returns how many were sent to the broker."""
    if getattr(_local, "active", False):
        return 0  # a synchronous queue (tests) runs the task inside async_task; the outer call goes on
    _local.active = True
    try:
        return _dispatch()
    finally:
        _local.active = False


def _dispatch() -> int:
    now = timezone.now()
    with transaction.atomic():
        due = list(WebhookDelivery.objects.select_for_update(skip_locked=True, no_key=True)
                   .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                   .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - redeliver_after()))
                   .order_by("next_attempt_at", "id").values_list("id", flat=True)[:BATCH])
        WebhookDelivery.objects.filter(pk__in=due).update(enqueued_at=now)
    for index, pk in enumerate(due):
        try:
            async_task(DELIVER_TASK, pk, task_name=f"webhook-delivery-{pk}")
        except Exception as exc:  # noqa: BLE001 - the rows stay due; the next pass enqueues them
            WebhookDelivery.objects.filter(pk__in=due[index:], status=DeliveryStatus.PENDING).update(enqueued_at=None)
            logger.warning("broker unavailable (%s); %d webhook deliveries stay queued", type(exc).__name__,
                           len(due) - index)
            return index
    return len(due)


def _dispatch_safely() -> None:
    try:
        deliveries_dispatch()
    except Exception:  # noqa: BLE001 - the rows stay pending; the scheduler's next pass enqueues them
        logger.warning("webhook dispatch failed; the scheduler will retry", exc_info=True)


def deliveries_dispatch_on_commit() -> None:
    transaction.on_commit(_dispatch_safely)
