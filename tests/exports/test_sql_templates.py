"""The SQL export of every built-in template loads into SQLite and PostgreSQL with foreign keys enforced."""

import sqlite3

import pytest

from apps.datasets import services as dataset_services
from apps.exports.services import export_to_path, version_doc
from apps.exports.writers import table_schema
from apps.generation.engine.builtin_templates import template_names

pytestmark = pytest.mark.django_db


def rows_scale(template: str) -> float:
    """Small versions keep the suite fast, but every table keeps at least three rows (a table scaled to no
    rows would leave its children's references empty). Never above 1: some templates cannot grow."""
    from apps.generation.engine.builtin_templates import list_templates

    smallest = min(t["rows"] for t in next(s for s in list_templates() if s["name"] == template)["tables"].values())
    return min(1.0, max(0.05, 3 / smallest))


@pytest.fixture
def template_version(tenant_a):
    def make(name):
        tenant, users = tenant_a
        dataset = dataset_services.dataset_create(tenant=tenant, actor=users["owner"], template=name)
        version, _ = dataset_services.version_create(dataset=dataset, actor=users["owner"], rows_scale=rows_scale(name))
        version = dataset_services.version_generate(version=version, actor=users["owner"])
        version.refresh_from_db()
        return version

    return make


def _foreign_keys(version):
    doc = version_doc(version)
    return [(table, column) for table in version.row_counts for column in table_schema(doc, table).columns
            if column.foreign_key is not None]


@pytest.mark.parametrize("template", template_names())
def test_sqlite_script_of_every_template_loads_with_foreign_keys(template, template_version, tmp_path):
    version = template_version(template)
    result = export_to_path(version=version, fmt="sql", path=tmp_path / "out.sql", options={"dialect": "sqlite"})
    connection = sqlite3.connect(":memory:")
    connection.executescript((tmp_path / "out.sql").read_text(encoding="utf-8"))
    assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    for table, count in version.row_counts.items():
        assert connection.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (count,)  # noqa: S608
    assert result["row_counts"] == version.row_counts
    keys = _foreign_keys(version)
    assert keys, f"{template} has no foreign keys to check"
    table, column = keys[0]
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute(f'UPDATE "{table}" SET "{column.name}" = {_bogus(column)}')  # noqa: S608


def _bogus(column) -> str:
    return "'no-such-key'" if column.type.kind in ("string", "uuid") else "-987654321"


@pytest.mark.parametrize("template", template_names())
def test_postgresql_script_of_every_template_loads_with_foreign_keys(template, template_version, tmp_path,
                                                                     scratch_postgres):
    import psycopg

    version = template_version(template)
    export_to_path(version=version, fmt="sql", path=tmp_path / "out.sql", options={"dialect": "postgresql"})
    with psycopg.connect(**scratch_postgres, autocommit=True) as connection:
        connection.execute((tmp_path / "out.sql").read_text(encoding="utf-8"))
        for table, count in version.row_counts.items():
            assert connection.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (count,)  # noqa: S608
        declared = connection.execute(
            "SELECT count(*) FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY'"
        ).fetchone()[0]
        assert declared == len(_foreign_keys(version))
        table, column = _foreign_keys(version)[0]
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            connection.execute(f'UPDATE "{table}" SET "{column.name}" = {_bogus(column)}')  # noqa: S608
