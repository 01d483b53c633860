"""The `pki` export: a tar.gz with one DER/PEM/CBOR file per travel-document object, which OpenSSL reads; private
keys only from test_private_key columns; another tenant gets 404; a dataset without objects gets 400."""

import base64
import hashlib
import io
import shutil
import subprocess
import tarfile

import orjson
import pytest
from django.core.management import call_command

from apps.exports.writers.pki import PKI_TYPES, object_files
from apps.generation.engine.types.test_private_key import TEST_KEY_MARK
from tests.conftest import assert_error_shape
from tests.documents.example import example

from .conftest import export_bytes

pytestmark = pytest.mark.django_db
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not installed")
BASE = "/api/v1/tenants/alpha"


def _spec(with_keys: bool = False) -> dict:
    doc = example(passports=12)
    doc["tables"]["countries"]["rows"] = 3
    doc["tables"]["driving_licences"]["rows"] = 6
    doc["tables"]["travel_credentials"]["rows"] = 6
    if with_keys:
        doc["tables"]["signers"]["columns"]["signer_key"] = {"type": "test_private_key", "certificate": "certificate"}
    return doc


@pytest.fixture
def pki(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], name="pki", spec=_spec())
    return dataset, make_version(dataset, users["owner"])


def _members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}


def _openssl(*args, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=60)


@needs_openssl
def test_the_api_exports_each_object_as_files_openssl_reads(pki, tenant_a, api_client_for, tmp_path,
                                                             django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    dataset, version = pki
    client = api_client_for(users["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/exports/", {"dataset": dataset.pk, "version": 1, "format": "pki"},
                               format="json")
    assert response.status_code == 202, response.content
    detail = client.get(f"{BASE}/exports/{response.json()['id']}/").json()
    assert detail["status"] == "succeeded" and detail["content_type"] == "application/gzip"
    assert "countries" not in detail["row_counts"] and detail["row_counts"]["passports"] == 12
    download = client.get(detail["download_url"])
    assert download["Content-Disposition"] == f'attachment; filename="pki-v1-pki-{detail["id"]}.tar.gz"'
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == detail["sha256"]
    files = _members(data)
    manifest = orjson.loads(files.pop("manifest.json"))
    assert manifest["format"] == "pki" and manifest["tables"]["passports"]["files"] == {"der": 12, "p7b": 12}
    assert not any("key" in name for name in files)  # no test_private_key column: no private key anywhere
    assert not any(b"PRIVATE KEY" in body for body in files.values())

    records = {r.table_name + str(r.row_index): r.data for r in version.records.all()}
    cscas = [records[k] for k in sorted(records) if k.startswith("cscas")]
    csca = cscas[0]
    stem = f"cscas/cscas-0000000-{csca['code']}-{csca['serial']}-certificate"
    assert files[f"{stem}.der"] == base64.b64decode(csca["certificate"])
    assert files[f"{stem}.pem"].startswith(b"-----BEGIN CERTIFICATE-----\n")
    for name, body in files.items():
        if name.endswith("-certificate.der") or name.endswith("-link.der"):
            done = _openssl("x509", "-inform", "DER", "-noout", "-subject", data=body)
            assert done.returncode == 0, (name, done.stderr)
        elif name.endswith("-certificate.pem"):
            assert _openssl("x509", "-noout", "-serial", data=body).returncode == 0, name
        elif name.endswith(".crl"):
            done = _openssl("crl", "-inform", "DER", "-noout", "-crlnumber", data=body)
            assert done.returncode == 0 and b"crlNumber" in done.stdout, (name, done.stderr)
        elif name.startswith("crls/") and name.endswith(".pem"):
            assert body.startswith(b"-----BEGIN X509 CRL-----")
            assert _openssl("crl", "-noout", data=body).returncode == 0, name
        elif name.endswith(".p7b"):
            assert body.startswith(b"-----BEGIN CMS-----")
            done = _openssl("cms", "-cmsout", "-inform", "PEM", "-print", "-noout", data=body)
            assert done.returncode == 0, (name, done.stderr)
        elif name.startswith(("passports/", "master_lists/")) and name.endswith(".der"):
            assert _openssl("cms", "-cmsout", "-inform", "DER", "-noout", data=body).returncode == 0, name
    assert sum(n.endswith(".cbor") for n in files) == 6
    assert sum(n.startswith("travel_credentials/") for n in files) == 12  # each DTC: .der and its .p7b
    ml = next(body for name, body in files.items() if name.startswith("master_lists/") and name.endswith(".p7b"))
    anchors = tmp_path / "cscas.pem"
    anchors.write_bytes(b"".join(files[n] for n in files if n.startswith("cscas/") and n.endswith("-certificate.pem")))
    done = _openssl("cms", "-verify", "-inform", "PEM", "-CAfile", str(anchors), "-purpose", "any", "-attime",
                    "1451606400", "-out", "/dev/null", data=ml)  # 2016-01-01, inside the signer's validity
    assert done.returncode == 0 and b"Verification successful" in done.stderr, done.stderr


def test_the_same_version_gives_the_same_archive_and_keys_only_when_asked(tenant_a, make_dataset, make_version,
                                                                         run_export):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], name="keys", spec=_spec(with_keys=True))
    version = make_version(dataset, users["owner"])
    first = run_export(tenant=tenant, actor=users["editor"], dataset=dataset, version=version, fmt="pki",
                       tables=["signers", "cscas"])
    again = run_export(tenant=tenant, actor=users["editor"], dataset=dataset, version=version, fmt="pki",
                       tables=["signers", "cscas"])
    assert first.sha256 == again.sha256 and first.tables == ["cscas", "signers"]
    files = _members(export_bytes(first))
    keys = {n: b for n, b in files.items() if n.endswith(".test-key.pem")}
    assert keys and all(n.startswith("signers/") for n in keys)
    assert all(b.startswith(TEST_KEY_MARK.encode()) and b"-----BEGIN PRIVATE KEY-----" in b for b in keys.values())
    assert not any(n.startswith("passports/") for n in files)


def test_a_dataset_without_objects_is_400_with_the_reason(tenant_a, make_dataset, make_version, pki,
                                                          api_client_for):
    tenant, users = tenant_a
    plain = make_dataset(tenant, users["owner"], name="plain")
    make_version(plain, users["owner"])
    client = api_client_for(users["editor"])
    response = client.post(f"{BASE}/exports/", {"dataset": plain.pk, "version": 1, "format": "pki"}, format="json")
    body = assert_error_shape(response, 400)
    assert "the pki format writes one file per travel-document object" in str(body)
    assert "format" in str(body)
    dataset, _ = pki
    response = client.post(f"{BASE}/exports/", {"dataset": dataset.pk, "version": 1, "format": "pki",
                                                "tables": ["countries"]}, format="json")
    assert_error_shape(response, 400)
    response = client.post(f"{BASE}/exports/", {"dataset": dataset.pk, "version": 1, "format": "pki",
                                                "options": {"inner_format": "csv"}}, format="json")
    assert "options.inner_format" in str(assert_error_shape(response, 400))
    from apps.exports.models import Export

    assert not Export.objects.exists()


def test_another_tenant_gets_404(pki, tenant_a, tenant_b, run_export, api_client_for):
    tenant, users = tenant_a
    dataset, version = pki
    export = run_export(tenant=tenant, actor=users["editor"], dataset=dataset, version=version, fmt="pki",
                        tables=["cscas"])
    other_tenant, other_users = tenant_b
    other = api_client_for(other_users["owner"])
    assert_error_shape(other.get(f"{BASE}/exports/{export.pk}/download/"), 404)
    assert_error_shape(other.get(f"/api/v1/tenants/{other_tenant.slug}/exports/{export.pk}/download/"), 404)
    response = other.post(f"/api/v1/tenants/{other_tenant.slug}/exports/",
                          {"dataset": dataset.pk, "version": 1, "format": "pki"}, format="json")
    assert_error_shape(response, 400)


def test_the_command_writes_a_pki_archive(pki, tmp_path, capsys):
    dataset, version = pki
    out = tmp_path / "objects.tar.gz"
    call_command("export_version", "--dataset", str(dataset.pk), "--version", "1", "--format", "pki",
                 "--out", str(out), "--tables", "crls")
    files = _members(out.read_bytes())
    assert {n.rsplit(".", 1)[1] for n in files if n != "manifest.json"} == {"crl", "pem"}
    assert "Wrote" in capsys.readouterr().out


def test_unreadable_values_make_no_file():
    assert object_files("x509_certificate", None) == [] and object_files("crl", "not base64!") == []
    assert object_files("dtc", base64.b64encode(b"\x30\x00").decode()) == [("der", b"\x30\x00")]
    assert set(PKI_TYPES) >= {"x509_certificate", "crl", "master_list", "sod", "dtc", "mdoc", "test_private_key"}
