"""Verification of travel-document objects with `cryptography` and this package's own DER reader.

Nothing here imports the engine: a bug in how objects are generated cannot hide itself in how they are
checked. Each check returns the reason an object is refused (None when it is accepted); the reasons are the
ones negative scenarios are labelled for (docs/documents.md "Scenarios").
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from . import asn1

SIGNED_DATA = "1.2.840.113549.1.7.2"
LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
CSCA_MASTER_LIST = "2.23.136.1.1.2"
_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_DIGESTS = {"2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384,
            "2.16.840.1.101.3.4.2.3": hashes.SHA512}
_RSASSA_PSS = "1.2.840.113549.1.1.10"
_MGF1 = "1.2.840.113549.1.1.8"
_ECDSA = {"1.2.840.10045.4.3.2": hashes.SHA256, "1.2.840.10045.4.3.3": hashes.SHA384,
          "1.2.840.10045.4.3.4": hashes.SHA512}

# The reason each scenario label must be refused for (None: the document must be accepted).
EXPECTED_REASONS = {
    "valid": None, "expired_ds": "ds_expired", "not_yet_valid_ds": "ds_not_yet_valid", "revoked_ds": "ds_revoked",
    "wrong_signer": "bad_signature", "broken_chain": "unknown_csca", "tampered_dg1": "dg1_hash_mismatch",
    "bad_mrz_check_digit": "mrz_check_digit",
}


def _hash(hash_type, data: bytes) -> bytes:
    digest = hashes.Hash(hash_type())
    digest.update(data)
    return digest.finalize()


@dataclass
class SignedData:
    content_type: str
    content: bytes
    certificates: list[x509.Certificate]
    issuer: bytes
    serial: int
    digest: type
    signed_attrs: bytes
    signature_hash: type | None
    signature: bytes
    attributes: dict[str, bytes]
    pss_salt_length: int | None = None  # RSASSA-PSS: the salt length its parameters declare; None for ECDSA

    def signer_certificate(self) -> x509.Certificate | None:
        for cert in self.certificates:
            if cert.serial_number == self.serial and cert.issuer.public_bytes() == self.issuer:
                return cert
        return None

    def signature_valid(self, cert: x509.Certificate) -> bool:
        """The messageDigest and content-type attributes match the content and `cert`'s key signed them."""
        if self.signature_hash is None or self.attributes.get(_MESSAGE_DIGEST) != _hash(self.digest, self.content):
            return False
        if self.attributes.get(_CONTENT_TYPE) != self.content_type:
            return False
        key = cert.public_key()
        try:
            if self.pss_salt_length is None and isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(self.signature, self.signed_attrs, ec.ECDSA(self.signature_hash()))
            elif self.pss_salt_length is not None and isinstance(key, rsa.RSAPublicKey):
                key.verify(self.signature, self.signed_attrs,
                           padding.PSS(mgf=padding.MGF1(self.signature_hash()), salt_length=self.pss_salt_length),
                           self.signature_hash())
            else:
                return False
        except (InvalidSignature, ValueError):
            return False
        return True


def open_signed_data(data: bytes) -> SignedData:
    """The parts of a ContentInfo{signedData} with one signer; ASN1Error when it is not one."""
    try:
        return _open_signed_data(data)
    except IndexError as exc:  # an element with fewer children than its type has
        raise asn1.ASN1Error("a CMS element lacks a part") from exc


def _open_signed_data(data: bytes) -> SignedData:
    info = asn1.parse(data).children()
    if len(info) != 2 or asn1.oid(info[0]) != SIGNED_DATA or info[1].tag != 0xA0:
        raise asn1.ASN1Error("not a CMS SignedData")
    body = asn1.parse(info[1].contents).children()
    version, _algorithms, encap, *rest = body
    asn1.integer(version)
    encap_parts = encap.children()
    content_type = asn1.oid(encap_parts[0])
    content = asn1.parse(encap_parts[1].contents).contents
    certificates = []
    if rest and rest[0].tag == 0xA0:
        certificates = [x509.load_der_x509_certificate(n.data) for n in rest[0].children()]
        rest = rest[1:]
    signer_infos = rest[-1].children()
    if len(signer_infos) != 1:
        raise asn1.ASN1Error("expected exactly one signer")
    parts = signer_infos[0].children()
    sid = parts[1].children()
    digest = _DIGESTS.get(asn1.oid(parts[2].children()[0]))
    attrs_node = parts[3]
    if attrs_node.tag != 0xA0 or digest is None:
        raise asn1.ASN1Error("signed attributes and a known digest are required")
    attributes = {}
    for attribute in attrs_node.children():
        kind, values = attribute.children()
        value = values.children()[0]
        attributes[asn1.oid(kind)] = asn1.oid(value) if value.tag == 0x06 else value.contents
    signed_attrs = b"\x31" + attrs_node.data[1:]  # signed as a SET, carried as [0] IMPLICIT
    signature_hash, salt_length = _signature_algorithm(parts[4])
    return SignedData(content_type, content, certificates, sid[0].data, asn1.integer(sid[1]), digest, signed_attrs,
                      signature_hash, parts[5].contents, attributes, salt_length)


def _signature_algorithm(node: asn1.Node) -> tuple[type | None, int | None]:
    """(hash, PSS salt length) of a signer info's signatureAlgorithm: ECDSA with a hash, or id-RSASSA-PSS with
    RFC 4055 parameters (hash and MGF1 hash the same; a trailer field other than 1 is refused)."""
    parts = node.children()
    kind = asn1.oid(parts[0])
    if kind in _ECDSA:
        return _ECDSA[kind], None
    if kind != _RSASSA_PSS or len(parts) != 2:
        return None, None
    hash_type, mgf_hash, salt_length = hashes.SHA1, hashes.SHA1, 20  # the RFC 4055 defaults
    for field in parts[1].children():
        (inner,) = field.children()
        if field.tag == 0xA0:
            hash_type = _DIGESTS.get(asn1.oid(inner.children()[0]))
        elif field.tag == 0xA1:
            mgf = inner.children()
            if asn1.oid(mgf[0]) != _MGF1:
                return None, None
            mgf_hash = _DIGESTS.get(asn1.oid(mgf[1].children()[0]))
        elif field.tag == 0xA2:
            salt_length = asn1.integer(inner)
        elif field.tag != 0xA3 or asn1.integer(inner) != 1:
            return None, None
    if hash_type is None or mgf_hash is not hash_type or salt_length < 0:
        return None, None
    return hash_type, salt_length


def issued_by(cert: x509.Certificate, anchors: list[x509.Certificate]) -> x509.Certificate | None:
    """The anchor whose key signed `cert` (names match and the signature verifies), None if there is none."""
    for anchor in anchors:
        if anchor.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(anchor)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return anchor
    return None


def within(cert: x509.Certificate, moment: datetime) -> str | None:
    if moment < cert.not_valid_before_utc:
        return "not_yet_valid"
    if moment > cert.not_valid_after_utc:
        return "expired"
    return None


def _check_digit(text: str) -> str:
    weights = (7, 3, 1)
    total = 0
    for i, char in enumerate(text):
        value = int(char) if char.isdigit() else (ord(char) - 55 if "A" <= char <= "Z" else 0)
        total += value * weights[i % 3]
    return str(total % 10)


def mrz_check_digits_ok(mrz: str) -> bool:
    """The five check digits of a TD3 MRZ (ICAO 9303-4 4.2.2)."""
    lines = mrz.split("\n")
    if len(lines) != 2 or len(lines[1]) != 44:
        return False
    line = lines[1]
    fields = ((line[0:9], line[9]), (line[13:19], line[19]), (line[21:27], line[27]))
    if any(_check_digit(value) != digit for value, digit in fields):
        return False
    optional_ok = line[42] in ("<", "0") and not line[28:42].strip("<") or _check_digit(line[28:42]) == line[42]
    return optional_ok and _check_digit(line[0:10] + line[13:20] + line[21:43]) == line[43]


def dg1_of(mrz: str) -> bytes:
    text = mrz.replace("\n", "").encode("ascii")
    inner = b"\x5f\x1f" + _length(len(text)) + text
    return b"\x61" + _length(len(inner)) + inner


def _length(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82]) + n.to_bytes(2, "big")


def data_group_hashes(content: bytes) -> tuple[type, dict[int, bytes]]:
    version, algorithm, groups = asn1.parse(content).children()
    hash_type = _DIGESTS.get(asn1.oid(algorithm.children()[0]))
    if hash_type is None:
        raise asn1.ASN1Error("unknown data-group hash algorithm")
    out = {}
    for group in groups.children():
        number, value = group.children()
        out[asn1.integer(number)] = value.contents
    return hash_type, out


class RevocationLists:
    """Each CSCA's verified CRLs, by the CSCA's subject (DER), to read the CRL in force at a moment: the
    latest one issued (thisUpdate) at or before it, the highest CRL number among those issued together."""

    def __init__(self) -> None:
        self._lists: dict[bytes, list[tuple[datetime, int, dict[int, datetime]]]] = {}
        self._issued: dict[bytes, list[datetime]] = {}  # a CSCA's thisUpdates in order, once its lists are sorted

    def add(self, csca_subject: bytes, crl: x509.CertificateRevocationList) -> None:
        try:
            number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        except x509.ExtensionNotFound:
            number = -1
        entries = {entry.serial_number: entry.revocation_date_utc for entry in crl}
        self._lists.setdefault(csca_subject, []).append((crl.last_update_utc, number, entries))
        self._issued.pop(csca_subject, None)

    def in_force(self, csca_subject: bytes, moment: datetime) -> dict[int, datetime] | None:
        """The revoked serials (with their revocation dates) of the CSCA's CRL in force at `moment`, None when
        the CSCA had issued no CRL by then. A binary search: a report asks once per document."""
        lists = self._lists.get(csca_subject)
        if not lists:
            return None
        issued = self._issued.get(csca_subject)
        if issued is None:
            lists.sort(key=lambda item: (item[0], item[1]))
            issued = self._issued[csca_subject] = [item[0] for item in lists]
        at = bisect.bisect_right(issued, moment)
        return lists[at - 1][2] if at else None


def verify_sod(data: bytes, mrz: str, signed_at: datetime, anchors: list[x509.Certificate],
               revoked: RevocationLists) -> str | None:
    """Why a passport's SOD and MRZ are refused, or None.

    `revoked` holds the verified CRLs: a DS is refused as revoked when the CRL of its CSCA in force at the
    signing time lists it with a revocation date at or before that time (RFC 5280 5.3.2), so a passport
    issued before its signer was withdrawn stays valid, and so does one signed before any CRL said so.
    """
    return _verify_security_object(data, dg1_of(mrz), None, mrz, signed_at, anchors, revoked)


def _verify_security_object(data: bytes, dg1: bytes, dg2: bytes | None, mrz: str, signed_at: datetime,
                            anchors: list[x509.Certificate], revoked: RevocationLists) -> str | None:
    """The checks of an LDS security object (a SOD, a DTC's): signer chain, signature, validity and revocation
    on `signed_at`, DG1 (and DG2 when the document carries it) hashes, then the MRZ's check digits."""
    try:
        sd = open_signed_data(data)
    except (asn1.ASN1Error, ValueError):
        return "malformed"
    if sd.content_type != LDS_SECURITY_OBJECT:
        return "malformed"
    ds = sd.signer_certificate()
    if ds is None:
        return "no_signer_certificate"
    csca = issued_by(ds, anchors)
    if csca is None:
        return "unknown_csca"
    if not sd.signature_valid(ds):
        return "bad_signature"
    validity = within(ds, signed_at)
    if validity is not None:
        return f"ds_{validity}"
    if within(csca, signed_at) is not None:
        return "csca_not_valid"
    listed = revoked.in_force(csca.subject.public_bytes(), signed_at)
    revoked_at = None if listed is None else listed.get(ds.serial_number)
    if revoked_at is not None and revoked_at <= signed_at:
        return "ds_revoked"
    try:
        hash_type, groups = data_group_hashes(sd.content)
    except (asn1.ASN1Error, ValueError):
        return "malformed"
    if groups.get(1) != _hash(hash_type, dg1):
        return "dg1_hash_mismatch"
    if 2 not in groups:
        return "dg2_missing"
    if dg2 is not None and groups[2] != _hash(hash_type, dg2):
        return "dg2_hash_mismatch"
    if not mrz_check_digits_ok(mrz):
        return "mrz_check_digit"
    return None


def verify_dtc(data: bytes, signed_at: datetime, anchors: list[x509.Certificate],
               revoked: RevocationLists) -> str | None:
    """Why a DTC virtual component is refused, or None: a DTCContentInfo {version 1, dtcData {[1] DG1, [2] DG2},
    [1] security object}; the security object is checked like a SOD against the DG1 and DG2 the DTC carries,
    and the MRZ inside DG1 must have sound check digits. The reasons are verify_sod's (EXPECTED_REASONS)."""
    try:
        version, data_node, signer_node = asn1.parse(data).children()
        groups = {node.tag: node.contents for node in data_node.children()}
        if asn1.integer(version) != 1 or signer_node.tag != 0xA1 or 0x81 not in groups or 0x82 not in groups:
            return "malformed"
        (security_object,) = signer_node.children()
        dg1 = groups[0x81]
        mrz_text = _mrz_of_dg1(dg1)
    except (asn1.ASN1Error, ValueError):
        return "malformed"
    mrz = mrz_text[:44] + "\n" + mrz_text[44:] if len(mrz_text) == 88 else mrz_text
    return _verify_security_object(security_object.data, dg1, groups[0x82], mrz, signed_at, anchors, revoked)


def _mrz_of_dg1(dg1: bytes) -> str:
    """The MRZ characters of an EF.DG1 (tag 61 holding 5F1F); ASN1Error when it is not one."""
    if len(dg1) < 4 or dg1[0] != 0x61:
        raise asn1.ASN1Error("not an EF.DG1")
    inner = asn1.parse(b"\x30" + dg1[1:]).contents  # the outer length read as a SEQUENCE's
    if inner[:2] != b"\x5f\x1f":
        raise asn1.ASN1Error("DG1 does not hold an MRZ")
    body = asn1.parse(b"\x04" + inner[2:]).contents
    return body.decode("ascii")


def verify_crl(data: bytes, anchors: list[x509.Certificate]) -> tuple[str | None, x509.CertificateRevocationList | None,
                                                                      x509.Certificate | None]:
    """(reason or None, the CRL, its CSCA)."""
    try:
        crl = x509.load_der_x509_crl(data)
    except ValueError:
        return "malformed", None, None
    for anchor in anchors:
        if anchor.subject == crl.issuer and crl.is_signature_valid(anchor.public_key()):
            if crl.next_update_utc is None or crl.next_update_utc <= crl.last_update_utc:
                return "bad_update_times", crl, anchor
            return None, crl, anchor
    return "unknown_issuer", crl, None


def verify_master_list(data: bytes, anchors: list[x509.Certificate]) -> tuple[str | None, int]:
    """(reason or None, number of CSCA certificates listed)."""
    try:
        sd = open_signed_data(data)
    except (asn1.ASN1Error, ValueError):
        return "malformed", 0
    if sd.content_type != CSCA_MASTER_LIST:
        return "malformed", 0
    signer = sd.signer_certificate()
    if signer is None:
        return "no_signer_certificate", 0
    if issued_by(signer, anchors) is None:
        return "unknown_csca", 0
    if not sd.signature_valid(signer):
        return "bad_signature", 0
    try:
        _version, cert_set = asn1.parse(sd.content).children()
        listed = [x509.load_der_x509_certificate(n.data) for n in cert_set.children()]
    except (asn1.ASN1Error, ValueError):
        return "malformed", 0
    for cert in listed:
        # A link certificate is issued by the previous CSCA, which may be a trust anchor rather than listed.
        if issued_by(cert, listed + anchors) is None:
            return "unverifiable_listed_certificate", len(listed)
    return None, len(listed)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_COSE_HASHES = {-7: hashes.SHA256, -35: hashes.SHA384, -36: hashes.SHA512}


def verify_mdoc(data: bytes, anchors: list[x509.Certificate], at: datetime | None = None) -> str | None:
    """Why an ISO 18013-5 issuer-signed mdoc is refused, or None: the issuer certificate chains to an anchor,
    the COSE_Sign1 signature verifies, every item's digest is in the MSO, and `at` is inside its validity."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from . import cbor

    try:
        document = cbor.loads(data)
        signed = document["issuerSigned"]
        protected, unprotected, payload, signature = signed["issuerAuth"]
        header = cbor.loads(protected)
        issuer = x509.load_der_x509_certificate(unprotected[33])
        mso_tag = cbor.loads(payload)
        mso = cbor.loads(mso_tag.value)
        hash_type = _COSE_HASHES[header[1]]
        name_spaces = signed["nameSpaces"]
    except (cbor.CBORError, KeyError, TypeError, ValueError, AttributeError, IndexError):
        return "malformed"
    if not isinstance(mso_tag, cbor.Tagged) or mso_tag.number != 24 or mso.get("docType") != document.get("docType"):
        return "malformed"
    if issued_by(issuer, anchors) is None:
        return "unknown_issuer"
    half = len(signature) // 2
    to_sign = _cbor_signature1(protected, payload)
    try:
        issuer.public_key().verify(
            encode_dss_signature(int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")),
            to_sign, ec.ECDSA(hash_type()))
    except (InvalidSignature, TypeError, ValueError):
        return "bad_signature"
    digests = mso.get("valueDigests", {})
    for namespace, items in name_spaces.items():
        expected = digests.get(namespace, {})
        for item in items:
            if not isinstance(item, cbor.Tagged) or item.number != 24:
                return "malformed"
            encoded = _cbor_tag24(item.value)
            digest_id = cbor.loads(item.value).get("digestID")
            if expected.get(digest_id) != hashlib.sha256(encoded).digest():
                return "item_digest_mismatch"
    if at is not None:
        validity = mso.get("validityInfo", {})
        starts, ends = (_tdate(validity.get(k)) for k in ("validFrom", "validUntil"))
        if starts is None or ends is None or not starts <= at <= ends:
            return "outside_validity"
    if within(issuer, _tdate(mso.get("validityInfo", {}).get("signed")) or issuer.not_valid_before_utc) is not None:
        return "issuer_not_valid_when_signed"
    return None


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError("too large")


def _cbor_bytes(data: bytes) -> bytes:
    return _cbor_head(2, len(data)) + data


def _cbor_tag24(data: bytes) -> bytes:
    return b"\xd8\x18" + _cbor_bytes(data)


def _cbor_signature1(protected: bytes, payload: bytes) -> bytes:
    # Sig_structure = ["Signature1", body_protected, external_aad (empty), payload] (RFC 9052 4.4).
    return b"\x84" + b"\x6aSignature1" + _cbor_bytes(protected) + _cbor_bytes(b"") + _cbor_bytes(payload)


def _tdate(value) -> datetime | None:
    from . import cbor

    if isinstance(value, cbor.Tagged) and value.number == 0 and isinstance(value.value, str):
        try:
            return datetime.fromisoformat(value.value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None
