"""Idempotency keys: the first answer to a request, kept for its retries (SYNTHHUB_IDEMPOTENCY_TTL_HOURS).

The key row is inserted first, in the transaction that does the request's work, and the answer is stored
in it before that transaction commits. So a key exists only with its work, and a retry sent while the first
request still runs waits on the key's unique index, then replays the first answer.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status

from apps.core.errors import ServiceValidationError

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(exceptions.APIException):
    """The key was used before, by the same user on the same route, with a different request."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = ("This Idempotency-Key was used for a different request; use a new key for a new request "
                      "(a retry must repeat the first request exactly).")


def idempotency_key_clean(raw: str) -> str:
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ServiceValidationError([(HEADER, f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")])
    return key


def idempotency_claim(*, tenant, user, route: str, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """(the key's row, whether it holds an earlier answer). Call inside the request's transaction."""
    now = timezone.now()
    expired_before = now - timedelta(hours=settings.SYNTHHUB_IDEMPOTENCY_TTL_HOURS)
    scope = {"tenant": tenant, "user": user, "route": route, "key": key}
    IdempotencyKey.objects.filter(**scope, created_at__lt=expired_before).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(**scope, fingerprint=fingerprint, created_at=now), False
    except IntegrityError:
        pass  # the first request committed it (a concurrent one waited on the unique index until then)
    record = IdempotencyKey.objects.get(**scope)
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused
    return record, True


def idempotency_store(*, record: IdempotencyKey, status_code: int, body) -> None:
    record.status_code, record.response = status_code, body
    record.save(update_fields=["status_code", "response"])


def idempotency_prune(*, now=None) -> int:
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lt=now - timedelta(hours=settings.SYNTHHUB_IDEMPOTENCY_TTL_HOURS)).delete()
    return deleted
