"""The ICAO 9303-12 CSCA master list: CMS SignedData of CscaMasterList {version 0, certList SET OF Certificate}."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from . import cms, der, signing

ID_CSCA_MASTER_LIST = "2.23.136.1.1.2"


def master_list(certificates: list[x509.Certificate], signer: x509.Certificate,
                key: ec.EllipticCurvePrivateKey) -> bytes:
    content = der.sequence(der.integer(0), der.set_of(*(cms.certificate_der(c) for c in certificates)))
    return cms.signed_data(ID_CSCA_MASTER_LIST, content, signer, key, signing.hash_of(key))
