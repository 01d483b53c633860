"""Document column types in the engine: spec problems with paths, same inputs same bytes, chunk invariance,
keys that depend on the tenant secret."""

import base64
import copy

import pytest
from cryptography import x509

from apps.generation.engine import generate_chunk, validate_spec
from apps.generation.engine.pki import keys
from apps.generation.engine.runtime import _RUNTIMES

from .example import example, make_plan, table_rows


def _problems(doc) -> list[str]:
    return [str(p) for p in validate_spec(doc)]


def _column(doc, table, column, edit):
    doc = copy.deepcopy(doc)
    edit(doc["tables"][table]["columns"][column])
    return doc


def test_the_example_spec_is_valid():
    assert _problems(example()) == []


@pytest.mark.parametrize(("table", "column", "edit", "expected"), [
    ("cscas", "certificate", lambda c: c.update(curve="P-192"),
     "tables.cscas.columns.certificate.curve: must be one of P-256, P-384, P-521, brainpoolP256r1"),
    ("cscas", "certificate", lambda c: c.update(role="root"), "tables.cscas.columns.certificate.role: must be one of"),
    ("cscas", "certificate", lambda c: c.update(issuer={"reference": "country", "certificate": "code"}),
     "tables.cscas.columns.certificate.issuer: a csca certificate is self-signed and takes no issuer"),
    ("signers", "certificate", lambda c: c.pop("issuer"), "tables.signers.columns.certificate.issuer: is required"),
    ("signers", "certificate", lambda c: c.update(serial="nope"),
     "tables.signers.columns.certificate.serial: names unknown column 'nope'"),
    ("signers", "certificate", lambda c: c.update(issuer={"reference": "code", "certificate": "certificate"}),
     "tables.signers.columns.certificate.issuer.reference: column 'code' must be a reference column"),
    ("signers", "certificate", lambda c: c.update(issuer={"reference": "csca", "certificate": "serial"}),
     "tables.signers.columns.certificate.issuer.certificate: table 'cscas' has no x509_certificate column 'serial'"),
    ("passports", "sod", lambda c: c.update(signer={"reference": "ds", "certificate": 5}),
     "tables.passports.columns.sod.signer.certificate: must be a column name, got an integer"),
    ("passports", "sod", lambda c: c.pop("signed_at"), "tables.passports.columns.sod.signed_at: is required"),
    ("passports", "sod", lambda c: c.update(dg1="sod"), "tables.passports.columns.sod.dg1: cannot name the sod column"),
    ("passports", "mrz", lambda c: c.pop("scenario"), "tables.passports.columns.mrz.scenario: is required"),
    ("crls", "crl", lambda c: c["revocations"].update(table="passports"),
     "tables.crls.columns.crl.revocations.table: table 'passports' must be declared rows: {per: <reference to"),
    ("crls", "crl", lambda c: c["revocations"].update(serial="nope"),
     "tables.crls.columns.crl.revocations.serial: table 'signers' has no column 'nope'"),
    ("crls", "crl", lambda c: c.update(revocations=[1]),
     "tables.crls.columns.crl.revocations: must be a mapping {table, serial, revoked_at}, got a list"),
    ("master_lists", "master_list", lambda c: c.update(per_list=21),
     "tables.master_lists.columns.master_list.per_list"),
    ("master_lists", "master_list", lambda c: c["certificates"].update(column="serial"),
     "tables.master_lists.columns.master_list.certificates.column: table 'cscas' has no csca x509_certificate"),
])
def test_bad_document_specs_are_problems_at_their_paths(table, column, edit, expected):
    problems = _problems(_column(example(), table, column, edit))
    assert any(p.startswith(expected) for p in problems), problems


def test_a_sod_signer_must_be_a_document_signer():
    doc = _column(example(), "passports", "sod",
                  lambda c: c.update(signer={"reference": "ds", "certificate": "certificate"}))
    doc["tables"]["passports"]["columns"]["ds"]["table"] = "cscas"
    problems = _problems(doc)
    assert any("holds csca certificates; a signer here must be ds" in p for p in problems), problems


def _fresh():
    _RUNTIMES.clear()
    keys.private_key.cache_clear()


def test_same_seed_and_secret_give_the_same_bytes():
    doc = example(passports=60)
    first = {t: table_rows(make_plan(doc), t) for t in ("old_cscas", "cscas", "signers", "crls", "master_lists",
                                                        "passports", "driving_licences")}
    _fresh()
    again = {t: table_rows(make_plan(doc), t) for t in first}
    assert first == again
    other_secret = table_rows(make_plan(doc, secret=b"another tenant"), "cscas")
    assert [r["certificate"] for r in other_secret] != [r["certificate"] for r in first["cscas"]]
    # Same subject and serial, another key: the tenant secret is what tells them apart.
    assert [r["serial"] for r in other_secret] == [r["serial"] for r in first["cscas"]]


def test_certificates_follow_their_columns():
    the_plan = make_plan(example(passports=10))
    csca = table_rows(the_plan, "cscas")[0]
    cert = x509.load_der_x509_certificate(base64.b64decode(csca["certificate"]))
    assert cert.serial_number == csca["serial"]
    assert cert.not_valid_before_utc.date().isoformat() == csca["valid_from"]
    assert cert.not_valid_after_utc.date().isoformat() == csca["valid_to"]
    assert cert.subject == cert.issuer
    assert cert.subject.rfc4514_string() == f"CN=CSCA {csca['code']} 2,O=CSCA {csca['code']} 2,C={csca['code']}"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


@pytest.mark.parametrize("size", [1, 7, 1000, None])
def test_documents_do_not_depend_on_chunking(size):
    doc = example(passports=120)
    whole = table_rows(make_plan(doc), "passports")
    _fresh()
    the_plan = make_plan(doc)
    count = the_plan.row_counts["passports"]
    step = size or count
    rows = []
    for start in range(0, count, step):
        rows.extend(generate_chunk(the_plan, "passports", start, min(start + step, count)).rows())
    assert rows == whole
    crls = table_rows(the_plan, "crls")
    _fresh()
    the_plan = make_plan(doc)
    parts = [r for start in range(0, the_plan.row_counts["crls"], 5)
             for r in generate_chunk(the_plan, "crls", start, min(start + 5, the_plan.row_counts["crls"])).rows()]
    assert parts == crls


def test_a_null_subject_column_gives_a_null_certificate():
    doc = example(passports=5)
    doc["tables"]["cscas"]["columns"]["serial"]["null_ratio"] = 1.0
    doc["tables"]["cscas"]["columns"]["link_serial"]["null_ratio"] = 1.0
    rows = table_rows(make_plan(doc), "cscas")
    assert all(r["certificate"] is None and r["link"] is None for r in rows)
    # Their signers have no issuer certificate: no certificate either, and no SOD for their passports.
    the_plan = make_plan(doc)
    assert all(r["certificate"] is None for r in table_rows(the_plan, "signers"))
    assert all(r["sod"] is None for r in table_rows(the_plan, "passports"))


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda c: c.pop("items"), "tables.driving_licences.columns.mdl.items: is required"),
    (lambda c: c.update(items={"Family Name": "family_name"}),
     "tables.driving_licences.columns.mdl.items: element identifier 'Family Name' must be 1-64 characters"),
    (lambda c: c.update(items={"family_name": "nope"}),
     "tables.driving_licences.columns.mdl.items.family_name: names unknown column 'nope'"),
    (lambda c: c.update(items={f"e{i}": "family_name" for i in range(51)}),
     "tables.driving_licences.columns.mdl.items: has 51 elements, more than 50"),
    (lambda c: c.update(signer={"reference": "issuer", "certificate": "serial"}),
     "tables.driving_licences.columns.mdl.signer.certificate: table 'signers' has no x509_certificate column"),
])
def test_bad_mdoc_specs_are_problems_at_their_paths(edit, expected):
    problems = _problems(_column(example(), "driving_licences", "mdl", edit))
    assert any(p.startswith(expected) for p in problems), problems


def test_private_keys_appear_only_where_asked_and_marked_as_test_keys():
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from apps.generation.engine.types.test_private_key import TEST_KEY_MARK

    plain = example(passports=3)
    for table in ("cscas", "signers"):
        assert not any("PRIVATE KEY" in str(v) for row in table_rows(make_plan(plain), table) for v in row.values())
    doc = example(passports=3)
    doc["tables"]["cscas"]["columns"]["csca_key"] = {"type": "test_private_key", "certificate": "certificate"}
    doc["tables"]["cscas"]["columns"]["link_key"] = {"type": "test_private_key", "certificate": "link"}
    for row in table_rows(make_plan(doc), "cscas"):
        assert row["csca_key"].startswith(TEST_KEY_MARK) and row["link_key"] == row["csca_key"]
        key = load_pem_private_key(row["csca_key"][len(TEST_KEY_MARK):].encode(), None)
        cert = x509.load_der_x509_certificate(base64.b64decode(row["certificate"]))
        assert key.public_key() == cert.public_key()
    doc["tables"]["cscas"]["columns"]["csca_key"]["certificate"] = "serial"
    assert "tables.cscas.columns.csca_key.certificate: column 'serial' must be an x509_certificate column" in \
        _problems(doc)


def _with_withdrawals(doc: dict, per_table: str = "signers", per_column: str = "signer") -> dict:
    """The example with its CRLs reading revocations from `withdrawals`, one row per document signer."""
    doc = copy.deepcopy(doc)
    doc["tables"]["withdrawals"] = {
        "rows": {"per": per_column, "min": 1, "max": 1}, "primary_key": "id",
        "columns": {"id": {"type": "sequence"}, per_column: {"type": "reference", "table": per_table},
                    "serial": {"type": "lookup", "reference": per_column, "column": "serial"},
                    "revoked_at": {"type": "lookup", "reference": per_column, "column": "revoked_at"}}}
    doc["tables"]["crls"]["columns"]["crl"]["revocations"] = {"table": "withdrawals", "serial": "serial",
                                                               "revoked_at": "revoked_at"}
    return doc


def test_crl_revocations_may_come_from_a_table_per_document_signer():
    direct = table_rows(make_plan(example(passports=1)), "crls")
    through = table_rows(make_plan(_with_withdrawals(example(passports=1))), "crls")
    # The same revocations, read one level further down: the same CRLs, byte for byte.
    assert [r["crl"] for r in through] == [r["crl"] for r in direct]
    assert any(len(x509.load_der_x509_crl(base64.b64decode(r["crl"]))) for r in through)


def test_crl_revocations_three_levels_below_the_csca_are_a_problem():
    doc = _with_withdrawals(example(passports=1))
    late = _with_withdrawals(doc, per_table="withdrawals", per_column="withdrawal")["tables"]["withdrawals"]
    late["columns"]["serial"] = {"type": "lookup", "reference": "withdrawal", "column": "serial"}
    late["columns"]["revoked_at"] = {"type": "lookup", "reference": "withdrawal", "column": "revoked_at"}
    doc["tables"]["late_withdrawals"] = late
    doc["tables"]["crls"]["columns"]["crl"]["revocations"]["table"] = "late_withdrawals"
    assert any(p.startswith("tables.crls.columns.crl.revocations.table: table 'late_withdrawals' must be declared "
                            "rows: {per: <reference to 'cscas'>} (or per a table that is)") for p in _problems(doc))
