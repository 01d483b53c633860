"""X.509 certificates, CRLs and the ICAO 9303-12 profiles of CSCA, document signer, CRL and master-list signers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID, ObjectIdentifier

from .signing import sign_builder

ROLES = ("csca", "ds", "crl_signer", "master_list_signer", "link")
# id-icao-mrtd-security-cscaMasterListSigningKey (ICAO 9303-12 4.6.1): extended key usage of a ML signer.
ML_SIGNING_EKU = ObjectIdentifier("2.23.136.1.1.3")
DER = Encoding.DER


@dataclass(frozen=True)
class Subject:
    country: str
    common_name: str
    organization: str | None = None

    def name(self) -> x509.Name:
        attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, self.country)]
        if self.organization:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization))
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, self.common_name))
        return x509.Name(attributes)


def _key_usage(*, digital_signature=False, key_cert_sign=False, crl_sign=False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign,
                         crl_sign=crl_sign, encipher_only=False, decipher_only=False)


def build(role: str, subject: x509.Name, public_key: ec.EllipticCurvePublicKey, serial: int,
          not_before: datetime, not_after: datetime, issuer: x509.Name, issuer_key: ec.EllipticCurvePrivateKey
          ) -> x509.Certificate:
    """A certificate of `role`, signed by `issuer_key` (the subject's own key for a self-signed CSCA)."""
    issuer_public = issuer_key.public_key()
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(serial).not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False))
    if role in ("csca", "link"):
        builder = (builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True))
    elif role == "ds":
        builder = builder.add_extension(_key_usage(digital_signature=True), critical=True)
    elif role == "crl_signer":
        builder = builder.add_extension(_key_usage(crl_sign=True), critical=True)
    elif role == "master_list_signer":
        builder = (builder.add_extension(_key_usage(digital_signature=True), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ML_SIGNING_EKU]), critical=False))
    else:
        raise ValueError(f"unknown certificate role {role!r}")
    return sign_builder(builder, issuer_key)


def build_crl(issuer: x509.Certificate, issuer_key: ec.EllipticCurvePrivateKey, number: int,
              this_update: datetime, next_update: datetime, revoked: list[tuple[int, datetime]]
              ) -> x509.CertificateRevocationList:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
               .last_update(this_update).next_update(next_update)
               .add_extension(x509.CRLNumber(number), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    for serial, when in sorted(revoked):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    return sign_builder(builder, issuer_key)
