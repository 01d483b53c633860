"""The CRL in force at a moment: the latest issued at or before it, the highest number among those issued
together, none before the first; a CRL added later is taken into account."""

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from apps.documents.verify import RevocationLists

KEY = ec.generate_private_key(ec.SECP256R1())
ISSUER = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CSCA")])
DAY = datetime(2024, 1, 1, tzinfo=UTC)


def _crl(issued: datetime, number: int, serials: list[int]) -> x509.CertificateRevocationList:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ISSUER).last_update(issued)
               .next_update(issued + timedelta(days=30)).add_extension(x509.CRLNumber(number), critical=False))
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(issued).build())
    return builder.sign(KEY, hashes.SHA256())


def test_the_crl_in_force_is_the_latest_issued_by_then():
    lists = RevocationLists()
    subject = ISSUER.public_bytes()
    lists.add(subject, _crl(DAY + timedelta(days=10), 2, [7]))
    lists.add(subject, _crl(DAY, 1, []))
    assert lists.in_force(subject, DAY - timedelta(seconds=1)) is None
    assert lists.in_force(subject, DAY) == {}
    assert set(lists.in_force(subject, DAY + timedelta(days=9))) == set()
    assert set(lists.in_force(subject, DAY + timedelta(days=10))) == {7}
    lists.add(subject, _crl(DAY + timedelta(days=10), 3, [7, 8]))  # issued together with number 2: 3 wins
    assert set(lists.in_force(subject, DAY + timedelta(days=20))) == {7, 8}
    assert lists.in_force(b"another CSCA", DAY + timedelta(days=20)) is None
