"""The exports API: 202 and a queued task, scoping, downloads with a safe header, expiry, trash, bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.datasets import services as dataset_services
from apps.exports import services
from apps.exports.models import Export
from tests.conftest import assert_error_shape

from .conftest import RICH_SPEC, stored_rows

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def finished(rich, tenant_a, run_export):
    tenant, users = tenant_a
    dataset, version = rich
    return run_export(tenant=tenant, actor=users["editor"], dataset=dataset, version=version, fmt="jsonl",
                      tables=["orders"])


def test_create_answers_202_then_the_task_makes_the_file(rich, tenant_a, api_client_for,
                                                         django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    dataset, version = rich
    client = api_client_for(users["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/exports/", {"dataset": dataset.pk, "version": 1, "format": "csv",
                                                    "tables": ["customers"]}, format="json")
    assert response.status_code == 202, response.content
    created = response.json()
    assert created["status"] == "queued" and created["options"] == {"neutralise_formulas": True}
    assert created["download_url"] is None
    detail = client.get(f"{BASE}/exports/{created['id']}/").json()
    assert detail["status"] == "succeeded" and detail["row_counts"] == {"customers": 40}
    assert len(detail["sha256"]) == 64 and detail["size_bytes"] > 0 and detail["expires_at"]
    assert detail["download_url"].endswith(f"{BASE}/exports/{created['id']}/download/")
    download = client.get(detail["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="rich-v1-customers-csv-{created["id"]}.csv"'
    import hashlib

    assert hashlib.sha256(body(download)).hexdigest() == detail["sha256"]
    actions = list(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    assert {"export.create", "export.succeed", "export.download"} <= set(actions)


def test_weird_dataset_name_gives_one_valid_content_disposition(tenant_a, make_dataset, make_version, run_export,
                                                                api_client_for):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], name='a";\r\nX: y', spec=RICH_SPEC)
    version = make_version(dataset, users["owner"])
    export = run_export(tenant=tenant, actor=users["owner"], dataset=dataset, version=version, fmt="sql")
    response = api_client_for(users["owner"]).get(f"{BASE}/exports/{export.pk}/download/")
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert header == f"attachment; filename*=utf-8''a%22%3B%0D%0AX%3A%20y-v1-sql-{export.pk}.sql"
    raw_headers = response.serialize_headers().split(b"\r\n")
    assert sum(line.lower().startswith(b"content-disposition:") for line in raw_headers) == 1
    assert not any(line.lower().startswith(b"x:") for line in raw_headers)


def test_exports_of_one_version_get_unique_names_that_say_their_format(rich, tenant_a, run_export,
                                                                     api_client_for):
    tenant, users = tenant_a
    dataset, version = rich
    made = [run_export(tenant=tenant, actor=users["editor"], dataset=dataset, version=version, fmt=fmt,
                       options=options)
            for fmt, options in [("bundle", {"inner_format": "csv"}), ("bundle", {"inner_format": "parquet"}),
                                 ("jsonl", None), ("jsonl", None), ("sql", None)]]
    client = api_client_for(users["editor"])
    names = []
    for export in made:
        detail = client.get(f"{BASE}/exports/{export.pk}/").json()
        download = client.get(f"{BASE}/exports/{export.pk}/download/")
        assert download.status_code == 200
        assert download["Content-Disposition"] == f'attachment; filename="{detail["filename"]}"'
        names.append(detail["filename"])
    assert names == [f"rich-v1-bundle-csv-{made[0].pk}.zip", f"rich-v1-bundle-parquet-{made[1].pk}.zip",
                     f"rich-v1-jsonl-{made[2].pk}.zip", f"rich-v1-jsonl-{made[3].pk}.zip",
                     f"rich-v1-sql-{made[4].pk}.sql"]


def test_a_long_dataset_name_is_cut_but_the_format_and_id_stay():
    from apps.exports.files import download_filename

    name = download_filename(dataset_name="d" * 400, version_number=3, fmt="csv", tables=["t"], export_id=12345)
    assert len(name) == 300 and name.endswith("-csv-12345.csv") and name.startswith("ddd")


def _swagger_accept(path: str) -> str:
    """The Accept header Swagger UI's "Execute" sends: the media types of the operation's 2xx responses in the
    served schema, joined (swagger-ui's buildRequest, when no response content type was picked)."""
    from drf_spectacular.generators import SchemaGenerator

    responses = SchemaGenerator().get_schema(request=None, public=True)["paths"][path]["get"]["responses"]
    return ", ".join(media for code, response in responses.items() if code.startswith("2")
                     for media in response.get("content", {}))


@pytest.mark.parametrize("accept", ["swagger", "application/octet-stream", "text/csv", "application/zip"])
def test_swagger_ui_and_file_accept_headers_download_the_file(finished, tenant_a, api_client_for, accept):
    client = api_client_for(tenant_a[1]["editor"])
    if accept == "swagger":
        accept = _swagger_accept("/api/v1/tenants/{tenant}/exports/{id}/download/")
        assert accept == "*/*"
    response = client.get(f"{BASE}/exports/{finished.pk}/download/", HTTP_ACCEPT=accept)
    assert response.status_code == 200  # 406 before for a file's own type
    assert body(response) and response["Content-Type"] == finished.content_type


def test_a_download_refused_under_a_file_accept_header_still_answers_in_the_error_shape(tenant_a, api_client_for):
    response = api_client_for(tenant_a[1]["editor"]).get(f"{BASE}/exports/999999/download/",
                                                         HTTP_ACCEPT="application/octet-stream")
    assert response["Content-Type"].startswith("application/json")
    assert_error_shape(response, 404)


def test_list_is_scoped_to_visible_datasets_in_one_query(rich, finished, tenant_a, api_client_for, make_dataset,
                                                         run_export, django_assert_max_num_queries):
    tenant, users = tenant_a
    hidden = make_dataset(tenant, users["owner"], name="hidden", spec=RICH_SPEC)
    hidden_version = dataset_services.version_generate(
        version=dataset_services.version_create(dataset=hidden, actor=None)[0])
    run_export(tenant=tenant, actor=users["owner"], dataset=hidden, version=hidden_version, fmt="json")
    dataset_services.dataset_permissions_set(dataset=hidden, actor=users["owner"], members=[],
                                             roles={"viewer": [], "editor": [], "admin": []})
    viewer = api_client_for(users["viewer"])
    listed = viewer.get(f"{BASE}/exports/").json()["results"]
    assert [item["id"] for item in listed] == [finished.pk]
    assert viewer.get(f"{BASE}/exports/{Export.objects.get(dataset=hidden).pk}/").status_code == 404
    owner = api_client_for(users["owner"])
    for _ in range(3):
        run_export(tenant=tenant, actor=users["owner"], dataset=rich[0], version=rich[1], fmt="csv",
                   tables=["orders"])
    # Token auth, membership, and the page itself: the number of exports does not add queries.
    with django_assert_max_num_queries(6):
        assert len(owner.get(f"{BASE}/exports/").json()["results"]) == 5


def test_other_tenant_gets_404_and_anonymous_401_on_every_route(finished, tenant_b, api_client_for, rich):
    from rest_framework.test import APIClient

    outsider = api_client_for(tenant_b[1]["owner"])
    anonymous = APIClient()
    routes = [("get", f"{BASE}/exports/"), ("get", f"{BASE}/exports/{finished.pk}/"),
              ("get", f"{BASE}/exports/{finished.pk}/download/"), ("delete", f"{BASE}/exports/{finished.pk}/"),
              ("post", f"{BASE}/exports/{finished.pk}/restore/"), ("get", f"{BASE}/trash/exports/"),
              ("post", f"{BASE}/exports/")]
    for method, url in routes:
        assert_error_shape(getattr(outsider, method)(url, {}, format="json"), 404)
        assert_error_shape(getattr(anonymous, method)(url, {}, format="json"), 401)
    # Naming another tenant's dataset from one's own tenant finds nothing either.
    response = outsider.post("/api/v1/tenants/beta/exports/", {"dataset": rich[0].pk, "version": 1,
                                                               "format": "csv"}, format="json")
    assert_error_shape(response, 400, paths={"dataset"})


def test_expired_export_answers_410_and_the_schedule_removes_its_file(finished, tenant_a, api_client_for):
    client = api_client_for(tenant_a[1]["viewer"])
    name = finished.file.name
    assert finished.file.storage.exists(name)
    Export.objects.filter(pk=finished.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert_error_shape(client.get(f"{BASE}/exports/{finished.pk}/download/"), 410)
    assert services.exports_expire() == {"expired": 1, "purged": 0, "stalled": 0}
    assert not finished.file.storage.exists(name)
    assert client.get(f"{BASE}/exports/{finished.pk}/").json()["expired"] is True
    assert_error_shape(client.get(f"{BASE}/exports/{finished.pk}/download/"), 410)
    assert AuditEvent.objects.filter(action="export.expire").count() == 1


def test_expiry_schedule_exists():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="apps.exports.tasks.expire_exports")
    assert schedule.schedule_type == Schedule.HOURLY and schedule.repeats == -1


def test_bad_input_answers_400_with_paths_and_creates_nothing(rich, tenant_a, api_client_for,
                                                              django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    dataset, version = rich
    client = api_client_for(users["editor"])
    cases = [
        ({"dataset": dataset.pk, "version": 1, "format": "xml"}, {"format"}),
        ({"dataset": dataset.pk, "version": 1, "format": "csv", "tables": ["nope", "customers", "customers"]},
         {"tables.0", "tables.2"}),
        ({"dataset": dataset.pk, "version": 1, "format": "csv", "tables": []}, {"tables"}),
        ({"dataset": dataset.pk, "version": 9, "format": "csv"}, {"version"}),
        ({"dataset": 424242, "version": 1, "format": "csv"}, {"dataset"}),
        ({"dataset": dataset.pk, "version": 1, "format": "csv", "options": {"neutralise_formulas": "no",
                                                                          "colour": 1}},
         {"options.neutralise_formulas", "options.colour"}),
        ({"dataset": dataset.pk, "version": 1, "format": "sql", "options": {"dialect": "oracle"}},
         {"options.dialect"}),
        ({"dataset": dataset.pk, "version": 1, "format": "bundle", "options": {"inner_format": "xls"}},
         {"options.inner_format"}),
        ({"dataset": dataset.pk, "version": 1, "format": "json", "options": "fast"}, {"options"}),
        ({"version": "one"}, {"dataset", "version", "format"}),
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for payload, paths in cases:
            assert_error_shape(client.post(f"{BASE}/exports/", payload, format="json"), 400, paths=paths)
    assert not callbacks and not Export.all_objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="export.").exists()


def test_a_version_that_is_not_ready_cannot_be_exported(rich, tenant_a, api_client_for):
    tenant, users = tenant_a
    dataset, _ = rich
    dataset_services.version_create(dataset=dataset, actor=None)  # pending, never generated
    response = api_client_for(users["editor"]).post(f"{BASE}/exports/", {"dataset": dataset.pk, "version": 2,
                                                                         "format": "csv"}, format="json")
    assert_error_shape(response, 400, paths={"version"})


def test_viewers_cannot_export_but_can_download(finished, tenant_a, api_client_for, rich):
    viewer = api_client_for(tenant_a[1]["viewer"])
    response = viewer.post(f"{BASE}/exports/", {"dataset": rich[0].pk, "version": 1, "format": "csv"},
                           format="json")
    assert_error_shape(response, 403)
    download = viewer.get(f"{BASE}/exports/{finished.pk}/download/")
    assert download.status_code == 200
    import orjson

    assert [orjson.loads(line) for line in body(download).splitlines()] == stored_rows(rich[1], "orders")
    assert_error_shape(viewer.delete(f"{BASE}/exports/{finished.pk}/"), 403)


def test_delete_moves_to_the_trash_and_restore_brings_it_back(finished, tenant_a, api_client_for):
    client = api_client_for(tenant_a[1]["editor"])
    assert client.delete(f"{BASE}/exports/{finished.pk}/").status_code == 204
    assert client.get(f"{BASE}/exports/{finished.pk}/").status_code == 404
    assert [e["id"] for e in client.get(f"{BASE}/trash/exports/").json()["results"]] == [finished.pk]
    restored = client.post(f"{BASE}/exports/{finished.pk}/restore/")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert client.get(f"{BASE}/exports/{finished.pk}/download/").status_code == 200
    assert {"export.delete", "export.restore"} <= set(AuditEvent.objects.values_list("action", flat=True))


def test_trash_past_retention_is_purged_with_its_file(finished, tenant_a):
    services.export_delete(export=finished, actor=None)
    name = finished.file.name
    Export.all_objects.filter(pk=finished.pk).update(deleted_at=timezone.now() - timedelta(days=400))
    assert services.exports_expire()["purged"] == 1
    assert not Export.all_objects.filter(pk=finished.pk).exists()
    assert not finished.file.storage.exists(name)


def test_a_failing_export_is_marked_failed_with_its_reason(rich, tenant_a, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    from apps.exports import services as export_services

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export_services, "write_export", broken)
    tenant, users = tenant_a
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_create(tenant=tenant, actor=users["editor"], dataset_id=rich[0].pk,
                                        version_number=1, fmt="csv")
    export.refresh_from_db()
    # A category and the platform's own words: a library's message can quote a value.
    assert (export.status, export.error_code, export.error) == ("failed", "storage_error", "writing the file failed")
    assert "disk full" not in export.error and not export.file
    assert AuditEvent.objects.filter(action="export.fail").exists()
    # A second delivery of the same task does nothing.
    assert services.export_run(export_id=export.pk) == "skipped"
