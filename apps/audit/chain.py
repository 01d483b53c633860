"""The keyed chain: what an event's hash covers, the signed checkpoints of the head, and how both are checked.

An event's `hash` is HMAC-SHA256, under a key only the platform holds, over the previous event's hash and every
field a tamperer could change; `key_id` names the key. Events written before the chain was keyed keep their
plain sha256 digest (`algorithm` "sha256"): they are accepted only as the oldest part of the trail and only up
to a signed checkpoint, so nobody can pass off rewritten events as old ones by computing the public digest.

A checkpoint signs (event id, head hash, number of events up to it, the previous checkpoint's signature).
Rewriting events breaks their HMACs; removing the newest events leaves a checkpoint that names an event that is
gone, or a count that went down.
"""

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder

from .keys import KeyRing

GENESIS_HASH = "0" * 64
ALGORITHM_LEGACY = "sha256"
ALGORITHM_HMAC = "hmac-sha256"
_encoder = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _event_payload(event, prev_hash: str) -> dict:
    return {
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


def event_digest(event, prev_hash: str) -> str:
    """The unkeyed sha256 of events written before the chain was keyed (anyone can compute it)."""
    return hashlib.sha256(_encoder.encode(_event_payload(event, prev_hash)).encode()).hexdigest()


def event_mac(event, prev_hash: str, *, key_id: str, key: bytes) -> str:
    payload = {**_event_payload(event, prev_hash), "alg": ALGORITHM_HMAC, "key_id": key_id}
    return hmac.new(key, _encoder.encode(payload).encode(), hashlib.sha256).hexdigest()


def checkpoint_mac(*, event_id: int, head_hash: str, event_count: int, created_at, prev_mac: str, key_id: str,
                   key: bytes) -> str:
    payload = {"event_id": event_id, "head": head_hash, "count": event_count, "created_at": created_at.isoformat(),
               "prev_mac": prev_mac, "key_id": key_id}
    return hmac.new(key, _encoder.encode(payload).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def _checkpoint_problem(checkpoint, prev, ring: KeyRing) -> str | None:
    key = ring.key(checkpoint.key_id)
    if key is None:
        return f"checkpoint {checkpoint.id} is signed with key id {checkpoint.key_id}, which no configured key has"
    expected = checkpoint_mac(event_id=checkpoint.event_id, head_hash=checkpoint.head_hash,
                              event_count=checkpoint.event_count, created_at=checkpoint.created_at,
                              prev_mac=checkpoint.prev_mac, key_id=checkpoint.key_id, key=key)
    if not hmac.compare_digest(expected, checkpoint.mac):
        return f"checkpoint {checkpoint.id} does not match its signature (it was edited or forged)"
    if checkpoint.prev_mac != (prev.mac if prev else ""):
        return f"checkpoint {checkpoint.id} does not follow the checkpoint before it (a checkpoint was removed)"
    if prev and (checkpoint.event_id < prev.event_id or checkpoint.event_count < prev.event_count):
        return f"checkpoint {checkpoint.id} goes back from checkpoint {prev.id}"
    return None


def _event_problem(event, ring: KeyRing, *, keyed_seen: bool, legacy_covered_to: int) -> str | None:
    if event.algorithm == ALGORITHM_LEGACY:
        if keyed_seen:
            return "it carries an unkeyed digest after keyed events (written with the public digest)"
        if event.id > legacy_covered_to:
            return "it carries an unkeyed digest that no signed checkpoint covers (written with the public digest)"
        if event_digest(event, event.prev_hash) != event.hash:
            return "its content does not match its hash (the row was edited)"
        return None
    if event.algorithm != ALGORITHM_HMAC:
        return f"its algorithm '{event.algorithm}' is unknown"
    key = ring.key(event.key_id)
    if key is None:
        return (f"it is signed with key id {event.key_id}, which no configured key has (a key was removed from "
                "SYNTHHUB_AUDIT_KEYS, or the event was forged)")
    if not hmac.compare_digest(event_mac(event, event.prev_hash, key_id=event.key_id, key=key), event.hash):
        return "its content does not match its keyed hash (the row was edited or re-signed without the key)"
    return None


def first_break(events: Iterable, checkpoints: Iterable = (), *, ring: KeyRing) -> tuple[int, ChainBreak | None]:
    """Walk events in id order against the checkpoints (in id order); return how many events were checked and
    the first broken one, if any. A checkpoint problem is reported at the event the checkpoint names."""
    checkpoints = list(checkpoints)
    prev = None
    for checkpoint in checkpoints:
        problem = _checkpoint_problem(checkpoint, prev, ring)
        if problem:
            return 0, ChainBreak(checkpoint.event_id, problem)
        prev = checkpoint
    # Checkpoints in the order of the events they name (the same order: checkpoints never go back).
    legacy_covered_to = checkpoints[-1].event_id if checkpoints else 0
    expected_prev, keyed_seen, checked, last_id, next_cp = GENESIS_HASH, False, 0, 0, 0
    for event in events:
        checked += 1
        if next_cp < len(checkpoints) and checkpoints[next_cp].event_id < event.id:
            c = checkpoints[next_cp]
            return checked, ChainBreak(c.event_id, f"it is missing, though checkpoint {c.id} names it (it was removed)")
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(
                event.id, "its previous-hash does not match the event before it (an event was removed or edited)"
            )
        problem = _event_problem(event, ring, keyed_seen=keyed_seen, legacy_covered_to=legacy_covered_to)
        if problem:
            return checked, ChainBreak(event.id, problem)
        while next_cp < len(checkpoints) and checkpoints[next_cp].event_id == event.id:
            c = checkpoints[next_cp]
            if c.head_hash != event.hash or c.event_count != checked:
                return checked, ChainBreak(event.id, f"it does not match checkpoint {c.id}, which recorded it as "
                                                     f"event number {c.event_count} of the trail")
            next_cp += 1
        keyed_seen = keyed_seen or event.algorithm == ALGORITHM_HMAC
        expected_prev, last_id = event.hash, event.id
    if next_cp < len(checkpoints):
        c = checkpoints[next_cp]
        return checked, ChainBreak(c.event_id, f"it is missing, though checkpoint {c.id} names it as event number "
                                               f"{c.event_count}: the trail ends at event {last_id} with {checked} "
                                               "events (the newest events were removed)")
    return checked, None
