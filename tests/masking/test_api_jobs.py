"""Masking through the API: keys, rules documents, and masking jobs from a source PostgreSQL database into a
dataset version (progress, cancel, retry), with no original value in records, errors or the audit trail."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.datasets.models import Dataset, Record
from apps.exports import services as export_services
from apps.generation import services as generation_services
from apps.generation.models import GenerationJob
from apps.masking.models import MaskingKey
from tests.conftest import assert_error_shape
from tests.exports.conftest import scratch_postgres  # noqa: F401  (a fixture)

from . import data

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"

RULES = {
    "tables": {
        "customers": {"columns": {
            "id": {"type": "integer", "rule": "format_preserving"},
            "name": {"rule": "fake", "provider": "name"},
            "email": {"rule": "derive", "template": "{name}@example.com", "slug": True, "unique": True},
            "phone": {"rule": "format_preserving"},
            "iban": {"rule": "format_preserving", "format": "iban"},
            "born": {"type": "date", "rule": "shift_date", "days": 30, "entity": "id"},
            "note": {"rule": "redact_text"},
        }},
        "orders": {"columns": {
            "id": {"type": "integer", "rule": "keep"},
            "customer_id": {"type": "integer", "references": "customers.id"},
            "amount": {"type": "float", "rule": "keep"},
        }},
    },
}


@pytest.fixture
def source(scratch_postgres):  # noqa: F811
    import psycopg

    customers = data.customers(60)
    orders = data.orders(customers["id"], 150)
    with psycopg.connect(**scratch_postgres, autocommit=True) as connection:
        connection.execute("CREATE TABLE customers (id integer PRIMARY KEY, name text, email text, phone text, "
                           "iban text, born date, note text)")
        connection.execute("CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers, "
                           "amount numeric(10, 2))")
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO customers VALUES (%s, %s, %s, %s, %s, %s, %s)", list(zip(
                [int(i) for i in customers["id"]], customers["name"], customers["email"], customers["phone"],
                customers["iban"], customers["born"], customers["note"], strict=True)))
            cursor.executemany("INSERT INTO orders VALUES (%s, %s, %s)", list(zip(
                [int(i) for i in orders["id"]], [int(i) for i in orders["customer_id"]], orders["amount"],
                strict=True)))
    return {"params": scratch_postgres, "customers": customers, "orders": orders}


@pytest.fixture
def target(source, tenant_a):
    tenant, users = tenant_a
    params = source["params"]
    return export_services.target_create(
        tenant=tenant, actor=users["owner"], name="source", host=params.get("host", "127.0.0.1"),
        port=int(params.get("port", 5432)), dbname=params["dbname"], user=params.get("user", "postgres"),
        password=params.get("password", ""))


def make_key(client, base=BASE):
    response = client.post(f"{base}/masking-keys/")
    assert response.status_code == 201, response.content
    return response.json()


def start(client, target, rules=None, tables=("customers", "orders"), capture=None):
    body = {"rules": rules or RULES, "source": {"target": target.pk, "tables": list(tables)}}
    if capture is None:
        return client.post(f"{BASE}/maskings/", body, format="json")
    with capture(execute=True):
        return client.post(f"{BASE}/maskings/", body, format="json")


def records(job, table):
    rows = Record.objects.filter(version=job.version, table_name=table).order_by("row_index")
    return [row.data for row in rows]


def test_a_masking_job_writes_a_masked_version_that_joins(tenant_a, api_client_for, target, source, tmp_path,
                                                           django_capture_on_commit_callbacks, caplog):
    client = api_client_for(tenant_a[1]["admin"])
    key = make_key(client)
    response = start(client, target, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.error
    assert (job.rows_done, job.rows_total, job.chunks_done, job.chunks_total) == (210, 210, 2, 2)
    detail = client.get(f"{BASE}/jobs/{job.pk}/").json()
    assert detail["progress"] == 1.0 and detail["status"] == "succeeded"
    assert client.get(f"{BASE}/maskings/").json()["results"][0]["id"] == job.pk

    customers, orders = records(job, "customers"), records(job, "orders")
    assert len(customers) == 60 and len(orders) == 150
    ids = {row["id"] for row in customers}
    assert len(ids) == 60 and all(order["customer_id"] in ids for order in orders)
    assert all(data.iban_ok(row["iban"]) for row in customers)
    assert [o["amount"] for o in orders] == source["orders"]["amount"]

    # No original value anywhere: records, the job, the audit trail, the logs.
    originals = data.pii_values(source["customers"], columns=("name", "email", "phone", "iban"))
    stored = json.dumps([customers, orders]) + json.dumps(GenerationJob.objects.filter(pk=job.pk).values().first(),
                                                          default=str)
    audit = json.dumps(list(AuditEvent.objects.values("before", "after", "target_label")), default=str)
    timeline = client.get(f"{BASE}/jobs/{job.pk}/events/")
    assert timeline.status_code == 200, timeline.content
    story = timeline.json()["events"]
    assert [e["type"] for e in story] == ["queued", "claimed", "chunk_done", "chunk_done", "succeeded"]
    assert story[0]["message"].startswith("queued: masking 2 tables") and story[0]["rows"] == 210
    assert {e["chunk"] for e in story[2:4]} == {"customers[0:60]", "orders[0:150]"}
    for text in (stored, audit, caplog.text, json.dumps(story)):
        assert [value for value in originals if value in text] == []

    # The secret shown once gives mask_file the same outputs as the platform's job.
    (tmp_path / "key").write_text(key["secret"])
    (tmp_path / "rules.json").write_text(json.dumps(RULES))
    src = tmp_path / "customers.jsonl"
    src.write_text("".join(json.dumps({"id": int(c[0]), "name": c[1], "email": c[2], "phone": c[3], "iban": c[4],
                                       "born": c[5], "note": c[6]}) + "\n"
                           for c in zip(*[source["customers"][k] for k in
                                          ("id", "name", "email", "phone", "iban", "born", "note")], strict=True)))
    rules_file = json.loads((tmp_path / "rules.json").read_text())
    rules_file["unlisted"] = "keep"
    (tmp_path / "rules.json").write_text(json.dumps(rules_file))
    call_command("mask_file", str(src), "--rules", str(tmp_path / "rules.json"), "--key-file",
                 str(tmp_path / "key"), "--out", str(tmp_path / "out"))
    offline = [json.loads(line) for line in (tmp_path / "out" / "customers.jsonl").read_text().splitlines()]
    assert [row["iban"] for row in offline] == [row["iban"] for row in customers]
    assert [row["id"] for row in offline] == [row["id"] for row in customers]


def test_the_key_is_shown_once_encrypted_at_rest_and_rotation_changes_outputs(
        tenant_a, api_client_for, target, django_capture_on_commit_callbacks):
    client = api_client_for(tenant_a[1]["owner"])
    first = make_key(client)
    stored = MaskingKey.objects.get(key_id=first["key_id"])
    assert first["secret"] not in stored.secret_encrypted
    listed = client.get(f"{BASE}/masking-keys/").json()
    assert listed == [{"key_id": first["key_id"], "active": True, "created_at": listed[0]["created_at"]}]
    one = GenerationJob.objects.get(pk=start(client, target, capture=django_capture_on_commit_callbacks).json()["id"])
    second = make_key(client)
    assert second["key_id"] != first["key_id"]
    assert [k["active"] for k in client.get(f"{BASE}/masking-keys/").json()] == [True, False]
    two = GenerationJob.objects.get(pk=start(client, target, capture=django_capture_on_commit_callbacks).json()["id"])
    ibans_one = [r["iban"] for r in records(one, "customers")]
    ibans_two = [r["iban"] for r in records(two, "customers")]
    assert sum(a == b for a, b in zip(ibans_one, ibans_two, strict=True)) < 5
    audit = json.dumps(list(AuditEvent.objects.values("before", "after")))
    assert first["secret"] not in audit and second["secret"] not in audit
    assert AuditEvent.objects.filter(action="masking_key.rotate").count() == 1


def test_bad_rules_answer_400_with_paths_and_write_nothing(tenant_a, api_client_for, target):
    client = api_client_for(tenant_a[1]["admin"])
    make_key(client)
    datasets_before = Dataset.all_objects.count()
    bad = json.loads(json.dumps(RULES))
    bad["tables"]["customers"]["columns"]["ghost"] = "keep"
    bad["tables"]["customers"]["columns"]["born"] = {"type": "date", "rule": "fake", "provider": "name"}
    response = start(client, target, rules=bad)
    assert_error_shape(response, 400)
    paths = {d["path"] for d in response.json()["error"]["details"]}
    assert "rules.tables.customers.columns.born.rule" in paths
    kept_key = json.loads(json.dumps(RULES))
    kept_key["tables"]["customers"]["columns"]["id"] = {"type": "integer", "rule": "keep"}
    kept_key["tables"]["orders"]["columns"]["customer_id"] = {
        "type": "integer", "rule": "hash", "format": "digits", "length": 9, "references": "customers.id"}
    response = start(client, target, rules=kept_key)
    assert response.status_code == 400
    assert "rules.tables.customers.columns.id.rule" in {d["path"] for d in response.json()["error"]["details"]}
    ghost = json.loads(json.dumps(RULES))
    ghost["tables"]["customers"]["columns"]["ghost"] = "keep"
    response = start(client, target, rules=ghost)
    assert response.status_code == 400
    assert "rules.tables.customers.columns.ghost" in {d["path"] for d in response.json()["error"]["details"]}
    response = start(client, target, tables=["customers", "nowhere"])
    assert response.status_code == 400
    assert {d["path"] for d in response.json()["error"]["details"]} == {"source.tables.1"}
    assert Dataset.all_objects.count() == datasets_before
    assert not GenerationJob.objects.exists()


def test_no_key_and_another_tenants_target_are_refused(tenant_a, tenant_b, api_client_for, target):
    client = api_client_for(tenant_a[1]["admin"])
    response = start(client, target)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["path"] == "key"
    other = api_client_for(tenant_b[1]["owner"])
    make_key(other, "/api/v1/tenants/beta")
    response = other.post("/api/v1/tenants/beta/maskings/", {
        "rules": RULES, "source": {"target": target.pk, "tables": ["customers"]}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["path"] == "source.target"
    assert other.get(f"{BASE}/maskings/").status_code == 404
    assert other.post(f"{BASE}/masking-keys/").status_code == 404


def test_cancel_and_retry_like_generation_jobs(tenant_a, api_client_for, target, source):
    import psycopg

    client = api_client_for(tenant_a[1]["admin"])
    make_key(client)
    queued = start(client, target).json()  # on-commit callbacks not run: the job waits
    assert client.post(f"{BASE}/jobs/{queued['id']}/cancel/").json()["status"] == "cancelled"

    job = GenerationJob.objects.get(pk=start(client, target).json()["id"])
    with psycopg.connect(**source["params"], autocommit=True) as connection:
        connection.execute("ALTER TABLE orders RENAME TO orders_away")
    for chunk in job.chunks.order_by("id"):
        for _ in range(5):
            generation_services.chunk_run(chunk_id=chunk.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "orders" in job.error
    with psycopg.connect(**source["params"], autocommit=True) as connection:
        connection.execute("ALTER TABLE orders_away RENAME TO orders")
    assert client.post(f"{BASE}/jobs/{job.pk}/retry/").json()["status"] == "queued"
    for chunk in job.chunks.exclude(status="done"):
        generation_services.chunk_run(chunk_id=chunk.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert len(records(job, "orders")) == 150


def test_rules_documents_are_saved_checked_and_scoped(tenant_a, tenant_b, api_client_for):
    editor = api_client_for(tenant_a[1]["editor"])
    response = editor.post(f"{BASE}/masking-rules/", {"name": "crm", "document": "tables:\n  t:\n    columns:\n"
                                                                                   "      a: {rule: hash}\n"},
                           format="json")
    assert response.status_code == 201, response.content
    assert response.json()["document"] == {"tables": {"t": {"columns": {"a": {"rule": "hash"}}}}}
    response = editor.post(f"{BASE}/masking-rules/", {"name": "bad", "document": {
        "tables": {"t": {"columns": {"a": {"rule": "hash", "length": 2}}}}}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["path"] == "document.tables.t.columns.a.length"
    response = editor.post(f"{BASE}/masking-rules/", {"name": "crm", "document": {
        "tables": {"t": {"columns": {"a": "keep"}}}}}, format="json")
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == "name"
    viewer = api_client_for(tenant_a[1]["viewer"])
    assert [r["name"] for r in viewer.get(f"{BASE}/masking-rules/").json()["results"]] == ["crm"]
    assert viewer.post(f"{BASE}/masking-rules/", {"name": "x", "document": {}}, format="json").status_code == 403
    outsider = api_client_for(tenant_b[1]["owner"])
    assert outsider.get(f"{BASE}/masking-rules/").status_code == 404
