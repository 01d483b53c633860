"""The one way to write the audit trail. Call it inside the transaction of the change it records."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from apps.core.request_context import current_request_context

from .chain import GENESIS_HASH, event_digest
from .models import AuditEvent

# Any fixed 64-bit key: PostgreSQL serialises chain appends on it so two writers never fork the chain.
_CHAIN_LOCK_KEY = 7_310_001


def _json_safe(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: IMMEDIATE transactions (settings) already hold the database write lock here.


def audit_record(
    *,
    action: str,
    actor=None,
    tenant=None,
    target=None,
    target_type: str = "",
    target_id: str | int = "",
    target_label: str = "",
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event. `target` (a model instance) fills type, id and label unless they are given."""
    if target is not None:
        target_type = target_type or f"{target._meta.app_label}.{target._meta.model_name}"
        target_id = target_id or target.pk
        target_label = target_label or str(target)[:255]
    context = current_request_context()
    user = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            tenant_id=getattr(tenant, "pk", tenant),
            actor=user,
            actor_label=(actor_label or (user.get_username() if user else "system"))[:254],
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            target_label=target_label[:255],
            before=_json_safe(before),
            after=_json_safe(after),
            request_id=context.request_id,
            ip=context.ip,
        )
        # created_at is rounded to microseconds by every backend; hash what will be read back.
        event.prev_hash = last or GENESIS_HASH
        event.hash = event_digest(event, event.prev_hash)
        event.save()
    return event
