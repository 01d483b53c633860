"""Deterministic document keys: an ECDSA private scalar derived from the document secret and the row.

The scalar is BLAKE2b keyed with the document secret over (seed, table, column, row, purpose), widened by 64
bits beyond the curve order so reducing it is unbiased (FIPS 186-5 A.4.1 style), then 1 + x mod (n - 1).
The secret is per tenant (the service derives it from SYNTHHUB_DOCUMENT_KEY_SECRET and the tenant id), so two
tenants with the same seed never share keys; without a secret (the engine CLI) keys follow from the seed alone.
A document signer signs many documents: derived keys are cached per process (bounded LRU).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import ec

from . import rsa_pool
from .curves import CURVES
from .signing import RSA_KINDS

_SEP = b"\x1f"
KEY_CACHE_SIZE = 4096


def scalar(curve: str, secret: bytes, seed: int, table: str, column: str, row: int, purpose: str = "") -> int:
    order = CURVES[curve].order
    width = (order.bit_length() + 64 + 7) // 8
    material = _SEP.join(str(p).encode() for p in ("synthhub-document-key", curve, seed, table, column, row, purpose))
    out = b""
    counter = 0
    while len(out) < width:
        out += hashlib.blake2b(material + _SEP + str(counter).encode(), key=secret[:64], digest_size=64).digest()
        counter += 1
    return 1 + int.from_bytes(out[:width], "big") % (order - 1)


@lru_cache(maxsize=KEY_CACHE_SIZE)
def private_key(curve: str, secret: bytes, seed: int, table: str, column: str, row: int,
                purpose: str = "") -> ec.EllipticCurvePrivateKey:
    """The private key of one certificate (table, column, row); `purpose` names a scenario's extra key.

    `curve` is the key kind: an ICAO curve, or `rsa-pss-2048`/`rsa-pss-3072` for a key of the RSA pool."""
    if curve in RSA_KINDS:
        return rsa_pool.private_key(RSA_KINDS[curve], secret, seed, table, column, row, purpose)
    return ec.derive_private_key(scalar(curve, secret, seed, table, column, row, purpose), CURVES[curve].curve())
