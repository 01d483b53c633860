"""The audit chain's keys: which one signs new events and checkpoints, and which ones still verify old ones.

SYNTHHUB_AUDIT_KEYS is a comma-separated list of secrets; the first signs, every one verifies, so a key is
rotated by putting the new one first and keeping the old ones after it for as long as their events are kept.
An event stores the id of the key that signed it (derived from the key, it reveals nothing about it).

Without SYNTHHUB_AUDIT_KEYS the key is derived from SECRET_KEY with a salt of its own (so it is never the
SECRET_KEY itself, nor any key Django derives from it), and the keys derived from SECRET_KEY_FALLBACKS still
verify, so rotating SECRET_KEY the Django way keeps the trail verifiable. The entry `derived` in the list
stands for those derived keys: `SYNTHHUB_AUDIT_KEYS=<new secret>,derived` moves to a key of its own and keeps
the events signed before verifiable.
"""

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_DERIVE_SALT = b"synthhub.audit.chain-key.v1"
_KEY_ID_LABEL = b"synthhub.audit.key-id"
DERIVED = "derived"


@dataclass(frozen=True)
class KeyRing:
    signing_id: str
    signing_key: bytes
    keys: dict  # key id -> key bytes, the signing key included

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


def key_id_of(key: bytes) -> str:
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def _derived(secret: str) -> bytes:
    return hmac.new(secret.encode(), _DERIVE_SALT, hashlib.sha256).digest()


def _derived_keys(secret_key: str, fallbacks: tuple[str, ...]) -> list[bytes]:
    if not secret_key:
        raise ImproperlyConfigured("Set SYNTHHUB_AUDIT_KEYS (or SECRET_KEY) to sign the audit trail.")
    return [_derived(secret_key), *(_derived(f) for f in fallbacks if f)]


@lru_cache(maxsize=8)
def _ring(configured: str, secret_key: str, fallbacks: tuple[str, ...]) -> KeyRing:
    entries = [entry.strip() for entry in configured.split(",") if entry.strip()]
    keys: list[bytes] = []
    for entry in entries or [DERIVED]:
        if entry == DERIVED:
            keys.extend(_derived_keys(secret_key, fallbacks))
        elif len(entry) < 32:
            raise ImproperlyConfigured("Each SYNTHHUB_AUDIT_KEYS entry must be at least 32 characters.")
        else:
            keys.append(entry.encode())
    ring = {key_id_of(key): key for key in reversed(keys)}  # the first of two equal ids wins
    return KeyRing(signing_id=key_id_of(keys[0]), signing_key=keys[0], keys=ring)


def key_ring() -> KeyRing:
    """The keys from the current settings (cached per settings value: one HMAC per append stays the cost)."""
    return _ring(settings.SYNTHHUB_AUDIT_KEYS or "", settings.SECRET_KEY or "",
                 tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ()))
