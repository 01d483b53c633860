"""CMS SignedData (RFC 5652) with any eContent type, signed by a document key.

`cryptography`'s PKCS7 builder signs only id-data; ICAO objects carry their own types (LDS security object,
CSCA master list), so the structure is encoded here and the signature comes from `cryptography` with
deterministic ECDSA (RFC 6979): the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from . import der, signing
from .curves import ECDSA_OIDS

ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
ID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
ID_SIGNING_TIME = "1.2.840.113549.1.9.5"
_DIGEST_OIDS = {hashes.SHA256: "2.16.840.1.101.3.4.2.1", hashes.SHA384: "2.16.840.1.101.3.4.2.2",
                hashes.SHA512: "2.16.840.1.101.3.4.2.3"}
_HASHLIB = {hashes.SHA256: hashlib.sha256, hashes.SHA384: hashlib.sha384, hashes.SHA512: hashlib.sha512}


def certificate_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


@lru_cache(maxsize=4096)
def _signer_parts(signer: x509.Certificate) -> tuple[bytes, bytes]:
    """(SignerIdentifier, the certificates field carrying the signer): the same for every document a DS signs."""
    sid = der.sequence(signer.issuer.public_bytes(), der.integer(signer.serial_number))
    return sid, der.implicit_constructed(0, certificate_der(signer))


@lru_cache(maxsize=64)
def _constants(content_type: str, hash_type: type[hashes.HashAlgorithm]) -> tuple[bytes, bytes, bytes, bytes]:
    """Encodings every SignedData of one content type and hash shares: (digest algorithm, its SET, the
    content-type attribute, the signature algorithm)."""
    digest_alg = der.algorithm(_DIGEST_OIDS[hash_type])
    content_type_attr = der.sequence(der.oid(ID_CONTENT_TYPE), der.set_of(der.oid(content_type)))
    return digest_alg, der.set_of(digest_alg), content_type_attr, der.algorithm(ECDSA_OIDS[hash_type])


_MESSAGE_DIGEST_OID = der.oid(ID_MESSAGE_DIGEST)
_SIGNING_TIME_OID = der.oid(ID_SIGNING_TIME)
_VERSION_1, _VERSION_3 = der.integer(1), der.integer(3)
_SIGNATURE_ALGORITHMS: dict = {}


@lru_cache(maxsize=4096)
def _frame(signer: x509.Certificate, content_type: str, hash_type: type[hashes.HashAlgorithm], signature_alg: bytes
           ) -> tuple[bytes, bytes, bytes, bytes, bytes]:
    """The encodings around one signer's documents, built once: (SignerInfo up to its signed attributes,
    the signature algorithm, SignedData's version and digest algorithms, the eContentType, the signer's
    certificates field)."""
    digest_alg, digest_algs, _, _ = _constants(content_type, hash_type)
    sid, carried = _signer_parts(signer)
    return _VERSION_1 + sid + digest_alg, signature_alg, _VERSION_3 + digest_algs, der.oid(content_type), carried


@lru_cache(maxsize=65536)
def _signing_time_attribute(moment: datetime) -> bytes:
    """The signingTime attribute (documents of one day share it)."""
    return der.sequence(_SIGNING_TIME_OID, der.set_of(der.utc_time(moment)))


@lru_cache(maxsize=16)
def _is_ec(key_type: type) -> bool:
    """isinstance(key, EllipticCurvePrivateKey), answered once per key class (an ABC check costs per call)."""
    return issubclass(key_type, ec.EllipticCurvePrivateKey)


def _algorithm(hash_type: type[hashes.HashAlgorithm]) -> ec.ECDSA:
    algorithm = _SIGNATURE_ALGORITHMS.get(hash_type)
    if algorithm is None:
        algorithm = _SIGNATURE_ALGORITHMS[hash_type] = ec.ECDSA(hash_type(), deterministic_signing=True)
    return algorithm


@lru_cache(maxsize=16384)
def _headers(signer: x509.Certificate, content_type: str, hash_type: type[hashes.HashAlgorithm], signature_alg: bytes,
             content_size: int, attrs_size: int, signature_size: int) -> tuple[bytes, bytes, bytes]:
    """The bytes of a SignedData before its content, between the content and the signed attributes' contents,
    and between those and the signature. They depend on the signer and three sizes only (a SOD's content and
    attributes have fixed sizes and a DER ECDSA signature takes one of a few), so they are built once."""
    signer_head, signature_alg, body_head, content_oid, carried = _frame(signer, content_type, hash_type,
                                                                         signature_alg)
    octets_head = b"\x04" + der.length(content_size)
    content_head = b"\xa0" + der.length(len(octets_head) + content_size)
    encap_size = len(content_oid) + len(content_head) + len(octets_head) + content_size
    encap_head = b"\x30" + der.length(encap_size)
    attrs_head = b"\xa0" + der.length(attrs_size)
    signature_head = b"\x04" + der.length(signature_size)
    info_size = len(signer_head) + len(attrs_head) + attrs_size + len(signature_alg) + len(signature_head) \
        + signature_size
    info_head = b"\x30" + der.length(info_size)
    infos_size = len(info_head) + info_size
    infos_head = b"\x31" + der.length(infos_size)
    body_size = len(body_head) + len(encap_head) + encap_size + len(carried) + len(infos_head) + infos_size
    body_head_tlv = b"\x30" + der.length(body_size)
    explicit_head = b"\xa0" + der.length(len(body_head_tlv) + body_size)
    outer_size = len(_SIGNED_DATA_OID) + len(explicit_head) + len(body_head_tlv) + body_size
    before_content = b"".join((b"\x30", der.length(outer_size), _SIGNED_DATA_OID, explicit_head, body_head_tlv,
                               body_head, encap_head, content_oid, content_head, octets_head))
    return before_content, carried + infos_head + info_head + signer_head + attrs_head, signature_alg \
        + signature_head


# _headers by the signer object's identity: hashing a certificate (its DER) on every document costs more than
# the lookup. Each entry keeps its certificate, so an id is never taken for another object's while it is here.
_HEADERS_BY_ID: dict = {}
_HEADERS_BY_ID_LIMIT = 16384


def _headers_of(signer: x509.Certificate, content_type: str, hash_type: type[hashes.HashAlgorithm],
                signature_alg: bytes, content_size: int, attrs_size: int, signature_size: int
                ) -> tuple[bytes, bytes, bytes]:
    key = (id(signer), content_type, hash_type, signature_alg, content_size, attrs_size, signature_size)
    found = _HEADERS_BY_ID.get(key)
    if found is not None and found[0] is signer:
        return found[1]
    if len(_HEADERS_BY_ID) >= _HEADERS_BY_ID_LIMIT:
        _HEADERS_BY_ID.clear()
    headers = _headers(signer, content_type, hash_type, signature_alg, content_size, attrs_size, signature_size)
    _HEADERS_BY_ID[key] = (signer, headers)
    return headers


def signed_data(content_type: str, content: bytes, signer: x509.Certificate, key: ec.EllipticCurvePrivateKey,
                hash_type: type[hashes.HashAlgorithm], *, signing_time: datetime | None = None,
                certificates: tuple[x509.Certificate, ...] | None = None) -> bytes:
    """ContentInfo{signedData} over `content`, signer identified by issuer and serial.

    `certificates` defaults to the signer's certificate (an ICAO SOD carries its document signer). Everything
    but the content, the signed attributes and the signature is encoded once per signer and sizes
    (`_headers`), so a document costs its digest, its signature and a few concatenations.
    """
    _, _, content_type_attr, ecdsa_alg = _constants(content_type, hash_type)
    digest = _HASHLIB[hash_type](content).digest()
    # messageDigest: SEQUENCE { OID, SET { OCTET STRING digest } }; digests are at most 64 bytes.
    size = len(digest)
    message_digest = (b"\x30" + bytes((size + 4 + len(_MESSAGE_DIGEST_OID),)) + _MESSAGE_DIGEST_OID + b"\x31"
                      + bytes((size + 2, 0x04, size)) + digest)
    if signing_time is None:
        attributes = [content_type_attr, message_digest]
    else:
        attributes = [content_type_attr, message_digest, _signing_time_attribute(signing_time)]
    attributes.sort()  # DER orders a SET OF by encodings
    attrs_content = b"".join(attributes)
    to_sign = b"\x31" + der.length(len(attrs_content)) + attrs_content
    if _is_ec(type(key)):
        signature = key.sign(to_sign, _algorithm(hash_type))
        signature_alg = ecdsa_alg
    else:  # RSASSA-PSS (signing.py)
        signature = signing.sign(key, to_sign, hash_type)
        signature_alg = signing.algorithm_identifier(key, hash_type)
    if certificates is not None:
        return _signed_data_with(content_type, content, signer, hash_type, signature_alg, attrs_content, signature,
                                 certificates)
    before_content, before_attrs, before_signature = _headers_of(signer, content_type, hash_type, signature_alg,
                                                                 len(content), len(attrs_content), len(signature))
    return b"".join((before_content, content, before_attrs, attrs_content, before_signature, signature))


def _signed_data_with(content_type: str, content: bytes, signer: x509.Certificate,
                      hash_type: type[hashes.HashAlgorithm], signature_alg: bytes, attrs_content: bytes,
                      signature: bytes, certificates: tuple[x509.Certificate, ...]) -> bytes:
    """The SignedData carrying `certificates` instead of the signer's certificate."""
    signer_head, signature_alg, body_head, content_oid, _ = _frame(signer, content_type, hash_type, signature_alg)
    carried = der.implicit_constructed(0, b"".join(sorted(certificate_der(c) for c in certificates)))
    signer_info = der.tlv(0x30, b"".join((signer_head, der.tlv(0xA0, attrs_content), signature_alg,
                                           der.octets(signature))))
    encap = der.tlv(0x30, content_oid + der.explicit(0, der.octets(content)))
    body = der.tlv(0x30, b"".join((body_head, encap, carried, der.tlv(0x31, signer_info))))
    return der.tlv(0x30, _SIGNED_DATA_OID + der.explicit(0, body))


_SIGNED_DATA_OID = der.oid(ID_SIGNED_DATA)
