"""The signature of a webhook request: HMAC-SHA256 with the endpoint's secret over "<timestamp>.<body>".

Header: `SynthHub-Signature: t=<unix seconds>,v1=<hex digest>`. A receiver recomputes the digest over the
timestamp it was given and the raw body, compares in constant time, and refuses an old timestamp (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "SynthHub-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"


def verify(*, secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (also used by the tests): the header's digest matches and its time is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, fields.get("v1", ""))
