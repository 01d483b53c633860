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


def signed_data(content_type: str, content: bytes, signer: x509.Certificate, key: ec.EllipticCurvePrivateKey,
                hash_type: type[hashes.HashAlgorithm], *, signing_time: datetime | None = None,
                certificates: tuple[x509.Certificate, ...] | None = None) -> bytes:
    """ContentInfo{signedData} over `content`, signer identified by issuer and serial.

    `certificates` defaults to the signer's certificate (an ICAO SOD carries its document signer).
    """
    digest_alg, digest_algs, content_type_attr, signature_alg = _constants(content_type, hash_type)
    attributes = [
        content_type_attr,
        der.sequence(_MESSAGE_DIGEST_OID, der.set_of(der.octets(_HASHLIB[hash_type](content).digest()))),
    ]
    if signing_time is not None:
        attributes.append(der.sequence(_SIGNING_TIME_OID, der.set_of(der.utc_time(signing_time))))
    attributes.sort()  # DER orders a SET OF by encodings
    attrs_content = b"".join(attributes)
    signature = signing.sign(key, b"\x31" + der.length(len(attrs_content)) + attrs_content, hash_type)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        signature_alg = signing.algorithm_identifier(key, hash_type)
    sid, carried_signer = _signer_parts(signer)
    signer_info = der.sequence(_VERSION_1, sid, digest_alg, der.tlv(0xA0, attrs_content), signature_alg,
                               der.octets(signature))
    carried = carried_signer if certificates is None else der.implicit_constructed(
        0, b"".join(sorted(certificate_der(c) for c in certificates)))
    body = der.sequence(
        _VERSION_3,
        digest_algs,
        der.sequence(der.oid(content_type), der.explicit(0, der.octets(content))),
        carried,
        der.tlv(0x31, signer_info),
    )
    return der.sequence(der.oid(ID_SIGNED_DATA), der.explicit(0, body))
