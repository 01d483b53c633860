"""The hash chain: what an event's hash covers, and how the chain is checked."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64
_encoder = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_digest(event, prev_hash: str) -> str:
    """sha256 over the previous hash and every field a tamperer could change."""
    payload = {
        "prev": prev_hash,
        "tenant": event.tenant_id,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "ip": event.ip,
        "created_at": event.created_at.isoformat(),
    }
    return hashlib.sha256(_encoder.encode(payload).encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def first_break(events: Iterable) -> tuple[int, ChainBreak | None]:
    """Walk events in id order; return how many were checked and the first broken link, if any."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in events:
        checked += 1
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(
                event.id, "its previous-hash does not match the event before it (an event was removed or edited)"
            )
        if event_digest(event, event.prev_hash) != event.hash:
            return checked, ChainBreak(event.id, "its content does not match its hash (the row was edited)")
        expected_prev = event.hash
    return checked, None
