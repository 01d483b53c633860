"""One place that signs with a document key, ECDSA or RSASSA-PSS, and says how the signature is identified.

ECDSA signs deterministically (RFC 6979) with the curve's hash. RSA keys (rsa_pool) sign RSASSA-PSS with
SHA-256, MGF1-SHA-256 and a zero-length salt: RFC 8017 9.1 allows an empty salt, and it makes the signature a
pure function of the key and the message, so the same seed gives the same bytes as with ECDSA. Certificates and
CRLs then carry id-RSASSA-PSS with these parameters as their signatureAlgorithm, and CMS signer infos the same.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from . import der
from .curves import ECDSA_OIDS, curve_of_key

ID_RSASSA_PSS = "1.2.840.113549.1.1.10"
ID_MGF1 = "1.2.840.113549.1.1.8"
PSS_SALT_LENGTH = 0
RSA_KINDS = {"rsa-pss-2048": 2048, "rsa-pss-3072": 3072}
_DIGEST_OIDS = {hashes.SHA256: "2.16.840.1.101.3.4.2.1", hashes.SHA384: "2.16.840.1.101.3.4.2.2",
                hashes.SHA512: "2.16.840.1.101.3.4.2.3"}


def rsa_kind(bits: int) -> str:
    return f"rsa-pss-{bits}"


def is_rsa(kind: str | None) -> bool:
    return kind in RSA_KINDS


def hash_of(key) -> type[hashes.HashAlgorithm]:
    """The hash a key signs with: its curve's for ECDSA, SHA-256 for RSA."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return hashes.SHA256
    return curve_of_key(key).hash


def pss(hash_type: type[hashes.HashAlgorithm]) -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hash_type()), salt_length=PSS_SALT_LENGTH)


def sign(key, data: bytes, hash_type: type[hashes.HashAlgorithm]) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, pss(hash_type), hash_type())
    return key.sign(data, ec.ECDSA(hash_type(), deterministic_signing=True))


def algorithm_identifier(key, hash_type: type[hashes.HashAlgorithm]) -> bytes:
    """The DER AlgorithmIdentifier of `sign(key, ..., hash_type)` (a CMS signer info's signatureAlgorithm)."""
    if not isinstance(key, rsa.RSAPrivateKey):
        return der.algorithm(ECDSA_OIDS[hash_type])
    digest = der.algorithm(_DIGEST_OIDS[hash_type], with_null=True)
    params = der.sequence(der.explicit(0, digest), der.explicit(1, der.sequence(der.oid(ID_MGF1), digest)),
                          der.explicit(2, der.integer(PSS_SALT_LENGTH)))
    return der.sequence(der.oid(ID_RSASSA_PSS), params)


def sign_builder(builder, key):
    """Sign a CertificateBuilder or CertificateRevocationListBuilder with `key` (deterministic either way)."""
    hash_type = hash_of(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return builder.sign(key, hash_type(), rsa_padding=pss(hash_type))
    return builder.sign(key, hash_type(), ecdsa_deterministic=True)


def certificate_is_rsa(certificate: x509.Certificate) -> bool:
    return isinstance(certificate.public_key(), rsa.RSAPublicKey)
