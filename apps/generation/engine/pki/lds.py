"""The ICAO 9303-10 LDS: data groups DG1 (the MRZ) and DG2 (a synthetic portrait), and the document security
object (SOD) that hashes them, signed by the document signer."""

from __future__ import annotations

import hashlib
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from . import cms, der, signing

ID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
ID_SHA256 = "2.16.840.1.101.3.4.2.1"
PORTRAIT_BYTES = 512


def _tag(tag: bytes, body: bytes) -> bytes:
    return tag + der.length(len(body)) + body


def dg1(mrz: str) -> bytes:
    """EF.DG1: tag 61 holding 5F1F, the MRZ characters without line breaks."""
    return _tag(b"\x61", _tag(b"\x5f\x1f", mrz.replace("\n", "").encode("ascii", "replace")))


def portrait(seed: int, table: str, row: int) -> bytes:
    """Deterministic synthetic portrait bytes of a document (a placeholder, not an image): DG2's content."""
    body = hashlib.shake_256(f"synthhub-portrait\x1f{seed}\x1f{table}\x1f{row}".encode()).digest(PORTRAIT_BYTES)
    return _tag(b"\x75", body)


_HEAD = der.integer(0) + der.algorithm(ID_SHA256)


def security_object(hashes_by_group: dict[int, bytes]) -> bytes:
    """LDSSecurityObject v0 with SHA-256 data-group hashes."""
    groups = [der.sequence(der.integer(n), der.octets(h)) for n, h in sorted(hashes_by_group.items())]
    return der.sequence(_HEAD, der.sequence(*groups))


def sod(dg1_bytes: bytes, dg2_bytes: bytes, signer: x509.Certificate, key: ec.EllipticCurvePrivateKey,
        signing_time: datetime | None) -> bytes:
    content = security_object({1: hashlib.sha256(dg1_bytes).digest(), 2: hashlib.sha256(dg2_bytes).digest()})
    return cms.signed_data(ID_LDS_SECURITY_OBJECT, content, signer, key, signing.hash_of(key),
                           signing_time=signing_time)
