"""The ICAO 9303-10 LDS: data groups DG1 (the MRZ) and DG2 (a synthetic portrait), and the document security
object (SOD) that hashes them, signed by the document signer."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from . import cms, der, signing

ID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
ID_SHA256 = "2.16.840.1.101.3.4.2.1"
PORTRAIT_BYTES = 512


def _tag(tag: bytes, body: bytes) -> bytes:
    return tag + der.length(len(body)) + body


@lru_cache(maxsize=64)
def _dg1_head(size: int) -> bytes:
    """DG1's bytes before an MRZ of `size` characters: 61 L 5F1F L."""
    inner = b"\x5f\x1f" + der.length(size)
    return b"\x61" + der.length(len(inner) + size) + inner


def dg1(mrz: str) -> bytes:
    """EF.DG1: tag 61 holding 5F1F, the MRZ characters without line breaks."""
    text = mrz.replace("\n", "").encode("ascii", "replace")
    return _dg1_head(len(text)) + text


_PORTRAIT_HEAD = b"\x75" + der.length(PORTRAIT_BYTES)


def portrait(seed: int, table: str, row: int) -> bytes:
    """Deterministic synthetic portrait bytes of a document (a placeholder, not an image): DG2's content."""
    return _PORTRAIT_HEAD + hashlib.shake_256(f"synthhub-portrait\x1f{seed}\x1f{table}\x1f{row}".encode()).digest(
        PORTRAIT_BYTES)


_HEAD = der.integer(0) + der.algorithm(ID_SHA256)


@lru_cache(maxsize=256)
def _group_head(number: int, size: int) -> bytes:
    """DataGroupHash {dataGroupNumber, dataGroupHashValue} up to the hash's bytes."""
    body = der.integer(number) + b"\x04" + der.length(size)
    return b"\x30" + der.length(len(body) + size) + body


def security_object(hashes_by_group: dict[int, bytes]) -> bytes:
    """LDSSecurityObject v0 with SHA-256 data-group hashes."""
    groups = b"".join([_group_head(n, len(h)) + h for n, h in sorted(hashes_by_group.items())])
    return der.tlv(0x30, _HEAD + der.tlv(0x30, groups))


def _two_groups_frame() -> tuple[bytes, bytes]:
    """The LDSSecurityObject of DG1 and DG2 SHA-256 hashes around the two hashes (fixed sizes)."""
    probe = security_object({1: b"\x00" * 32, 2: b"\x01" * 32})
    first = probe.index(b"\x00" * 32)
    second = probe.index(b"\x01" * 32)
    return probe[:first], probe[first + 32:second]


_DG1_HEAD, _DG2_HEAD = _two_groups_frame()


def sod(dg1_bytes: bytes, dg2_bytes: bytes, signer: x509.Certificate, key: ec.EllipticCurvePrivateKey,
        signing_time: datetime | None, hash_type=None) -> bytes:
    """The SOD over DG1 and DG2; `hash_type` is the signing hash of `key` (looked up when not given)."""
    # security_object({1: DG1 hash, 2: DG2 hash}), its bytes around the two hashes built once.
    content = b"".join((_DG1_HEAD, hashlib.sha256(dg1_bytes).digest(), _DG2_HEAD, hashlib.sha256(dg2_bytes).digest()))
    return cms.signed_data(ID_LDS_SECURITY_OBJECT, content, signer, key, hash_type or signing.hash_of(key),
                           signing_time=signing_time)
