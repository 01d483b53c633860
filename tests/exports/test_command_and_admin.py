"""`export_version`, the admin pages of exports and target connections."""

import io
import zipfile

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.models import AuditEvent
from apps.exports.models import TargetConnection

from .conftest import stored_rows

pytestmark = pytest.mark.django_db


def test_export_version_writes_the_file(rich, tmp_path):
    dataset, version = rich
    out = io.StringIO()
    call_command("export_version", "--dataset", str(dataset.pk), "--version", "1", "--format", "jsonl",
                 "--tables", "orders", "--out", str(tmp_path / "orders.jsonl"), stdout=out)
    rows = [orjson.loads(line) for line in (tmp_path / "orders.jsonl").read_bytes().splitlines()]
    assert rows == stored_rows(version, "orders")
    assert "orders.jsonl" in out.getvalue() and "sha256" in out.getvalue()
    call_command("export_version", "--dataset", str(dataset.pk), "--version", "1", "--format", "bundle",
                 "--inner-format", "sql", "--dialect", "sqlite", "--out", str(tmp_path / "b.zip"), stdout=out)
    manifest = orjson.loads(zipfile.ZipFile(tmp_path / "b.zip").read("manifest.json"))
    assert manifest["format"] == "sql" and manifest["files"][0]["dialect"] == "sqlite"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging file left
    assert AuditEvent.objects.filter(action="export.write").count() == 2


def test_export_version_reports_bad_input(rich, tmp_path):
    dataset, _ = rich
    with pytest.raises(CommandError, match="no version 7"):
        call_command("export_version", "--dataset", str(dataset.pk), "--version", "7", "--format", "csv",
                     "--out", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="tables.0"):
        call_command("export_version", "--dataset", str(dataset.pk), "--version", "1", "--format", "csv",
                     "--tables", "nope", "--out", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(username="root", email="root@example.com", password="pw")
    client.force_login(user)
    return client


def test_admin_lists_exports_and_downloads_through_the_service(rich, tenant_a, run_export, superuser_client):
    tenant, users = tenant_a
    export = run_export(tenant=tenant, actor=users["editor"], dataset=rich[0], version=rich[1], fmt="csv",
                        tables=["customers"])
    listing = superuser_client.get("/admin/exports/export/")
    assert listing.status_code == 200
    assert f"/admin/exports/export/{export.pk}/download/" in listing.content.decode()
    download = superuser_client.get(f"/admin/exports/export/{export.pk}/download/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="export.download").count() == 1
    assert superuser_client.get(f"/admin/exports/export/{export.pk}/change/").status_code == 200


def test_admin_target_password_is_write_only(tenant_a, superuser_client, settings):
    settings.SYNTHHUB_TARGET_ALLOWED_HOSTS = ["db"]
    tenant, users = tenant_a
    form = {"tenant": tenant.pk, "name": "ci", "host": "db", "port": 5432, "dbname": "shop_ci", "user": "app",
            "sslmode": "prefer", "password": "hunter2"}
    response = superuser_client.post("/admin/exports/targetconnection/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    target = TargetConnection.objects.get()
    assert target.has_password and "hunter2" not in target.password_encrypted
    page = superuser_client.get(f"/admin/exports/targetconnection/{target.pk}/change/").content.decode()
    assert "hunter2" not in page and target.password_encrypted not in page
    # Saving without a password keeps the stored one.
    edit = {**form, "password": "", "port": 6543}
    del edit["tenant"]
    assert superuser_client.post(f"/admin/exports/targetconnection/{target.pk}/change/", edit).status_code == 302
    target.refresh_from_db()
    assert target.port == 6543 and target.has_password
    assert AuditEvent.objects.filter(action__in=["target.create", "target.update"]).count() == 2


def test_admin_target_form_shows_the_target_rules_as_field_errors(tenant_a, superuser_client, settings):
    settings.SYNTHHUB_TARGET_ALLOWED_HOSTS = ["127.0.0.0/8"]
    tenant, users = tenant_a
    form = {"tenant": tenant.pk, "name": "ci", "host": "10.1.1.1", "port": 5432, "dbname": "shop", "user": "app",
            "sslmode": "prefer"}
    response = superuser_client.post("/admin/exports/targetconnection/add/", form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"dbname"} and not TargetConnection.objects.exists()
    response = superuser_client.post("/admin/exports/targetconnection/add/", {**form, "dbname": "shop_ci"})
    assert set(response.context["adminform"].form.errors) == {"host"} and not TargetConnection.objects.exists()
