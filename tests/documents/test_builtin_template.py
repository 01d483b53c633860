"""The built-in travel-documents template passes the validation report: every certificate, CRL, master list
and mdoc verifies, every passport is accepted or refused exactly as its scenario label says, and each scenario
is present at its rate. Its CRLs come per CSCA and period, and revoked_ds passports are refused because the
CRL in force when they were signed lists their signer."""

import base64
import shutil
import subprocess
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from apps.documents import verify
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
