"""Uploading samples: what is taken, every bad upload refused with its reason and nothing left behind."""

import io
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings

from apps.audit.models import AuditEvent
from apps.profiling.models import Sample
from tests.conftest import assert_error_shape

from .conftest import customers_csv


def _stored_files() -> list[str]:
    root = os.path.join(settings.MEDIA_ROOT, "samples")
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_a_csv_upload_makes_a_sample_with_a_file_whose_name_reveals_nothing(tenant_a, upload):
    tenant, users = tenant_a
    response = upload(users["editor"], customers_csv(50), filename="alpha-customers-secret.csv")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["row_count"] == 50 and body["format"] == "csv" and body["table_name"] == "customers"
    assert body["columns"][:3] == ["id", "first_name", "email"]
    sample = Sample.objects.get(pk=body["id"])
    stored = os.path.basename(sample.file.name)
    assert "customers" not in stored and "alpha" not in stored and "secret" not in stored and len(stored) == 32
    assert AuditEvent.objects.filter(action="sample.create", target_id=str(sample.pk)).exists()


def test_json_lines_and_parquet_uploads(tenant_a, upload):
    _, users = tenant_a
    lines = b'{"id": 1, "name": "a", "score": 1.5}\n{"id": 2, "name": "b", "score": null}\n'
    response = upload(users["editor"], lines, filename="t.jsonl", table_name="scores")
    assert response.status_code == 201, response.content
    assert response.json()["row_count"] == 2
    parquet = _parquet_bytes(pa.table({"id": [1, 2, 3], "when": pa.array([1, 2, 3], pa.timestamp("s"))}))
    response = upload(users["editor"], parquet, filename="t.parquet", table_name="events")
    assert response.status_code == 201, response.content
    assert response.json()["format"] == "parquet" and response.json()["row_count"] == 3


BAD_UPLOADS = [
    ("wrong type", b"\x89PNG\r\n\x1a\n....", "picture.png", {}, "file", "is not a CSV"),
    ("parquet in name only", b"id,name\n1,a\n", "t.parquet", {}, "file", "is not a Parquet file"),
    ("unknown format field", b"id,name\n1,a\n", "t.csv", {"format": "xlsx"}, "format", ""),
    ("broken CSV", b'id,name\n1,"a\n2,b\n', "t.csv", {}, "file", "broken CSV"),
    ("ragged CSV", b"id,name\n1,a\n2,b,c,d\n", "t.csv", {}, "file", "broken CSV"),
    ("non-UTF-8", "id,name\n1,Müller\n".encode("latin-1"), "t.csv", {}, "file", "not UTF-8"),
    ("empty", b"", "t.csv", {}, "file", ""),
    ("header only", b"id,name\n", "t.csv", {}, "file", "no rows"),
    ("one column", b"id\n1\n2\n", "t.csv", {}, "file", "at least 2"),
    ("10,000 columns", (",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n").encode(),
     "t.csv", {}, "file", "at most 500"),
    ("duplicate column names", b"id,id\n1,2\n", "t.csv", {}, "file", "repeats"),
    ("JSON line not an object", b"[1, 2]\n", "t.jsonl", {}, "file", "not a JSON object"),
    ("JSON line broken", b'{"a": 1, "b": 2}\n{"a": \n', "t.jsonl", {}, "file", "line 2"),
    ("JSON line with new fields", b'{"a": 1, "b": 2}\n{"a": 1, "z": 2}\n', "t.jsonl", {}, "file", "line 2"),
    ("NUL in text", b"id,name\n1,a\x00b\n", "t.csv", {}, "file", "NUL"),
    ("bad table name", b"id,name\n1,a\n", "t.csv", {"table_name": "drop table;"}, "table_name", ""),
]


@pytest.mark.parametrize(("label", "content", "filename", "extra", "path", "reason"), BAD_UPLOADS,
                         ids=[case[0] for case in BAD_UPLOADS])
def test_bad_uploads_are_400_with_the_reason_and_leave_nothing(tenant_a, upload, label, content, filename, extra,
                                                               path, reason):
    _, users = tenant_a
    files_before = _stored_files()
    response = upload(users["editor"], content, filename=filename, **extra)
    error = assert_error_shape(response, 400, paths={path})
    assert reason in " ".join(d["message"] for d in error["details"])
    assert Sample.all_objects.count() == 0
    assert _stored_files() == files_before
    assert not AuditEvent.objects.filter(action__startswith="sample.").exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(tenant_a, upload, settings):
    settings.SYNTHHUB_SAMPLE_MAX_BYTES = 1000
    _, users = tenant_a
    files_before = _stored_files()
    error = assert_error_shape(upload(users["editor"], customers_csv(100)), 400, paths={"file"})
    assert "1000 bytes" in error["details"][0]["message"]
    # far over: refused by the request limits before the view (still a 400 naming the file)
    error = assert_error_shape(upload(users["editor"], b"a,b\n" + b"1,2\n" * 40_000), 400, paths={"file"})
    assert "SYNTHHUB_SAMPLE_MAX_BYTES" in error["details"][0]["message"]
    assert Sample.all_objects.count() == 0 and _stored_files() == files_before


def test_a_viewer_cannot_upload_and_sees_no_samples(tenant_a, upload, api_client_for):
    _, users = tenant_a
    assert upload(users["viewer"], customers_csv(10)).status_code == 403
    sample_id = upload(users["editor"], customers_csv(10)).json()["id"]
    client = api_client_for(users["viewer"])
    assert client.get("/api/v1/tenants/alpha/samples/").json()["results"] == []
    assert client.get(f"/api/v1/tenants/alpha/samples/{sample_id}/").status_code == 404
    assert api_client_for(users["admin"]).get(f"/api/v1/tenants/alpha/samples/{sample_id}/").status_code == 200


def test_another_tenant_gets_404(tenant_a, tenant_b, upload, api_client_for):
    _, users = tenant_a
    _, others = tenant_b
    sample_id = upload(users["editor"], customers_csv(10)).json()["id"]
    outsider = api_client_for(others["owner"])
    assert outsider.get(f"/api/v1/tenants/beta/samples/{sample_id}/").status_code == 404
    assert outsider.delete(f"/api/v1/tenants/beta/samples/{sample_id}/").status_code == 404
    assert outsider.get(f"/api/v1/tenants/alpha/samples/{sample_id}/").status_code == 404
    response = outsider.post("/api/v1/tenants/beta/profiles/", {"samples": [sample_id]}, format="json")
    assert_error_shape(response, 400, paths={"samples"})


def test_delete_needs_the_delete_permission(tenant_a, upload, api_client_for):
    _, users = tenant_a
    sample_id = upload(users["admin"], customers_csv(10)).json()["id"]
    assert api_client_for(users["editor"]).delete(f"/api/v1/tenants/alpha/samples/{sample_id}/").status_code == 403
    assert api_client_for(users["admin"]).delete(f"/api/v1/tenants/alpha/samples/{sample_id}/").status_code == 204
    assert Sample.all_objects.get(pk=sample_id).is_deleted


def test_trashed_samples_are_purged_after_the_retention_with_their_files(tenant_a, upload, api_client_for,
                                                                         django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from apps.datasets.services import trash_purge

    _, users = tenant_a
    sample_id = upload(users["admin"], customers_csv(10)).json()["id"]
    name = Sample.objects.get(pk=sample_id).file.name
    api_client_for(users["admin"]).delete(f"/api/v1/tenants/alpha/samples/{sample_id}/")
    with django_capture_on_commit_callbacks(execute=True):
        assert trash_purge(now=timezone.now() + timedelta(days=1))["samples"] == 0  # within the retention
        assert trash_purge(now=timezone.now() + timedelta(days=400))["samples"] == 1
    assert not Sample.all_objects.filter(pk=sample_id).exists()
    assert not os.path.exists(os.path.join(settings.MEDIA_ROOT, name))
