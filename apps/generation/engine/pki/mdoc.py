"""ISO/IEC 18013-5 mdoc (mDL): issuer-signed items and the mobile security object in a COSE_Sign1.

IssuerSigned = {"nameSpaces": {ns: [#6.24(IssuerSignedItem), ...]}, "issuerAuth": COSE_Sign1}; the MSO lists
the SHA-256 digest of every item's #6.24 encoding, the device key and the validity; COSE_Sign1 carries the
issuer's certificate (x5chain, label 33) and an ECDSA signature as r || s (RFC 9053).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .cbor import Raw, Tag, dumps
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


def x5chain(signer: x509.Certificate) -> bytes:
    """The COSE unprotected header carrying the issuer certificate (x5chain, label 33)."""
    return _x5chain(signer).data


def cose_key(public: ec.EllipticCurvePublicKey) -> dict:
    numbers = public.public_numbers()
    size = (public.curve.key_size + 7) // 8
    return {1: 2, -1: _COSE_CURVES[public.curve.name], -2: numbers.x.to_bytes(size, "big"),
            -3: numbers.y.to_bytes(size, "big")}


_MARKS = tuple(b"\x00synthhub-mark-%d\x00" % n for n in range(7))


class _Frame:
    """An encoding with marks where per-document values go: `fill(values)` puts values[k] at mark k (map keys
    sort by their encodings, so marks need not appear in the order they are numbered)."""

    def __init__(self, template: bytes, count: int):
        positions = sorted((template.index(mark), k) for k, mark in enumerate(_MARKS[:count]))
        pieces = []
        at = 0
        for position, k in positions:
            pieces.append(template[at:position].replace(b"%", b"%%"))
            at = position + len(_MARKS[k])
        pieces.append(template[at:].replace(b"%", b"%%"))
        self.format = b"%b".join(pieces)
        self.order = itemgetter(*(k for _, k in positions))

    def fill(self, values: tuple[bytes, ...]) -> bytes:
        return self.format % self.order(values)


@lru_cache(maxsize=256)
def _mso_frame(doc_type: str, namespace: str) -> _Frame:
    """The MSO's encoding around (value digests, device key, signed, validFrom, validUntil): its keys sort the
    same whatever the values, so it is encoded once with marks in their places."""
    mso = {"version": "1.0", "digestAlgorithm": "SHA-256", "valueDigests": {namespace: Raw(_MARKS[0])},
           "deviceKeyInfo": Raw(_MARKS[1]), "docType": doc_type,
           "validityInfo": {"signed": Raw(_MARKS[2]), "validFrom": Raw(_MARKS[3]), "validUntil": Raw(_MARKS[4])}}
    return _Frame(dumps(mso), 5)


@lru_cache(maxsize=256)
def _document_frame(doc_type: str, namespace: str) -> _Frame:
    """The Document's encoding around (the issuer-signed items, issuerAuth)."""
    document = {"docType": doc_type, "issuerSigned": {"nameSpaces": {namespace: Raw(_MARKS[0])},
                                                      "issuerAuth": Raw(_MARKS[1])}}
    return _Frame(dumps(document), 2)


@lru_cache(maxsize=4096)
def _item_parts(digest_id: int, name: str) -> tuple[bytes, bytes, bytes]:
    """An IssuerSignedItem's bytes between its salt and its value (digestID, the elementValue key), its tail
    (elementIdentifier), and the head of its entry in the MSO's value digests (digestID, a 32-byte bstr)."""
    return _DIGEST_ID + dumps(digest_id) + _VALUE, _IDENTIFIER + dumps(name), dumps(digest_id) + b"\x58\x20"


@lru_cache(maxsize=65536)
def _moment_value(value: date) -> bytes:
    """A date (full-date, tag 1004) or datetime (tdate) element value, encoded once per value."""
    return dumps(element_value(value))


@lru_cache(maxsize=65536)
def _tdate_bytes(moment: datetime) -> bytes:
    return dumps(tdate(moment))


@lru_cache(maxsize=64)
def _protected(hash_type: type[hashes.HashAlgorithm]) -> tuple[bytes, bytes, ec.ECDSA]:
    """(protected header, its encoding as a bstr, the signature algorithm)."""
    protected = dumps({1: _COSE_ALG[hash_type]})
    return protected, dumps(protected), ec.ECDSA(hash_type(), deterministic_signing=True)


def _bstr_head(size: int) -> bytes:
    if size < 24:
        return bytes((0x40 | size,))
    if size < 0x100:
        return bytes((0x58, size))
    if size < 0x10000:
        return bytes((0x59, size >> 8, size & 0xFF))
    return b"\x5a" + size.to_bytes(4, "big")


_ITEM_HEAD = b"\xa4" + _RANDOM
# The head of entry n of the MSO's value digests: digestID n and a 32-byte bstr.
_DIGEST_HEADS = [dumps(n) + b"\x58\x20" for n in range(64)]


def encode_value(value) -> bytes:
    """An element value's CBOR."""
    kind = type(value)
    if kind is str:
        return _text_bytes(value)
    if kind is date and value.year >= 1000:
        return _FULL_DATE_HEAD + value.isoformat().encode()
    if kind is date or kind is datetime:
        return _moment_value(value)
    return dumps(element_value(value))


# #6.1004 of a 10-character text string: a full-date YYYY-MM-DD.
_FULL_DATE_HEAD = b"\xd9\x03\xec\x6a"


def item_layout(digest_id: int, name: str, salt_size: int = 16) -> tuple[int, bytes, bytes]:
    """(the size of an item's IssuerSignedItem without its value, the bytes from its head to its salt, the
    bytes from its salt to its value); the value's encoding and the item's tail (`item_tail`) follow."""
    before_value, tail, _ = _item_parts(digest_id, name)
    head = _ITEM_HEAD + (b"\x50" if salt_size == 16 else _bstr_head(salt_size))
    return len(head) + salt_size + len(before_value) + len(tail), head, before_value


def item_tail(digest_id: int, name: str) -> bytes:
    return _item_parts(digest_id, name)[1]


@lru_cache(maxsize=4096)
def tagged_head(size: int) -> bytes:
    """#6.24 and the head of a bstr of `size` bytes."""
    return b"\xd8\x18" + _bstr_head(size)


def item_halves(digest_id: int, name: str, encoded: bytes, salt_size: int = 16) -> tuple[bytes, bytes]:
    """An item's #6.24(bstr .cbor IssuerSignedItem) without its salt: the bytes before the salt and after it.

    Its keys in deterministic order are random, digestID, elementValue, elementIdentifier, so the salt is the
    only per-document piece between the head and the value."""
    size, head, before_value = item_layout(digest_id, name, salt_size)
    return tagged_head(size + len(encoded)) + head, before_value + encoded + item_tail(digest_id, name)


class IssuerSigner:
    """Signs Documents of one doc type and namespace with one signing hash: the MSO and Document frames, the
    COSE protected header and the value-digest heads are looked up once, not per document."""

    def __init__(self, doc_type: str = MDL_DOCTYPE, namespace: str = MDL_NAMESPACE,
                 hash_type: type[hashes.HashAlgorithm] = hashes.SHA256):
        self.mso = _mso_frame(doc_type, namespace)
        self.document = _document_frame(doc_type, namespace)
        _, self.protected_bstr, self.algorithm = _protected(hash_type)
        self.sig_head = b"\x84\x6aSignature1" + self.protected_bstr + b"\x40"
        self.cose_head = b"\x84" + self.protected_bstr

    def sign(self, heads, rests, salts: bytes, salt_size: int, unprotected: bytes,
             key: ec.EllipticCurvePrivateKey, device_key: Raw, signed: bytes, valid_from: bytes,
             valid_until: bytes) -> bytes:
        """The Document of the items `heads[k] + salt k + rests[k]` (item_halves; salt k is
        salts[k * salt_size:(k + 1) * salt_size]) and the validity (tdate encodings), with the COSE unprotected
        header `unprotected` (`x5chain(signer)`)."""
        count = len(heads)
        sha256 = hashlib.sha256
        tagged = [head + salts[at:at + salt_size] + rest
                  for head, at, rest in zip(heads, range(0, count * salt_size, salt_size), rests, strict=True)]
        digest_heads = _DIGEST_HEADS[:count] if count <= len(_DIGEST_HEADS) else \
            [_item_parts(n, "")[2] for n in range(count)]
        digests = b"".join([head + sha256(item).digest() for head, item in zip(digest_heads, tagged, strict=True)])
        head = bytes((0xA0 | count,)) if count < 24 else dumps(dict.fromkeys(range(count), 0))[:2]
        mso = self.mso.fill((head + digests, device_key.data, signed, valid_from, valid_until))
        payload = b"\xd8\x18" + _bstr_head(len(mso)) + mso
        payload_bstr = _bstr_head(len(payload)) + payload
        # Sig_structure = ["Signature1", protected, external_aad (empty), payload] (RFC 9052 4.4).
        r, s = decode_dss_signature(key.sign(self.sig_head + payload_bstr, self.algorithm))
        size = (key.curve.key_size + 7) // 8
        cose = b"".join((self.cose_head, unprotected, payload_bstr, _bstr_head(2 * size),
                         r.to_bytes(size, "big"), s.to_bytes(size, "big")))
        array_head = bytes((0x80 | count,)) if count < 24 else dumps(list(range(count)))[:2]
        return self.document.fill((array_head + b"".join(tagged), cose))


def issuer_signed(items: list[tuple[str, object]], salts: list[bytes], signer: x509.Certificate,
                  key: ec.EllipticCurvePrivateKey, device_key: Raw, signed: datetime,
                  valid_from: datetime, valid_until: datetime, doc_type: str = MDL_DOCTYPE,
                  namespace: str = MDL_NAMESPACE, hash_type: type[hashes.HashAlgorithm] | None = None) -> bytes:
    """The Document (deterministic CBOR) of (element identifier, value) items with their salts (all of one
    size). Everything that does not change between documents (map keys in their order, headers, the signer's
    x5chain) is encoded once; a document concatenates its items, their digests, the validity and the signature
    into those pieces. `hash_type` is the signing hash of `key`'s curve (looked up when not given)."""
    salt_size = len(salts[0]) if salts else 16
    if any(len(salt) != salt_size for salt in salts) or len(salts) != len(items):
        raise ValueError("every item needs a salt, all of one size")
    halves = [item_halves(n, name, encode_value(value), salt_size) for n, (name, value) in enumerate(items)]
    signer_of = IssuerSigner(doc_type, namespace, hash_type or curve_of_key(key).hash)
    signed_bytes = _tdate_bytes(signed)
    heads, rests = [h for h, _ in halves], [r for _, r in halves]
    return signer_of.sign(heads, rests, b"".join(salts), salt_size, x5chain(signer), key,
                          device_key, signed_bytes, signed_bytes if valid_from == signed else _tdate_bytes(valid_from),
                          _tdate_bytes(valid_until))


def tdate_bytes(moment: datetime) -> bytes:
    """A tdate's encoding (moments are UTC, as `tdate` writes them)."""
    if moment.tzinfo is UTC and moment.year >= 1000:
        return b"\xc0\x74%04d-%02d-%02dT%02d:%02d:%02dZ" % (moment.year, moment.month, moment.day, moment.hour,
                                                            moment.minute, moment.second)
    return _tdate_bytes(moment)


def _text_bytes(value: str) -> bytes:
    data = value.encode("utf-8")
    size = len(data)
    if size < 24:
        return bytes([0x60 | size]) + data
    if size < 0x100:
        return bytes([0x78, size]) + data
    return dumps(value)
