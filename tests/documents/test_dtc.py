"""The `dtc` column type (ICAO DTC virtual component): positives verify with OpenSSL's CLI and with the report
(cryptography), each negative scenario is refused for its labelled reason, the same seed gives the same bytes."""

import base64
import copy
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.management import call_command

from apps.documents import asn1, verify
from apps.documents.models import DocumentReport
from apps.documents.report import build_report
from apps.generation.engine import validate_spec
from apps.generation.engine.pki import keys
from apps.generation.engine.runtime import _RUNTIMES

from .example import example, make_plan, reader, table_rows

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not installed")


@pytest.fixture(scope="module")
def generated():
    the_plan = make_plan(example(passports=10))
    return the_plan, {t: table_rows(the_plan, t) for t in ("cscas", "signers", "crls", "travel_credentials")}


def _noon(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def _anchors(tables) -> list[x509.Certificate]:
    return [x509.load_der_x509_certificate(base64.b64decode(r["certificate"])) for r in tables["cscas"]]


def _parts(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(DG1, DG2, the security object's DER) of a DTC."""
    version, groups, signer = asn1.parse(data).children()
    assert asn1.integer(version) == 1 and signer.tag == 0xA1
    dg1, dg2 = groups.children()
    assert (dg1.tag, dg2.tag) == (0x81, 0x82)
    return dg1.contents, dg2.contents, signer.children()[0].data


def test_a_dtc_carries_the_mrz_and_the_portrait_and_the_report_checks_each_label(generated):
    the_plan, tables = generated
    report = build_report(the_plan.spec.doc, reader(the_plan))
    assert report["ok"], report["dtcs"]
    dtcs = report["dtcs"]
    rows = tables["travel_credentials"]
    labels = Counter(r["scenario"] for r in rows)
    assert dtcs["checked"] == len(rows) and dtcs["mismatch_count"] == 0
    assert set(labels) == set(verify.EXPECTED_REASONS)  # every scenario is present in the example
    for label, count in labels.items():
        assert dtcs["scenarios"][label]["rejected_as_labelled"] == count
        assert dtcs["scenarios"][label]["expected_reason"] == verify.EXPECTED_REASONS[label]
    assert dtcs["accepted"] == labels["valid"]
    for row in rows[:5]:
        dg1, dg2, _ = _parts(base64.b64decode(row["dtc"]))
        assert row["mrz"].replace("\n", "").encode() in dg1 and dg2[:1] == b"\x75" and len(dg2) > 512


def test_changed_data_groups_or_signature_are_refused(generated):
    _, tables = generated
    anchors = _anchors(tables)
    row = next(r for r in tables["travel_credentials"] if r["scenario"] == "valid")
    data = base64.b64decode(row["dtc"])
    at = _noon(row["issue_date"])
    no_crls = verify.RevocationLists()
    assert verify.verify_dtc(data, at, anchors, no_crls) is None
    dg1, dg2, _ = _parts(data)
    other_name = dg1.replace(b"<<", b"<X", 1)
    assert verify.verify_dtc(data.replace(dg1, other_name), at, anchors, no_crls) == "dg1_hash_mismatch"
    assert verify.verify_dtc(data.replace(dg2, dg2[:-1] + bytes([dg2[-1] ^ 1])), at, anchors, no_crls) == \
        "dg2_hash_mismatch"
    broken = bytearray(data)
    broken[-3] ^= 0x01  # inside the signature
    assert verify.verify_dtc(bytes(broken), at, anchors, no_crls) == "bad_signature"
    assert verify.verify_dtc(b"\x30\x03\x02\x01\x02", at, anchors, no_crls) == "malformed"
    assert verify.verify_dtc(data[:-10], at, anchors, no_crls) == "malformed"
    assert verify.verify_dtc(data, at, [], no_crls) == "unknown_csca"


@needs_openssl
def test_openssl_verifies_positive_security_objects_and_refuses_the_signer_scenarios(generated, tmp_path):
    _, tables = generated
    anchors = tmp_path / "cscas.pem"
    anchors.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in _anchors(tables)))
    verdicts = {"valid": None, "tampered_dg1": None, "bad_mrz_check_digit": None,
                "expired_ds": "certificate has expired", "not_yet_valid_ds": "certificate is not yet valid",
                "broken_chain": "unable to get local issuer certificate",
                "wrong_signer": "CMS_SignerInfo_verify:verification failure"}
    seen = Counter()
    for row in tables["travel_credentials"]:
        label = row["scenario"]
        if label not in verdicts or seen[label] >= 3:
            continue
        seen[label] += 1
        _, _, security_object = _parts(base64.b64decode(row["dtc"]))
        path = tmp_path / f"dtc-{row['id']}.der"
        path.write_bytes(security_object)
        at = str(int(_noon(row["issue_date"]).timestamp()))
        done = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", str(path), "-CAfile",
                               str(anchors), "-purpose", "any", "-attime", at, "-out", str(tmp_path / "lds.der")],
                              capture_output=True, text=True, timeout=60)
        if verdicts[label] is None:
            assert done.returncode == 0 and "Verification successful" in done.stderr, (label, done.stderr)
        else:
            assert done.returncode != 0 and verdicts[label] in done.stderr, (label, done.stderr)
    assert set(seen) == set(verdicts)


def test_same_seed_same_bytes_and_chunking_does_not_matter():
    doc = example(passports=5)
    first = table_rows(make_plan(doc), "travel_credentials")
    _RUNTIMES.clear()
    keys.private_key.cache_clear()
    assert table_rows(make_plan(doc), "travel_credentials") == first
    _RUNTIMES.clear()
    assert table_rows(make_plan(doc, chunk_size=7), "travel_credentials") == first
    other = table_rows(make_plan(doc, seed=1234), "travel_credentials")
    assert [r["dtc"] for r in other] != [r["dtc"] for r in first]


def _problems(doc) -> list[str]:
    return [str(p) for p in validate_spec(doc)]


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda c: c.pop("signer"), "tables.travel_credentials.columns.dtc.signer: is required"),
    (lambda c: c.update(dg1="nope"), "tables.travel_credentials.columns.dtc.dg1: names unknown column 'nope'"),
    (lambda c: c.update(dg1="dtc"), "tables.travel_credentials.columns.dtc.dg1: cannot name the dtc column itself"),
    (lambda c: c.update(signer={"reference": "ds", "certificate": "serial"}),
     "tables.travel_credentials.columns.dtc.signer.certificate: table 'signers' has no x509_certificate column"),
    (lambda c: c.update(colour="blue"), "tables.travel_credentials.columns.dtc.colour"),
])
def test_bad_dtc_specs_are_problems_at_their_paths(edit, expected):
    doc = copy.deepcopy(example())
    edit(doc["tables"]["travel_credentials"]["columns"]["dtc"])
    problems = _problems(doc)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_dtc_signer_must_have_the_document_signer_profile():
    doc = copy.deepcopy(example())
    doc["tables"]["travel_credentials"]["columns"]["ds"]["table"] = "cscas"
    problems = _problems(doc)
    assert any(p.startswith("tables.travel_credentials.columns.dtc.signer.certificate: column 'certificate' holds "
                            "csca certificates; a signer here must be ds") for p in problems), problems


@pytest.mark.django_db
def test_validate_documents_counts_dtcs(tenant_a, make_dataset, make_version, capsys):
    tenant, users = tenant_a
    version = make_version(make_dataset(tenant, users["owner"], name="dtc", spec=example(passports=5)),
                           users["owner"])
    call_command("validate_documents", "--version", str(version.pk))
    out = capsys.readouterr().out
    assert "dtcs: 150 checked" in out and out.strip().endswith("OK")
    stored = DocumentReport.objects.get(version=version)
    assert stored.report["dtcs"]["checked"] == 150 and stored.report["dtcs"]["mismatch_count"] == 0
