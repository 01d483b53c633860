"""ISO/IEC 18013-5 mdoc (mDL): issuer-signed items and the mobile security object in a COSE_Sign1.

IssuerSigned = {"nameSpaces": {ns: [#6.24(IssuerSignedItem), ...]}, "issuerAuth": COSE_Sign1}; the MSO lists
the SHA-256 digest of every item's #6.24 encoding, the device key and the validity; COSE_Sign1 carries the
issuer's certificate (x5chain, label 33) and an ECDSA signature as r || s (RFC 9053).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .cbor import Raw, Tag, dumps, embedded
from .curves import curve_of_key

# COSE algorithm of each signing hash (ES256/384/512) and COSE EC2 curve ids.
_COSE_ALG = {hashes.SHA256: -7, hashes.SHA384: -35, hashes.SHA512: -36}
_COSE_CURVES = {"secp256r1": 1, "secp384r1": 2, "secp521r1": 3, "brainpoolP256r1": 8, "brainpoolP384r1": 9,
                "brainpoolP512r1": 10}
MDL_DOCTYPE = "org.iso.18013.5.1.mDL"
MDL_NAMESPACE = "org.iso.18013.5.1"


def tdate(moment: datetime) -> Tag:
    return Tag(0, moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def element_value(value):
    if isinstance(value, datetime):
        return tdate(value)
    if isinstance(value, date):
        return Tag(1004, value.isoformat())
    return value


# An IssuerSignedItem's keys in deterministic order (by encoded length, then bytes).
_RANDOM, _DIGEST_ID, _VALUE, _IDENTIFIER = (dumps(k) for k in ("random", "digestID", "elementValue",
                                                               "elementIdentifier"))


def _item(digest_id: int, salt: bytes, name: str, value) -> bytes:
    """dumps({"digestID", "random", "elementIdentifier", "elementValue"}) without sorting keys each time."""
    return b"\xa4" + _RANDOM + dumps(salt) + _DIGEST_ID + dumps(digest_id) + _VALUE + dumps(element_value(value)) \
        + _IDENTIFIER + dumps(name)


def device_key_info(public: ec.EllipticCurvePublicKey) -> Raw:
    """The MSO's deviceKeyInfo, encoded once for a key that signs many documents."""
    return Raw(dumps({"deviceKey": cose_key(public)}))


@lru_cache(maxsize=4096)
def _x5chain(signer: x509.Certificate) -> Raw:
    return Raw(dumps({33: signer.public_bytes(serialization.Encoding.DER)}))


def cose_key(public: ec.EllipticCurvePublicKey) -> dict:
    numbers = public.public_numbers()
    size = (public.curve.key_size + 7) // 8
    return {1: 2, -1: _COSE_CURVES[public.curve.name], -2: numbers.x.to_bytes(size, "big"),
            -3: numbers.y.to_bytes(size, "big")}


def issuer_signed(items: list[tuple[str, object]], salts: list[bytes], signer: x509.Certificate,
                  key: ec.EllipticCurvePrivateKey, device_key: Raw, signed: datetime,
                  valid_from: datetime, valid_until: datetime, doc_type: str = MDL_DOCTYPE,
                  namespace: str = MDL_NAMESPACE) -> bytes:
    tagged = []
    digests = {}
    for digest_id, ((name, value), salt) in enumerate(zip(items, salts, strict=True)):
        item = Raw(b"\xd8\x18" + dumps(_item(digest_id, salt, name, value)))  # #6.24(bstr .cbor item)
        tagged.append(item)
        digests[digest_id] = hashlib.sha256(item.data).digest()
    mso = {"version": "1.0", "digestAlgorithm": "SHA-256", "valueDigests": {namespace: digests},
           "deviceKeyInfo": device_key, "docType": doc_type,
           "validityInfo": {"signed": tdate(signed), "validFrom": tdate(valid_from), "validUntil": tdate(valid_until)}}
    payload = dumps(embedded(mso))
    hash_type = curve_of_key(key).hash
    protected = dumps({1: _COSE_ALG[hash_type]})
    to_sign = dumps(["Signature1", protected, b"", payload])
    r, s = decode_dss_signature(key.sign(to_sign, ec.ECDSA(hash_type(), deterministic_signing=True)))
    size = (key.curve.key_size + 7) // 8
    cose = [protected, _x5chain(signer), payload,
            r.to_bytes(size, "big") + s.to_bytes(size, "big")]
    return dumps({"docType": doc_type, "issuerSigned": {"nameSpaces": {namespace: tagged}, "issuerAuth": cose}})
