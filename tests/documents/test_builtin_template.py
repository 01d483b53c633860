"""The built-in travel-documents template passes the validation report: every certificate, CRL, master list
and mdoc verifies, every passport (and the DTC of half of them) is accepted or refused exactly as its scenario
label says, and each scenario is present at its rate. Its CRLs come per CSCA and period, and revoked_ds
passports and DTCs are refused because the CRL in force when they were signed lists their signer."""

import base64
import hashlib
import shutil
import subprocess
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from apps.documents import asn1, verify
from apps.documents.report import build_report
from apps.generation.engine import generate_chunk, plan
from apps.generation.engine.builtin_templates import load_template

REFERENCE_TIME = datetime(2025, 6, 1, 12, tzinfo=UTC)
SCENARIOS = {"valid", "expired_ds", "not_yet_valid_ds", "revoked_ds", "wrong_signer", "broken_chain", "tampered_dg1",
             "bad_mrz_check_digit"}


@cache
def _plan():
    return plan(load_template("travel-documents"), reference_time=REFERENCE_TIME, document_secret=b"tenant")


@cache
def _rows(table: str) -> tuple[dict, ...]:
    the_plan = _plan()
    return tuple(generate_chunk(the_plan, table, 0, the_plan.row_counts[table]).rows())


def _der(text: str) -> bytes:
    return base64.b64decode(text)


def _noon(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@cache
def _report() -> dict:
    return build_report(_plan().spec.doc, lambda table, columns: _rows(table))


def test_the_travel_documents_template_passes_the_validation_report():
    report = _report()
    assert report["ok"], report
    assert report["certificates"]["checked"] == report["certificates"]["valid"] > 300
    assert report["crls"]["checked"] == report["crls"]["valid"] == 80  # 8 per CSCA
    assert report["master_lists"]["valid"] == 10
    assert report["mdocs"]["checked"] == report["mdocs"]["valid"] == 1500
    documents = report["documents"]
    assert documents["checked"] == 2000 and documents["mismatch_count"] == 0
    dtcs = report["dtcs"]
    with_dtc = [p for p in _rows("passports") if p["has_dtc"]]
    assert 800 < dtcs["checked"] == len(with_dtc) < 1200 and dtcs["mismatch_count"] == 0
    assert dtcs["accepted"] == sum(p["scenario"] == "valid" for p in with_dtc)
    # Accepted passports include some whose document signer was revoked after it signed them.
    revoked = {r["ds_id"] for r in _rows("ds_certificates") if r["revoked_at"]}
    assert any(p["ds_id"] in revoked for p in _rows("passports") if p["scenario"] == "valid")


def test_every_scenario_is_present_at_its_rate_and_refused_for_its_reason():
    scenarios = _report()["documents"]["scenarios"]
    assert set(scenarios) == SCENARIOS
    weights = {"valid": 98.85, "expired_ds": 0.2, "not_yet_valid_ds": 0.2}
    for label, found in scenarios.items():
        assert found["rows"] >= 1 and found["rate_ok"] is True, (label, found)
        assert found["rejected_as_labelled"] == found["rows"], (label, found)
        assert found["declared_share"] == pytest.approx(weights.get(label, 0.15) / 100)
    assert scenarios["revoked_ds"]["expected_reason"] == "ds_revoked"


def _dtc_parts(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(DG1, DG2, the security object's DER) of a DTC virtual component."""
    version, groups, signer = asn1.parse(data).children()
    assert asn1.integer(version) == 1 and signer.tag == 0xA1
    dg1, dg2 = groups.children()
    assert (dg1.tag, dg2.tag) == (0x81, 0x82)
    return dg1.contents, dg2.contents, signer.children()[0].data


def test_half_of_the_passports_have_a_dtc_that_follows_the_passport():
    """A DTC exactly where has_dtc is set: the passport's printed MRZ and portrait (the SOD's DG2 hash), signed
    by the passport's DS on the issue date, refused for the passport's scenario."""
    passports = _rows("passports")
    signers = {r["ds_id"]: r for r in _rows("ds_certificates")}
    assert 0.4 < sum(p["has_dtc"] for p in passports) / len(passports) < 0.6
    scenarios = _report()["dtcs"]["scenarios"]
    labels = {p["scenario"] for p in passports if p["has_dtc"]}
    assert set(scenarios) == labels and {"valid", "revoked_ds"} < labels and len(labels) >= 5
    for label, found in scenarios.items():
        assert found["rate_ok"] is True and found["rejected_as_labelled"] == found["rows"], (label, found)
    for passport in passports:
        if not passport["has_dtc"]:
            assert passport["dtc"] is None and passport["dtc_signed_at"] is None
            continue
        assert passport["dtc_signed_at"] == passport["issue_date"]
        dg1, dg2, security_object = _dtc_parts(_der(passport["dtc"]))
        assert dg1 == verify.dg1_of(passport["printed_mrz"])
        sod = verify.open_signed_data(_der(passport["sod"]))
        dtc = verify.open_signed_data(security_object)
        assert verify.data_group_hashes(sod.content)[1][2] == hashlib.sha256(dg2).digest() \
            == verify.data_group_hashes(dtc.content)[1][2]
        assert verify.data_group_hashes(dtc.content)[1][1] == verify.data_group_hashes(sod.content)[1][1]
        # Same DS, same day, same data groups, deterministic signatures: the DTC's security object is the
        # passport's SOD byte for byte (the chip's data as the virtual component carries it).
        assert security_object == _der(passport["sod"])
        if passport["scenario"] in ("valid", "revoked_ds"):
            # The passport's DS certificate signs it.
            signer = dtc.signer_certificate()
            assert signer.public_bytes(Encoding.DER) == _der(signers[passport["ds_id"]]["certificate"])


def test_revoked_ds_dtcs_are_signed_after_a_crl_listed_their_signer_and_refused_for_it():
    signers = {r["ds_id"]: r for r in _rows("ds_certificates")}
    anchors = [x509.load_der_x509_certificate(_der(r["certificate"])) for r in _rows("csca_certificates")]
    lists = verify.RevocationLists()
    for row in _rows("crls"):
        crl = x509.load_der_x509_crl(_der(row["crl"]))
        lists.add(crl.issuer.public_bytes(), crl)
    revoked_ds = [p for p in _rows("passports") if p["scenario"] == "revoked_ds" and p["has_dtc"]]
    assert revoked_ds
    for passport in revoked_ds:
        signer = signers[passport["ds_id"]]
        assert signer["revocation_listed_from"] <= passport["dtc_signed_at"] <= signer["valid_to"]
        dtc, at = _der(passport["dtc"]), _noon(passport["dtc_signed_at"])
        assert verify.verify_dtc(dtc, at, anchors, lists) == "ds_revoked"
        assert verify.verify_dtc(dtc, at, anchors, verify.RevocationLists()) is None


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not installed")
def test_openssl_verifies_the_template_dtcs_security_objects(tmp_path):
    anchors = tmp_path / "cscas.pem"
    anchors.write_bytes(b"".join(x509.load_der_x509_certificate(_der(r["certificate"])).public_bytes(Encoding.PEM)
                                 for r in _rows("csca_certificates")))
    verdicts = {"valid": None, "revoked_ds": None, "bad_mrz_check_digit": None, "tampered_dg1": None,
                "expired_ds": "certificate has expired", "not_yet_valid_ds": "certificate is not yet valid",
                "broken_chain": "unable to get local issuer certificate",
                "wrong_signer": "CMS_SignerInfo_verify:verification failure"}
    seen: dict[str, int] = defaultdict(int)
    for passport in _rows("passports"):
        label = passport["scenario"]
        if not passport["has_dtc"] or seen[label] >= 3:
            continue
        seen[label] += 1
        path = tmp_path / f"dtc-{passport['passport_id']}.der"
        path.write_bytes(_dtc_parts(_der(passport["dtc"]))[2])
        at = str(int(_noon(passport["dtc_signed_at"]).timestamp()))
        done = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", str(path), "-CAfile",
                               str(anchors), "-purpose", "any", "-attime", at, "-out", str(tmp_path / "lds.der")],
                              capture_output=True, text=True, timeout=60)
        # OpenSSL checks no CRLs here: a revoked_ds security object is otherwise sound.
        if verdicts[label] is None:
            assert done.returncode == 0 and "Verification successful" in done.stderr, (label, done.stderr)
        else:
            assert done.returncode != 0 and verdicts[label] in done.stderr, (label, done.stderr)
    assert {"valid", "revoked_ds"} < set(seen) and len(seen) >= 5


def test_crls_come_per_csca_and_period_numbered_in_order():
    cscas = {r["csca_id"]: r for r in _rows("csca_certificates")}
    by_csca = defaultdict(list)
    for row in _rows("crls"):
        crl = x509.load_der_x509_crl(_der(row["crl"]))
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        assert number == row["crl_number"]
        assert crl.last_update_utc.date().isoformat() == row["this_update"]
        assert crl.next_update_utc.date().isoformat() == row["next_update"]
        by_csca[row["csca_id"]].append((number, crl))
    assert set(by_csca) == set(cscas)
    for csca_id, crls in by_csca.items():
        assert [n for n, _ in crls] == list(range(1, 9))
        # Each CRL is valid until the next is issued: the periods tile the CSCA's time in use up to now.
        assert crls[0][1].last_update_utc.date().isoformat() == cscas[csca_id]["valid_from"]
        for (_, crl), (_, following) in zip(crls, crls[1:], strict=False):
            assert crl.next_update_utc == following.last_update_utc > crl.last_update_utc
        assert crls[-1][1].last_update_utc <= REFERENCE_TIME < crls[-1][1].next_update_utc
        # A CRL lists every DS of its CSCA revoked by its issue, and no other.
        signers = [r for r in _rows("ds_certificates") if r["csca_id"] == csca_id]
        for _, crl in crls:
            expected = {s["serial_number"] for s in signers
                        if s["revoked_at"] and _noon(s["revoked_at"]).date() <= crl.last_update_utc.date()}
            assert {entry.serial_number for entry in crl} == expected
    revoked = [r for r in _rows("ds_certificates") if r["revoked_at"]]
    assert 0.05 < len(revoked) / len(_rows("ds_certificates")) < 0.35
    for signer in revoked:
        # Listed from the first CRL issued on or after the revocation.
        first = by_csca[signer["csca_id"]][signer["revocation_crl_number"] - 1][1]
        assert first.last_update_utc.date().isoformat() == signer["revocation_listed_from"] >= signer["revoked_at"]
        assert signer["serial_number"] in {e.serial_number for e in first}
        if signer["revocation_crl_number"] > 1:
            before = by_csca[signer["csca_id"]][signer["revocation_crl_number"] - 2][1]
            assert signer["serial_number"] not in {e.serial_number for e in before}


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not installed")
def test_openssl_verifies_every_crl_of_the_template(tmp_path):
    cscas = {r["csca_id"]: r for r in _rows("csca_certificates")}
    for row in _rows("crls"):
        crl, issuer = tmp_path / f"crl-{row['crl_id']}.der", tmp_path / f"csca-{row['csca_id']}.pem"
        crl.write_bytes(_der(row["crl"]))
        issuer.write_bytes(x509.load_der_x509_certificate(_der(cscas[row["csca_id"]]["certificate"]))
                           .public_bytes(Encoding.PEM))
        done = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(issuer), "-noout",
                               "-verify"], capture_output=True, text=True, timeout=60)
        assert "verify OK" in done.stdout + done.stderr, done.stderr
    other = next(r for r in _rows("crls") if r["csca_id"] != 1)
    crl = tmp_path / "other.der"
    crl.write_bytes(_der(other["crl"]))
    done = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(crl), "-CAfile",
                           str(tmp_path / "csca-1.pem"), "-noout", "-verify"], capture_output=True, text=True,
                          timeout=60)
    assert "verify OK" not in done.stdout + done.stderr


def test_revoked_ds_passports_are_signed_after_a_crl_listed_their_signer_and_refused_for_it():
    signers = {r["ds_id"]: r for r in _rows("ds_certificates")}
    anchors = [x509.load_der_x509_certificate(_der(r["certificate"])) for r in _rows("csca_certificates")]
    lists = verify.RevocationLists()
    for row in _rows("crls"):
        crl = x509.load_der_x509_crl(_der(row["crl"]))
        lists.add(crl.issuer.public_bytes(), crl)
    revoked_ds = [p for p in _rows("passports") if p["scenario"] == "revoked_ds"]
    assert revoked_ds
    for passport in revoked_ds:
        signer = signers[passport["ds_id"]]
        assert signer["revoked_at"] and signer["revocation_listed_from"] <= passport["issue_date"] <= signer["valid_to"]
        sod, mrz, at = _der(passport["sod"]), passport["printed_mrz"], _noon(passport["issue_date"])
        assert verify.verify_sod(sod, mrz, at, anchors, lists) == "ds_revoked"
        # Everything else about it holds: without the CRLs, or with only those issued before the revocation,
        # the same SOD is accepted.
        assert verify.verify_sod(sod, mrz, at, anchors, verify.RevocationLists()) is None
        earlier = verify.RevocationLists()
        for row in _rows("crls"):
            if row["csca_id"] == signer["csca_id"] and row["crl_number"] < signer["revocation_crl_number"]:
                crl = x509.load_der_x509_crl(_der(row["crl"]))
                earlier.add(crl.issuer.public_bytes(), crl)
        assert verify.verify_sod(sod, mrz, at, anchors, earlier) is None
    # Positive passports: signed by a DS valid and not revoked on the issue date.
    for passport in _rows("passports"):
        if passport["scenario"] != "valid":
            continue
        signer = signers[passport["ds_id"]]
        assert signer["valid_from"] <= passport["issue_date"] <= signer["key_usage_end"]
        assert not signer["revoked_at"] or passport["issue_date"] < signer["revoked_at"]


def test_the_crl_in_force_is_the_latest_issued_by_the_signing_time():
    lists = verify.RevocationLists()
    crls = {int(r["crl_number"]): x509.load_der_x509_crl(_der(r["crl"])) for r in _rows("crls") if r["csca_id"] == 1}
    for crl in reversed(list(crls.values())):  # added out of order
        lists.add(crls[1].issuer.public_bytes(), crl)
    subject = crls[1].issuer.public_bytes()
    assert lists.in_force(subject, crls[1].last_update_utc - timedelta(seconds=1)) is None
    for number, crl in crls.items():
        entries = lists.in_force(subject, crl.last_update_utc + timedelta(hours=1))
        assert set(entries) == {e.serial_number for e in crl}, number
    assert set(lists.in_force(subject, REFERENCE_TIME + timedelta(days=3650))) == {e.serial_number for e in crls[8]}
    assert lists.in_force(b"another CSCA", REFERENCE_TIME) is None
