"""The one way to write the audit trail. Call it inside the transaction of the change it records.

The lock order
--------------
Every transaction takes its locks in this order and never in another:

1. the dataset row, FOR NO KEY UPDATE (version_create: it serialises version numbering);
2. chunk rows, FOR NO KEY UPDATE (one delivery of a chunk at a time), then the chunk's records range
   (an advisory lock in apps/datasets/persistence.py);
3. the job row, FOR NO KEY UPDATE (its counters and status);
4. the version row (UPDATE of its status), then an export's or a push's row;
5. the audit chain lock (below), LAST. After it a transaction only inserts rows and updates rows it already
   holds or made, and commits.

Row locks that only guard counters and status are FOR NO KEY UPDATE, never FOR UPDATE. That is what makes
step 5 safe: on PostgreSQL Django creates foreign keys DEFERRABLE INITIALLY DEFERRED, so at COMMIT every row a
transaction inserted (and every row it updated twice) has its foreign keys checked with `SELECT ... FOR KEY
SHARE` on the parent rows (dataset, version, job, user). Those checks run while the transaction holds the chain
lock. FOR KEY SHARE waits only for FOR UPDATE, a DELETE or a key change, so with no parent row ever held FOR
UPDATE by a transaction that then waits for the chain lock, no commit-time check waits on a waiter. (With FOR
UPDATE on the dataset, version_create waited for the chain lock while holding the dataset, and a finishing chunk
or a new export held the chain lock while its commit-time check waited for the dataset: a deadlock.)
Locks taken with SKIP LOCKED never wait, so they may be taken out of this order (job_cancel, the reaper).
Purges (DELETE of rows past the trash retention) write their audit events before deleting: the rows they delete
are ones no live transaction locks.

Why the chain lock is kept, and kept last, rather than the alternatives:
- taking it first in every transaction that will audit would serialise whole transactions (a chunk's COPY of
  tens of thousands of rows) across the platform;
- appending unchained events and chaining them later leaves a window in which events carry no proof and need a
  chainer that copes with ids committing out of order.
Held last, it is held from the append to the commit: the insert of one row, one HMAC and the commit itself.
"""

import json
import logging

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from apps.core.request_context import current_request_context

from .chain import ALGORITHM_HMAC, GENESIS_HASH, checkpoint_mac, event_mac
from .keys import key_ring
from .models import AuditCheckpoint, AuditEvent

logger = logging.getLogger(__name__)

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


def _write_checkpoint(head: AuditEvent | None, last: AuditCheckpoint | None) -> AuditCheckpoint:
    """Sign the head; call with the chain lock held."""
    ring = key_ring()
    checkpoint = AuditCheckpoint(
        event_id=head.pk if head else 0, head_hash=head.hash if head else GENESIS_HASH,
        event_count=AuditEvent.objects.filter(pk__lte=head.pk).count() if head else 0,
        key_id=ring.signing_id, prev_mac=last.mac if last else "",
    )
    checkpoint.mac = checkpoint_mac(event_id=checkpoint.event_id, head_hash=checkpoint.head_hash,
                                    event_count=checkpoint.event_count, created_at=checkpoint.created_at,
                                    prev_mac=checkpoint.prev_mac, key_id=checkpoint.key_id, key=ring.signing_key)
    checkpoint.save()
    return checkpoint


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
    """Append one event. `target` (a model instance) fills type, id and label unless they are given.

    Takes the chain lock: make it the last lock of the transaction (see the lock order above)."""
    if target is not None:
        target_type = target_type or f"{target._meta.app_label}.{target._meta.model_name}"
        target_id = target_id or target.pk
        target_label = target_label or str(target)[:255]
    context = current_request_context()
    user = actor if getattr(actor, "pk", None) else None
    ring = key_ring()
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        checkpoint = AuditCheckpoint.objects.order_by("-id").only("event_id", "mac").first()
        if checkpoint is not None and (last is None or last[0] < checkpoint.event_id):
            # The newest events were removed since the checkpoint: audit_verify reports it; say it at once too.
            logger.critical("audit trail truncated: checkpoint %s names event %s, the newest event is %s",
                            checkpoint.pk, checkpoint.event_id, last[0] if last else None)
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
            algorithm=ALGORITHM_HMAC,
            key_id=ring.signing_id,
        )
        # created_at is rounded to microseconds by every backend; hash what will be read back.
        event.prev_hash = last[1] if last else GENESIS_HASH
        event.hash = event_mac(event, event.prev_hash, key_id=ring.signing_id, key=ring.signing_key)
        event.save()
        every = settings.SYNTHHUB_AUDIT_CHECKPOINT_EVERY
        if every and event.pk - (checkpoint.event_id if checkpoint else 0) >= every:
            _write_checkpoint(event, checkpoint)
    return event


def audit_checkpoint_write() -> AuditCheckpoint:
    """Sign the chain's current head now (the `audit_checkpoint` command; appends also do it every N events)."""
    with transaction.atomic():
        _lock_chain()
        head = AuditEvent.objects.order_by("-id").first()
        return _write_checkpoint(head, AuditCheckpoint.objects.order_by("-id").first())
