"""Samples read from a table of a target database: read-only, bounded, checked like uploads (needs the local
PostgreSQL for the scratch target; skipped without it outside CI)."""

import psycopg
import pytest

from apps.exports import services as exports
from apps.profiling.models import Sample
from tests.conftest import assert_error_shape
from tests.exports.conftest import scratch_postgres  # noqa: F401 - the fixture

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def target(tenant_a, scratch_postgres):  # noqa: F811
    tenant, users = tenant_a
    with psycopg.connect(**scratch_postgres, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA shop")
        connection.execute("CREATE TABLE shop.people (id int PRIMARY KEY, name text, born date, score float8)")
        connection.execute("INSERT INTO shop.people SELECT i, 'p' || i, DATE '2000-01-01' + i, i / 3.0 "
                           "FROM generate_series(1, 500) i")
        connection.execute("CREATE TABLE single (id int)")
    return exports.target_create(tenant=tenant, actor=users["owner"], name="scratch",
                                 host=scratch_postgres.get("host", "127.0.0.1"),
                                 port=int(scratch_postgres.get("port", 5432)), dbname=scratch_postgres["dbname"],
                                 user=scratch_postgres.get("user", "postgres"),
                                 password=scratch_postgres.get("password", ""))


def test_an_admin_reads_a_bounded_sample_of_a_target_table(target, tenant_a, api_client_for):
    _, users = tenant_a
    client = api_client_for(users["admin"])
    response = client.post(f"{BASE}/samples/", {"target": target.pk, "source_table": "shop.people",
                                                 "table_name": "people", "rows": 200}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "target" and body["row_count"] == 200 and body["source_table"] == "shop.people"
    assert body["columns"] == ["id", "name", "born", "score"]
    assert Sample.objects.get(pk=body["id"]).file.name.startswith("samples/")


def test_target_reads_are_refused_with_their_reason(target, tenant_a, api_client_for):
    _, users = tenant_a
    admin = api_client_for(users["admin"])
    body = {"target": target.pk, "source_table": "shop.missing", "table_name": "people"}
    assert_error_shape(admin.post(f"{BASE}/samples/", body, format="json"), 400, paths={"source_table"})
    body = {"target": target.pk, "source_table": "single", "table_name": "single"}
    assert_error_shape(admin.post(f"{BASE}/samples/", body, format="json"), 400, paths={"source_table"})
    body = {"target": 999_999, "source_table": "shop.people", "table_name": "people"}
    assert_error_shape(admin.post(f"{BASE}/samples/", body, format="json"), 400, paths={"target"})
    editor = api_client_for(users["editor"])
    body = {"target": target.pk, "source_table": "shop.people", "table_name": "people"}
    assert editor.post(f"{BASE}/samples/", body, format="json").status_code == 403
    assert Sample.all_objects.count() == 0
