"""Secrets at rest (target database passwords): Fernet, with the key from the environment.

SYNTHHUB_ENCRYPTION_KEY holds one or more comma-separated Fernet keys: the first encrypts, all decrypt,
so a key can be rotated by putting the new one first. Without it the key is derived from SECRET_KEY
with HKDF, which ties the stored secrets to SECRET_KEY: rotating SECRET_KEY then makes them unreadable.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_HKDF_SALT = b"synthhub-secrets-at-rest"
_HKDF_INFO = b"synthhub target connection passwords v1"


class SecretUnreadable(Exception):
    """The stored token was made with a key this installation no longer has."""


def _derived_key(secret_key: str) -> bytes:
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
        secret_key.encode())
    return base64.urlsafe_b64encode(material)


def _cipher() -> MultiFernet:
    configured = [key.strip() for key in settings.SYNTHHUB_ENCRYPTION_KEY.split(",") if key.strip()]
    if not configured:
        if not settings.SECRET_KEY:
            raise ImproperlyConfigured("Set SYNTHHUB_ENCRYPTION_KEY (or SECRET_KEY) to store secrets.")
        return MultiFernet([Fernet(_derived_key(settings.SECRET_KEY))])
    try:
        return MultiFernet([Fernet(key.encode()) for key in configured])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "SYNTHHUB_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded bytes), comma-separated; "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from exc


def encrypt_secret(plain: str) -> str:
    return _cipher().encrypt(plain.encode()).decode() if plain else ""


def decrypt_secret(token: str) -> str:
    if not token:
        return ""
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "The stored password cannot be decrypted with the configured key; set it again.") from exc
