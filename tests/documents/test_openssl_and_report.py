"""Every positive object of a generated example is accepted by OpenSSL's CLI and by the report (cryptography);
every negative scenario is refused by them for its labelled reason."""

import base64
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from apps.documents.report import build_report

from .example import example, make_plan, reader, table_rows

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not installed")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    the_plan = make_plan(example(passports=240))
    tables = {t: table_rows(the_plan, t) for t in ("old_cscas", "cscas", "signers", "crls", "list_signers",
                                                   "master_lists", "passports")}
    folder = tmp_path_factory.mktemp("pki")
    anchors = folder / "cscas.pem"
    anchors.write_bytes(b"".join(_pem(r["certificate"]) for r in tables["cscas"]))
    return the_plan, tables, folder, anchors


def _pem(text: str) -> bytes:
    return x509.load_der_x509_certificate(base64.b64decode(text)).public_bytes(Encoding.PEM)


def _epoch(day: str, hour: int = 12) -> str:
    return str(int(datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC).timestamp()))


def _openssl(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)


def test_openssl_verifies_every_certificate_chain(generated):
    _, tables, folder, anchors = generated
    for table in ("signers", "list_signers"):
        for row in tables[table]:
            path = folder / f"{table}-{row['id']}.pem"
            path.write_bytes(_pem(row["certificate"]))
            done = _openssl("verify", "-CAfile", str(anchors), "-attime", _epoch(row["valid_from"], 1), str(path))
            assert done.returncode == 0 and f"{path}: OK" in done.stdout, done.stderr
    for row in tables["cscas"]:
        path = folder / f"csca-{row['id']}.pem"
        path.write_bytes(_pem(row["certificate"]))
        assert _openssl("verify", "-CAfile", str(anchors), "-attime", _epoch(row["valid_from"], 1),
                        str(path)).returncode == 0


def test_openssl_verifies_each_link_certificate_with_the_previous_csca(generated):
    _, tables, folder, _ = generated
    old = {r["id"]: r for r in tables["old_cscas"]}
    for csca in tables["cscas"]:
        previous = folder / f"old-{csca['id']}.pem"
        previous.write_bytes(_pem(old[csca["previous"]]["certificate"]))
        link = folder / f"link-{csca['id']}.pem"
        link.write_bytes(_pem(csca["link"]))
        # ICAO rollover: the previous CSCA vouches for the new CSCA's key, which then becomes a trust anchor
        # (CSCA path length 0: a link is not an intermediate of document-signer chains).
        done = _openssl("verify", "-CAfile", str(previous), "-attime", _epoch(csca["valid_from"], 1), str(link))
        assert done.returncode == 0 and f"{link}: OK" in done.stdout, done.stderr
        new = x509.load_der_x509_certificate(base64.b64decode(csca["certificate"]))
        linked = x509.load_der_x509_certificate(base64.b64decode(csca["link"]))
        assert linked.public_key() == new.public_key() and linked.subject == new.subject
        other = folder / "other-old.pem"
        other.write_bytes(_pem(next(r for r in tables["old_cscas"] if r["id"] != csca["previous"])["certificate"]))
        refused = _openssl("verify", "-CAfile", str(other), "-attime", _epoch(csca["valid_from"], 1), str(link))
        assert refused.returncode != 0


def test_openssl_verifies_every_crl_and_master_list(generated):
    _, tables, folder, anchors = generated
    by_id = {r["id"]: r for r in tables["cscas"]}
    for row in tables["crls"]:
        crl, issuer = folder / f"crl-{row['id']}.der", folder / f"crl-issuer-{row['id']}.pem"
        crl.write_bytes(base64.b64decode(row["crl"]))
        issuer.write_bytes(_pem(by_id[row["csca"]]["certificate"]))
        done = _openssl("crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(issuer), "-noout", "-verify")
        assert "verify OK" in done.stdout + done.stderr, done.stderr
    revoked = [r for r in tables["signers"] if r["revoked_at"]]
    assert revoked, "the example revokes some document signers"
    listed = set()
    for row in tables["crls"]:
        listed |= {r.serial_number for r in x509.load_der_x509_crl(base64.b64decode(row["crl"]))}
    assert listed == {r["serial"] for r in revoked}
    (ml,) = tables["master_lists"]
    path = folder / "ml.der"
    path.write_bytes(base64.b64decode(ml["master_list"]))
    done = _openssl("cms", "-verify", "-inform", "DER", "-in", str(path), "-CAfile", str(anchors), "-purpose", "any",
                    "-attime", _epoch("2016-01-01"), "-out", str(folder / "ml.content"))
    assert done.returncode == 0 and "Verification successful" in done.stderr, done.stderr


# What OpenSSL's CMS verification says about each scenario's SOD. Tampered DG1 and a bad MRZ check digit are
# sound CMS signatures: only the LDS check (the report) refuses them.
OPENSSL_VERDICT = {
    "valid": None, "tampered_dg1": None, "bad_mrz_check_digit": None,
    "expired_ds": "certificate has expired", "not_yet_valid_ds": "certificate is not yet valid",
    "broken_chain": "unable to get local issuer certificate",
    "wrong_signer": "CMS_SignerInfo_verify:verification failure",
    "revoked_ds": "certificate revoked",
}


def test_openssl_accepts_positive_sods_and_refuses_each_scenario_for_its_reason(generated):
    _, tables, folder, anchors = generated
    crls = folder / "all-crls.pem"
    crls.write_bytes(b"".join(x509.load_der_x509_crl(base64.b64decode(r["crl"])).public_bytes(Encoding.PEM)
                              for r in tables["crls"] if r["number"] == max(c["number"] for c in tables["crls"]
                                                                             if c["csca"] == r["csca"])))
    seen = Counter()
    for row in tables["passports"]:
        label = row["scenario"]
        if seen[label] >= 4:
            continue
        seen[label] += 1
        path = folder / f"sod-{row['id']}.der"
        path.write_bytes(base64.b64decode(row["sod"]))
        args = ["cms", "-verify", "-inform", "DER", "-in", str(path), "-CAfile", str(anchors), "-purpose", "any",
                "-attime", _epoch(row["issue_date"]), "-out", str(folder / "lds.der")]
        if label == "revoked_ds":
            # The CA file may carry CRLs too: OpenSSL then checks the signer against its CSCA's CRL.
            with_crls = folder / "cscas-and-crls.pem"
            with_crls.write_bytes(anchors.read_bytes() + crls.read_bytes())
            args[args.index(str(anchors))] = str(with_crls)
            # CRLs are issued for periods that need not cover the issue date; only revocation is in question.
            at = args.index("-attime")
            args[at:at + 2] = ["-no_check_time"]
            args.append("-crl_check")
        done = _openssl(*args)
        if OPENSSL_VERDICT[label] is None:
            assert done.returncode == 0 and "Verification successful" in done.stderr, (label, done.stderr)
        else:
            assert done.returncode != 0 and OPENSSL_VERDICT[label] in done.stderr, (label, done.stderr)
    assert set(seen) == set(OPENSSL_VERDICT)


def test_the_report_accepts_every_positive_object_and_each_scenario_for_its_reason(generated):
    the_plan, tables, _, _ = generated
    report = build_report(the_plan.spec.doc, reader(the_plan))
    assert report["ok"], report
    assert report["certificates"]["valid"] == report["certificates"]["checked"] == \
        sum(len(tables[t]) for t in ("old_cscas", "cscas", "signers", "list_signers")) + len(tables["cscas"])
    assert report["crls"]["valid"] == len(tables["crls"])
    assert report["master_lists"]["certificates"] == 2 * len(tables["cscas"])  # each CSCA with its link
    assert report["mdocs"]["valid"] == report["mdocs"]["checked"] == the_plan.row_counts["driving_licences"]
    documents = report["documents"]
    assert documents["checked"] == len(tables["passports"]) and documents["mismatch_count"] == 0
    labels = Counter(r["scenario"] for r in tables["passports"])
    assert set(labels) == set(OPENSSL_VERDICT)
    for label, count in labels.items():
        assert documents["scenarios"][label]["rejected_as_labelled"] == count
    assert documents["accepted"] == labels["valid"]


def test_the_report_notices_a_document_that_does_not_match_its_label(generated):
    the_plan, tables, _, _ = generated
    passports = [dict(r) for r in tables["passports"]]
    valid = next(r for r in passports if r["scenario"] == "valid")
    valid["mrz"] = valid["mrz"].replace("<", "X", 1)  # the SOD no longer vouches for this MRZ
    expired = next(r for r in passports if r["scenario"] == "expired_ds")
    expired["scenario"] = "valid"

    def rows(table, columns):
        return passports if table == "passports" else table_rows(the_plan, table)

    report = build_report(the_plan.spec.doc, rows)
    documents = report["documents"]
    assert not report["ok"] and documents["mismatch_count"] == 2
    reasons = {(m["row"], m["scenario"], m["reason"]) for m in documents["mismatches"]}
    assert (passports.index(valid), "valid", "dg1_hash_mismatch") in reasons
    assert (passports.index(expired), "valid", "ds_expired") in reasons


def test_garbage_objects_are_refused_not_crashing(generated):
    the_plan, tables, _, _ = generated
    passports = [dict(r) for r in tables["passports"][:3]]
    passports[0]["sod"] = base64.b64encode(b"\x30\x03\x02\x01\x00").decode()
    passports[1]["sod"] = "not base64 at all!"
    passports[2]["sod"] = base64.b64encode(b"\x30\x80\x00\x00").decode()

    def rows(table, columns):
        return passports if table == "passports" else table_rows(the_plan, table)

    documents = build_report(the_plan.spec.doc, rows)["documents"]
    assert documents["checked"] == 2  # the text that is not base64 holds no document
    assert {m["reason"] for m in documents["mismatches"]} <= {"malformed"}


def test_mdocs_verify_and_a_changed_element_or_signature_is_refused(generated):
    from apps.documents.verify import verify_mdoc

    the_plan, _, _, _ = generated
    anchors = [x509.load_der_x509_certificate(base64.b64decode(r["certificate"]))
               for r in table_rows(the_plan, "cscas")]
    licences = table_rows(the_plan, "driving_licences")
    for row in licences:
        at = datetime.fromisoformat(row["issue_date"]).replace(hour=12, tzinfo=UTC)
        assert verify_mdoc(base64.b64decode(row["mdl"]), anchors, at) is None
    row = licences[0]
    data = bytearray(base64.b64decode(row["mdl"]))
    name = data.find(row["family_name"].encode())
    data[name] ^= 0x01
    assert verify_mdoc(bytes(data), anchors) == "item_digest_mismatch"
    from apps.documents import cbor

    data = bytearray(base64.b64decode(row["mdl"]))
    signature = cbor.loads(bytes(data))["issuerSigned"]["issuerAuth"][3]
    data[data.find(signature) + len(signature) - 1] ^= 0x01  # the last byte of the COSE signature
    assert verify_mdoc(bytes(data), anchors) == "bad_signature"
    assert verify_mdoc(base64.b64decode(row["mdl"]), anchors[:0]) == "unknown_issuer"
    expiry = datetime.fromisoformat(row["expiry_date"]).replace(tzinfo=UTC)
    assert verify_mdoc(base64.b64decode(row["mdl"]), anchors, expiry.replace(year=expiry.year + 1)) == \
        "outside_validity"
    assert verify_mdoc(b"\xa1\x01\x02", anchors) == "malformed"


def test_a_ds_is_refused_as_revoked_only_for_documents_signed_from_its_revocation(generated):
    from datetime import timedelta

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from apps.documents import verify

    _, tables, _, _ = generated
    anchors = [x509.load_der_x509_certificate(base64.b64decode(r["certificate"])) for r in tables["cscas"]]
    row = next(r for r in tables["passports"] if r["scenario"] == "valid")
    sod = base64.b64decode(row["sod"])
    signed_at = datetime.fromisoformat(row["issue_date"]).replace(hour=12, tzinfo=UTC)
    ds = verify.open_signed_data(sod).signer_certificate()
    csca = verify.issued_by(ds, anchors)
    key = ec.generate_private_key(ec.SECP256R1())  # RevocationLists holds CRLs already verified by the caller

    def lists(issued: datetime, revoked_at: datetime | None) -> verify.RevocationLists:
        builder = (x509.CertificateRevocationListBuilder().issuer_name(csca.subject).last_update(issued)
                   .next_update(issued + timedelta(days=30)).add_extension(x509.CRLNumber(1), critical=False))
        if revoked_at is not None:
            builder = builder.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(
                ds.serial_number).revocation_date(revoked_at).build())
        out = verify.RevocationLists()
        out.add(csca.subject.public_bytes(), builder.sign(key, hashes.SHA256()))
        return out

    assert verify.verify_sod(sod, row["mrz"], signed_at, anchors, verify.RevocationLists()) is None
    # Revoked after the signing: the passport stays valid.
    assert verify.verify_sod(sod, row["mrz"], signed_at, anchors,
                             lists(signed_at, signed_at + timedelta(days=1))) is None
    for at in (signed_at, signed_at - timedelta(days=1)):
        assert verify.verify_sod(sod, row["mrz"], signed_at, anchors, lists(signed_at, at)) == "ds_revoked"
    # The CRL in force at the signing is the one that counts: a CRL issued afterwards says nothing about it.
    later = lists(signed_at + timedelta(days=1), signed_at - timedelta(days=1))
    assert verify.verify_sod(sod, row["mrz"], signed_at, anchors, later) is None
