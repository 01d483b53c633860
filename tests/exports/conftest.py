"""Fixtures for exports: a dataset with every kind of value, export helpers, a scratch PostgreSQL database."""

import os
import secrets

import pytest

RICH_SPEC = {
    "version": 1,
    "name": "rich",
    "seed": 11,
    "tables": {
        "customers": {
            "rows": 40,
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence"},
                "name": {"type": "faker", "provider": "name", "pii": True},
                "motto": {"type": "choice", "values": ['=HYPERLINK("x")', "+1", "plain", "-x", "@SUM(A1)",
                                                       'quote " and, comma', "line\nbreak"]},
                "vip": {"type": "boolean", "probability": 0.3},
                "born": {"type": "date", "start": "1950-01-01", "end": "2000-12-31"},
                "seen": {"type": "datetime", "start": "2024-01-01T00:00:00Z", "end": "2024-12-31T00:00:00Z",
                         "null_ratio": 0.3},
                "score": {"type": "float", "min": 0, "max": 1, "precision": 3},
                "tags": {"type": "array", "of": {"type": "choice", "values": ["a", "b", "c"]}, "min_length": 0,
                         "max_length": 3},
                "address": {"type": "object", "fields": {
                    "city": {"type": "faker", "provider": "city"},
                    "zip": {"type": "string", "pattern": "[0-9]{4}"},
                }},
            },
        },
        "orders": {
            "rows": {"per": "customer_id", "min": 0, "max": 3},
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence"},
                "customer_id": {"type": "reference", "table": "customers"},
                "total": {"type": "float", "min": 1, "max": 500, "precision": 2},
                "note": {"type": "template", "template": "order for {customer_id}"},
            },
        },
    },
}


@pytest.fixture
def rich(tenant_a, make_dataset, make_version):
    """(dataset, version) of RICH_SPEC in tenant alpha, made by its editor."""
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["editor"], name="rich", spec=RICH_SPEC)
    version = make_version(dataset, users["editor"])
    # Read back what the database stored: PostgreSQL's JSONB keeps a spec's keys in its own order, and the
    # export task, which loads the version, types its output by that stored document.
    version.refresh_from_db()
    return dataset, version


def stored_rows(version, table):
    """The live records of a table, in row order: what every export must read back to."""
    from apps.datasets.models import Record

    return list(Record.objects.filter(version=version, table_name=table).order_by("row_index")
                .values_list("data", flat=True))


@pytest.fixture
def run_export(django_capture_on_commit_callbacks):
    """Create an export through the service and run its queued task; returns the refreshed export."""
    from apps.exports import services

    def run(*, tenant, actor, dataset, version, fmt, tables=None, options=None):
        with django_capture_on_commit_callbacks(execute=True):
            export = services.export_create(tenant=tenant, actor=actor, dataset_id=dataset.pk,
                                            version_number=version.number, fmt=fmt, tables=tables, options=options)
        export.refresh_from_db()
        assert export.status == "succeeded", export.error
        return export

    return run


def export_bytes(export) -> bytes:
    with export.file.open("rb") as handle:
        return handle.read()


POSTGRES_ADMIN_URL = os.environ.get("EXPORTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def scratch_postgres():
    """A new database `synthhub_<random>_test` on the local PostgreSQL, dropped afterwards.

    Yields its connection parameters. Skips when PostgreSQL does not answer, unless CI=true.
    """
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL does not answer: {exc}")
    name = f"synthhub_push_{secrets.token_hex(5)}_test"
    admin.execute(f'CREATE DATABASE "{name}"')
    params = {**conninfo_to_dict(POSTGRES_ADMIN_URL), "dbname": name}
    try:
        yield params
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
