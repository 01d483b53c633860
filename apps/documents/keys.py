"""The per-tenant secret that document keys derive from (the engine takes it as bytes in the plan)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def document_secret(tenant_id: int) -> bytes:
    """HMAC-SHA256(SYNTHHUB_DOCUMENT_KEY_SECRET, tenant id): tenants never share keys, and nobody holding a
    dataset (seed and spec) can rebuild its private keys without the server's secret."""
    root = settings.SYNTHHUB_DOCUMENT_KEY_SECRET or hashlib.sha256(
        b"synthhub-document-keys\x1f" + settings.SECRET_KEY.encode()).hexdigest()
    return hmac.new(root.encode(), f"tenant:{int(tenant_id)}".encode(), hashlib.sha256).digest()
