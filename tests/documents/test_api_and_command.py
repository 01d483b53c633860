"""The documents report of a stored version: `validate_documents`, the API route under the version."""

import pytest
from django.core.management import CommandError, call_command

from apps.documents.models import DocumentReport
from tests.conftest import assert_error_shape

from .example import example


@pytest.fixture
def pki_version(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], name="pki", spec=example(passports=80))
    return make_version(dataset, users["owner"])


def _url(tenant, version):
    return f"/api/v1/tenants/{tenant.slug}/datasets/{version.dataset_id}/versions/{version.number}/documents-report/"


def test_the_command_validates_a_version_and_keeps_the_report(pki_version, capsys):
    call_command("validate_documents", "--version", str(pki_version.pk))
    out = capsys.readouterr().out
    assert "documents: 80 checked" in out and "0 not as labelled" in out and out.strip().endswith("OK")
    stored = DocumentReport.objects.get(version=pki_version)
    assert stored.ok and stored.report["documents"]["checked"] == 80
    assert stored.report["crls"]["valid"] == stored.report["crls"]["checked"] > 0


def test_the_command_refuses_unknown_versions_and_versions_without_documents(make_version, make_dataset, tenant_a):
    tenant, users = tenant_a
    with pytest.raises(CommandError, match="no version with id 999999"):
        call_command("validate_documents", "--version", "999999")
    plain = make_version(make_dataset(tenant, users["owner"]), users["owner"])
    with pytest.raises(CommandError, match="has no document columns"):
        call_command("validate_documents", "--version", str(plain.pk))
    assert not DocumentReport.objects.exists()


def test_a_tampered_stored_record_fails_the_report(pki_version, capsys):
    record = pki_version.records.filter(table_name="passports", data__scenario="valid").order_by("row_index").first()
    record.data["mrz"] = record.data["mrz"].replace("<", "K", 1)
    record.save(update_fields=["data"])
    with pytest.raises(CommandError, match="did not validate"):
        call_command("validate_documents", "--version", str(pki_version.pk))
    stored = DocumentReport.objects.get(version=pki_version)
    assert not stored.ok
    assert stored.report["documents"]["mismatches"][0] == {
        "table": "passports", "row": record.row_index, "scenario": "valid", "reason": "dg1_hash_mismatch",
        "expected": None}


def test_the_api_validates_and_shows_the_report(pki_version, tenant_a, tenant_b, api_client_for):
    tenant, users = tenant_a
    url = _url(tenant, pki_version)
    editor, viewer = api_client_for(users["editor"]), api_client_for(users["viewer"])
    assert_error_shape(viewer.get(url), 404)
    assert_error_shape(viewer.post(url), 403)
    created = editor.post(url)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["version"] == pki_version.number and body["ok"] is True
    assert body["report"]["documents"]["checked"] == 80
    shown = viewer.get(url)
    assert shown.status_code == 200 and shown.json()["report"] == body["report"]
    outsider = api_client_for(tenant_b[1]["owner"])
    assert_error_shape(outsider.get(url), 404)
    other_url = f"/api/v1/tenants/{tenant_b[0].slug}/datasets/{pki_version.dataset_id}/versions/1/documents-report/"
    assert_error_shape(outsider.get(other_url), 404)
    assert_error_shape(outsider.post(other_url), 404)


def test_the_api_refuses_a_version_without_documents(tenant_a, make_dataset, make_version, api_client_for):
    tenant, users = tenant_a
    plain = make_version(make_dataset(tenant, users["owner"]), users["owner"])
    response = api_client_for(users["editor"]).post(_url(tenant, plain))
    assert_error_shape(response, 400, paths={"version"})
    assert not DocumentReport.objects.exists()


def test_the_console_shows_the_report_to_members_only(pki_version, tenant_a, tenant_b, client):
    call_command("validate_documents", "--version", str(pki_version.pk))
    stored = DocumentReport.objects.get(version=pki_version)
    url = f"/console/documents/documentreport/{stored.pk}/change/"
    client.force_login(tenant_a[1]["viewer"])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "<code>revoked_ds</code>" in text and "ds_revoked" in text and "85 of 85 verified" in text
    listing = client.get("/console/documents/documentreport/")
    assert listing.status_code == 200 and str(pki_version) in listing.content.decode()
    client.force_login(tenant_b[1]["owner"])
    assert client.get(url).status_code == 404
