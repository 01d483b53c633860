"""RSA-PSS document keys: CSCA, DS, CRL and master-list signatures with id-RSASSA-PSS, accepted by OpenSSL's CLI
and by the report (cryptography), negatives refused for their reason, the same seed giving the same bytes."""

import base64
import copy
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from apps.documents.report import build_report
from apps.generation.engine import validate_spec
from apps.generation.engine.pki import keys, rsa_pool
from apps.generation.engine.runtime import _RUNTIMES

from .example import example, make_plan, reader, table_rows

RSA = {"algorithm": "rsa", "bits": 2048, "padding": "pss"}
CERTIFICATE_TABLES = ("old_cscas", "cscas", "signers", "list_signers")
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not installed")


def rsa_example(passports: int = 250, bits: int = 2048) -> dict:
    doc = example(passports=passports)
    doc["tables"]["countries"]["rows"] = 4
    doc["tables"].pop("driving_licences")  # mdoc signs COSE ECDSA only (a problem with an RSA signer, below)
    for table in CERTIFICATE_TABLES:
        column = doc["tables"][table]["columns"]["certificate"]
        column.pop("curve", None)
        column["key"] = {**RSA, "bits": bits}
    return doc


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    the_plan = make_plan(rsa_example())
    tables = {t: table_rows(the_plan, t) for t in ("old_cscas", "cscas", "signers", "crls", "list_signers",
                                                   "master_lists", "passports")}
    folder = tmp_path_factory.mktemp("rsa")
    anchors = folder / "cscas.pem"
    anchors.write_bytes(b"".join(_pem(r["certificate"]) for r in tables["cscas"]))
    return the_plan, tables, folder, anchors


def _cert(text: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(text))


def _pem(text: str) -> bytes:
    return _cert(text).public_bytes(Encoding.PEM)


def _epoch(day: str, hour: int = 12) -> str:
    return str(int(datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC).timestamp()))


def _openssl(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)


def test_certificates_are_rsa_keys_signed_with_rsassa_pss(generated):
    _, tables, _, _ = generated
    for table in CERTIFICATE_TABLES:
        for row in tables[table]:
            cert = _cert(row["certificate"])
            assert isinstance(cert.public_key(), rsa.RSAPublicKey) and cert.public_key().key_size == 2048
            assert cert.signature_algorithm_oid == x509.oid.SignatureAlgorithmOID.RSASSA_PSS
            params = cert.signature_algorithm_parameters
            assert isinstance(params, padding.PSS)
    for row in tables["crls"]:
        crl = x509.load_der_x509_crl(base64.b64decode(row["crl"]))
        assert crl.signature_algorithm_oid == x509.oid.SignatureAlgorithmOID.RSASSA_PSS


@needs_openssl
def test_openssl_verifies_chains_crls_master_list_and_sods(generated):
    _, tables, folder, anchors = generated
    for row in tables["signers"] + tables["list_signers"]:
        path = folder / f"cert-{row['serial']}.pem"
        path.write_bytes(_pem(row["certificate"]))
        done = _openssl("verify", "-CAfile", str(anchors), "-attime", _epoch(row["valid_from"], 1), str(path))
        assert done.returncode == 0 and f"{path}: OK" in done.stdout, done.stderr
    by_id = {r["id"]: r for r in tables["cscas"]}
    for row in tables["crls"]:
        crl, issuer = folder / f"crl-{row['id']}.der", folder / f"issuer-{row['id']}.pem"
        crl.write_bytes(base64.b64decode(row["crl"]))
        issuer.write_bytes(_pem(by_id[row["csca"]]["certificate"]))
        done = _openssl("crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(issuer), "-noout", "-verify")
        assert "verify OK" in done.stdout + done.stderr, done.stderr
    (ml,) = tables["master_lists"]
    path = folder / "ml.der"
    path.write_bytes(base64.b64decode(ml["master_list"]))
    done = _openssl("cms", "-verify", "-inform", "DER", "-in", str(path), "-CAfile", str(anchors), "-purpose", "any",
                    "-attime", _epoch("2016-01-01"), "-out", str(folder / "ml.content"))
    assert done.returncode == 0 and "Verification successful" in done.stderr, done.stderr
    verdicts = {"valid": None, "tampered_dg1": None, "bad_mrz_check_digit": None,
                "expired_ds": "certificate has expired", "not_yet_valid_ds": "certificate is not yet valid",
                "broken_chain": "unable to get local issuer certificate",
                "wrong_signer": "CMS_SignerInfo_verify:verification failure"}
    seen = Counter()
    for row in tables["passports"]:
        label = row["scenario"]
        if label not in verdicts or seen[label] >= 2:
            continue
        seen[label] += 1
        path = folder / f"sod-{row['id']}.der"
        path.write_bytes(base64.b64decode(row["sod"]))
        done = _openssl("cms", "-verify", "-inform", "DER", "-in", str(path), "-CAfile", str(anchors), "-purpose",
                        "any", "-attime", _epoch(row["issue_date"]), "-out", str(folder / "lds.der"))
        if verdicts[label] is None:
            assert done.returncode == 0 and "Verification successful" in done.stderr, (label, done.stderr)
        else:
            assert done.returncode != 0 and verdicts[label] in done.stderr, (label, done.stderr)
    assert set(seen) == set(verdicts)


def test_the_report_accepts_positives_and_refuses_each_scenario_for_its_reason(generated):
    the_plan, tables, _, _ = generated
    report = build_report(the_plan.spec.doc, reader(the_plan))
    assert report["ok"], report
    assert report["certificates"]["valid"] == report["certificates"]["checked"] > 0
    assert report["crls"]["valid"] == len(tables["crls"]) and report["master_lists"]["valid"] == 1
    documents = report["documents"]
    assert documents["checked"] == len(tables["passports"]) and documents["mismatch_count"] == 0
    labels = Counter(r["scenario"] for r in tables["passports"])
    assert documents["accepted"] == labels["valid"] and len(labels) >= 6


def test_a_pss_signature_over_other_attributes_is_refused(generated):
    from apps.documents.verify import RevocationLists, verify_sod

    _, tables, _, _ = generated
    row = next(r for r in tables["passports"] if r["scenario"] == "valid")
    data = bytearray(base64.b64decode(row["sod"]))
    data[-5] ^= 0x01  # inside the RSA signature
    anchors = [_cert(r["certificate"]) for r in tables["cscas"]]
    signed_at = datetime.fromisoformat(row["issue_date"]).replace(hour=12, tzinfo=UTC)
    assert verify_sod(base64.b64decode(row["sod"]), row["mrz"], signed_at, anchors, RevocationLists()) is None
    assert verify_sod(bytes(data), row["mrz"], signed_at, anchors, RevocationLists()) == "bad_signature"


def test_same_seed_same_bytes_and_another_secret_other_keys():
    doc = rsa_example(passports=10)
    first = {t: table_rows(make_plan(doc), t) for t in ("cscas", "signers", "crls", "passports")}
    _RUNTIMES.clear()
    keys.private_key.cache_clear()
    rsa_pool.pool_key.cache_clear()
    again = {t: table_rows(make_plan(doc), t) for t in ("cscas", "signers", "crls", "passports")}
    assert first == again
    other = table_rows(make_plan(doc, secret=b"another tenant's secret"), "cscas")
    assert {_cert(r["certificate"]).public_key().public_numbers().n for r in other}.isdisjoint(
        {_cert(r["certificate"]).public_key().public_numbers().n for r in first["cscas"]})


def test_pool_keys_are_deterministic_and_a_scenario_key_is_never_the_rows_own():
    key = rsa_pool.pool_key(2048, b"s", 7, 0)
    assert key.key_size == 2048 and key.public_key().public_numbers().e == 65537
    rsa_pool.pool_key.cache_clear()
    assert rsa_pool.pool_key(2048, b"s", 7, 0).private_numbers() == key.private_numbers()
    for row in range(200):
        own = rsa_pool.pool_index(b"s", 7, "signers", "certificate", row)
        assert rsa_pool.pool_index(b"s", 7, "signers", "certificate", row, "wrong-signer") != own


def test_a_3072_bit_key_signs_too():
    doc = rsa_example(passports=4, bits=3072)
    doc["tables"]["countries"]["rows"] = 1
    the_plan = make_plan(doc)
    cert = _cert(table_rows(the_plan, "signers")[0]["certificate"])
    assert cert.public_key().key_size == 3072
    assert build_report(the_plan.spec.doc, reader(the_plan))["ok"]


def _problems(doc) -> list[str]:
    return [str(p) for p in validate_spec(doc)]


@pytest.mark.parametrize(("key", "expected"), [
    ({"algorithm": "rsa", "bits": 1024, "padding": "pss"},
     "tables.signers.columns.certificate.key.bits: must be one of 2048, 3072, got 1024"),
    ({"algorithm": "rsa", "bits": 2048}, "tables.signers.columns.certificate.key.padding: is required and must be pss"),
    ({"algorithm": "rsa", "bits": 2048, "padding": "pkcs1"},
     "tables.signers.columns.certificate.key.padding: is required and must be pss"),
    ({"algorithm": "dsa"}, "tables.signers.columns.certificate.key.algorithm: must be ec or rsa"),
    ({"algorithm": "ec", "curve": "P-192"}, "tables.signers.columns.certificate.key.curve: must be one of"),
    ({"algorithm": "rsa", "bits": 2048, "padding": "pss", "e": 3},
     "tables.signers.columns.certificate.key.e: unknown key for an rsa key"),
    ("rsa", "tables.signers.columns.certificate.key: must be a mapping {algorithm, ...}, got a string"),
])
def test_bad_keys_are_problems_at_their_paths(key, expected):
    doc = example()
    doc["tables"]["signers"]["columns"]["certificate"]["key"] = key
    doc["tables"]["signers"]["columns"]["certificate"].pop("curve")
    problems = _problems(doc)
    assert any(p.startswith(expected) for p in problems), problems


def test_curve_beside_key_and_an_rsa_mdoc_signer_are_problems():
    doc = example()
    doc["tables"]["signers"]["columns"]["certificate"]["key"] = dict(RSA)
    problems = _problems(doc)
    assert "tables.signers.columns.certificate.curve: give the curve inside key, not beside it" in problems
    doc["tables"]["signers"]["columns"]["certificate"].pop("curve")
    problems = _problems(doc)
    assert any(p.startswith("tables.driving_licences.columns.mdl.signer.certificate: column 'certificate' holds "
                            "RSA keys") for p in problems), problems
    doc = copy.deepcopy(doc)
    doc["tables"].pop("driving_licences")
    assert _problems(doc) == []


@pytest.mark.parametrize("params", [
    b"\x30\x04\xa0\x02\x30\x00",  # hashAlgorithm [0] holding an AlgorithmIdentifier without its OID
    b"\x30\x0f\xa1\x0d\x30\x0b\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08",  # MGF1 without its hash
])
def test_a_signer_info_with_truncated_pss_parameters_is_malformed_not_an_error(monkeypatch, params):
    from apps.documents.verify import RevocationLists, verify_sod
    from apps.generation.engine.pki import certificates, der, lds, signing

    key = rsa.generate_private_key(65537, 2048)
    name = certificates.Subject("UT", "Signer").name()
    signer = certificates.build("ds", name, key.public_key(), 7, datetime(2020, 1, 1, tzinfo=UTC),
                                datetime(2040, 1, 1, tzinfo=UTC), name, key)
    monkeypatch.setattr(signing, "algorithm_identifier",
                        lambda key, hash_type: der.sequence(der.oid(signing.ID_RSASSA_PSS), params))
    data = lds.sod(lds.dg1("P<UTO"), lds.portrait(1, "t", 0), signer, key, datetime(2024, 1, 1, tzinfo=UTC))
    assert verify_sod(data, "P<UTO", datetime(2024, 1, 1, tzinfo=UTC), [signer], RevocationLists()) == "malformed"
