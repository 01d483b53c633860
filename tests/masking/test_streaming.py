"""Streaming mode: source connection -> destination connection, nothing stored, the push rules kept."""

from __future__ import annotations

import os
import secrets

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.datasets.models import Record
from apps.exports import services as export_services
from apps.masking import services

from . import data
from .test_api_jobs import (  # noqa: F401  (a fixture)
    RULES,
    scratch_postgres,  # noqa: F401  (a fixture)
    source,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def destination_db():
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    admin_url = os.environ.get("EXPORTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL does not answer: {exc}")
    name = f"synthhub_masked_{secrets.token_hex(5)}_test"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**conninfo_to_dict(admin_url), "dbname": name}
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def connection_for(tenant, owner, name, params):
    return export_services.target_create(
        tenant=tenant, actor=owner, name=name, host=params.get("host", "127.0.0.1"),
        port=int(params.get("port", 5432)), dbname=params["dbname"], user=params.get("user", "postgres"),
        password=params.get("password", ""))


@pytest.fixture
def pair(tenant_a, source, destination_db):  # noqa: F811
    tenant, users = tenant_a
    services.masking_key_rotate(tenant=tenant, actor=users["owner"])
    return {
        "tenant": tenant, "owner": users["owner"], "source": source,
        "from": connection_for(tenant, users["owner"], "prod-copy", source["params"]),
        "to": connection_for(tenant, users["owner"], "masked", destination_db), "params": destination_db,
    }


def fetch(params, query):
    import psycopg

    with psycopg.connect(**params) as connection:
        return connection.execute(query).fetchall()


def test_streams_masked_tables_in_dependency_order_and_stores_nothing(pair, caplog):
    result = services.masking_stream(tenant=pair["tenant"], actor=pair["owner"], source=pair["from"],
                                     destination=pair["to"], rules=RULES, tables=["orders", "customers"])
    assert result.rows == {"customers": 60, "orders": 150}
    customers = fetch(pair["params"], "SELECT id, name, email, phone, iban, born, note FROM customers ORDER BY id")
    orders = fetch(pair["params"], "SELECT id, customer_id, amount FROM orders ORDER BY id")
    ids = {row[0] for row in customers}
    assert len(ids) == 60 and all(customer_id in ids for _, customer_id, _ in orders)
    assert all(data.iban_ok(row[4]) for row in customers)
    text = repr(customers) + repr(orders) + caplog.text
    originals = data.pii_values(pair["source"]["customers"], columns=("name", "email", "phone", "iban"))
    assert [value for value in originals if value in text] == []
    assert not Record.objects.exists()
    event = AuditEvent.objects.get(action="masking.stream")
    assert event.after["rows"] == {"customers": 60, "orders": 150}
    # The same key and source give the same rows: a second run empties the managed tables and writes them again.
    services.masking_stream(tenant=pair["tenant"], actor=pair["owner"], source=pair["from"],
                            destination=pair["to"], rules=RULES, tables=["customers", "orders"])
    assert fetch(pair["params"], "SELECT id, name, email, phone, iban, born, note FROM customers ORDER BY id") \
        == customers


def test_the_streamed_rows_are_those_of_a_masking_job(pair, tenant_a, api_client_for,
                                                      django_capture_on_commit_callbacks):
    services.masking_stream(tenant=pair["tenant"], actor=pair["owner"], source=pair["from"],
                            destination=pair["to"], rules=RULES, tables=["customers", "orders"])
    streamed = fetch(pair["params"], "SELECT id, email, iban FROM customers ORDER BY id")
    client = api_client_for(tenant_a[1]["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/tenants/alpha/maskings/", {
            "rules": RULES, "source": {"target": pair["from"].pk, "tables": ["customers"]}}, format="json")
    job_rows = [r.data for r in Record.objects.filter(table_name="customers").order_by("row_index")]
    assert response.status_code == 202
    assert sorted((r["id"], r["email"], r["iban"]) for r in job_rows) == sorted(streamed)


def test_a_foreign_table_in_the_destination_is_refused_before_any_write(pair):
    import psycopg

    with psycopg.connect(**pair["params"], autocommit=True) as connection:
        connection.execute("CREATE TABLE orders (id integer)")
        connection.execute("INSERT INTO orders VALUES (7)")
    with pytest.raises(Exception, match="not created by SynthHub"):
        services.masking_stream(tenant=pair["tenant"], actor=pair["owner"], source=pair["from"],
                                destination=pair["to"], rules=RULES, tables=["customers", "orders"])
    assert fetch(pair["params"], "SELECT id FROM orders") == [(7,)]
    assert fetch(pair["params"], "SELECT to_regclass('customers')") == [(None,)]


def test_bad_rules_and_the_command(pair, tmp_path):
    bad = {"tables": {"customers": {"columns": {"ghost": "keep", "name": {"rule": "hash", "length": 1}}}}}
    with pytest.raises(Exception) as caught:
        services.masking_stream(tenant=pair["tenant"], actor=pair["owner"], source=pair["from"],
                                destination=pair["to"], rules=bad, tables=["customers"])
    assert "rules.tables.customers.columns.name.length" in {p for p, _ in caught.value.problems}
    rules = tmp_path / "rules.yaml"
    import yaml

    rules.write_text(yaml.safe_dump(RULES))
    call_command("mask_stream", "--tenant", "alpha", "--source", "prod-copy", "--destination", "masked",
                 "--rules", str(rules), "--tables", "customers,orders")
    assert fetch(pair["params"], "SELECT count(*) FROM orders") == [(150,)]
    with pytest.raises(CommandError, match="no connection named"):
        call_command("mask_stream", "--tenant", "alpha", "--source", "nope", "--destination", "masked",
                     "--rules", str(rules), "--tables", "customers")
