"""Every export format reads back to exactly the stored records, without the ones in the trash."""

import csv
import io
import sqlite3
import zipfile
from datetime import date, datetime

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from apps.datasets import services as dataset_services
from apps.datasets.models import Record
from apps.exports.files import ordered_tables
from apps.exports.services import version_doc
from apps.exports.writers import table_schema
from apps.exports.writers.csv_writer import FORMULA_TRIGGERS

from .conftest import export_bytes, stored_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def trashed(rich):
    """Soft-delete every third order and a customer without orders, so SQL still loads with its keys."""
    dataset, version = rich
    orders = Record.objects.filter(version=version, table_name="orders").order_by("row_index")
    for record in orders[::3]:
        dataset_services.record_delete(record=record, actor=None)
    with_orders = {row["customer_id"] for row in stored_rows(version, "orders")}
    deleted = {"orders": {r.row_index for r in Record.all_objects.filter(version=version, deleted_at__isnull=False)}}
    lonely = next(r for r in Record.objects.filter(version=version, table_name="customers").order_by("row_index")
                  if r.data["id"] not in with_orders
                  and not Record.all_objects.filter(version=version, table_name="orders",
                                                    data__customer_id=r.data["id"]).exists())
    dataset_services.record_delete(record=lonely, actor=None)
    deleted["customers"] = {lonely.row_index}
    return deleted


def _export(run_export, tenant_a, rich, fmt, **kwargs):
    tenant, users = tenant_a
    dataset, version = rich
    return run_export(tenant=tenant, actor=users["editor"], dataset=dataset, version=version, fmt=fmt, **kwargs)


def _csv_value(cell: str, column):
    kind = column.type.kind
    if cell == "" and column.nullable:
        return None
    if column.type.is_nested:
        return orjson.loads(cell)
    if kind == "integer":
        return int(cell)
    if kind == "float":
        return float(cell)
    if kind == "boolean":
        return {"true": True, "false": False}[cell]
    if kind == "string" and cell[:1] == "'" and cell[1:2] in FORMULA_TRIGGERS:
        return cell[1:]
    return cell


def read_csv(data: bytes, schema) -> list[dict]:
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header = next(reader)
    assert tuple(header) == schema.names
    return [{c.name: _csv_value(cell, c) for c, cell in zip(schema.columns, row, strict=True)} for row in reader]


def _python_value(value, logical):
    """A stored JSON-ready value as pyarrow gives it back for the column's type."""
    if value is None:
        return None
    if logical.kind == "date":
        return date.fromisoformat(value)
    if logical.kind == "datetime":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if logical.kind == "array":
        return [_python_value(item, logical.item.type) for item in value]
    if logical.kind == "object":
        return {f.name: _python_value(value.get(f.name), f.type) for f in logical.fields}
    return value


@pytest.mark.parametrize("table", ["customers", "orders"])
def test_csv_reads_back_to_the_stored_records(run_export, tenant_a, rich, trashed, table):
    export = _export(run_export, tenant_a, rich, "csv", tables=[table])
    version = rich[1]
    schema = table_schema(version_doc(version), table)
    assert read_csv(export_bytes(export), schema) == stored_rows(version, table)
    assert export.row_counts == {table: len(stored_rows(version, table))}
    assert export.filename == f"rich-v1-{table}-csv-{export.pk}.csv" and export.content_type.startswith("text/csv")


def test_csv_neutralises_formulas_by_default_and_not_when_asked(run_export, tenant_a, rich):
    neutralised = export_bytes(_export(run_export, tenant_a, rich, "csv", tables=["customers"])).decode()
    assert "'=HYPERLINK(\"\"x\"\")" in neutralised and "'@SUM(A1)" in neutralised and "'+1" in neutralised
    assert ',=HYPERLINK' not in neutralised
    raw = export_bytes(_export(run_export, tenant_a, rich, "csv", tables=["customers"],
                               options={"neutralise_formulas": False})).decode()
    assert ',"=HYPERLINK(""x"")"' in raw or ',=HYPERLINK' in raw


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_formats_read_back_to_the_stored_records(run_export, tenant_a, rich, trashed, fmt):
    version = rich[1]
    for table in ("customers", "orders"):
        data = export_bytes(_export(run_export, tenant_a, rich, fmt, tables=[table]))
        rows = orjson.loads(data) if fmt == "json" else [orjson.loads(line) for line in data.splitlines()]
        assert rows == stored_rows(version, table)
        # Keys come in the spec's column order whatever the database does with JSON.
        assert list(rows[0]) == list(table_schema(version_doc(version), table).names)


def test_parquet_reads_back_with_its_types(run_export, tenant_a, rich, trashed):
    version = rich[1]
    doc = version_doc(version)
    for table in ("customers", "orders"):
        schema = table_schema(doc, table)
        parsed = pq.read_table(io.BytesIO(export_bytes(_export(run_export, tenant_a, rich, "parquet",
                                                               tables=[table]))))
        expected = [{c.name: _python_value(row.get(c.name), c.type) for c in schema.columns}
                    for row in stored_rows(version, table)]
        assert parsed.to_pylist() == expected
    customers = pq.read_schema(io.BytesIO(export_bytes(_export(run_export, tenant_a, rich, "parquet",
                                                               tables=["customers"]))))
    assert customers.field("id").type == pa.int64() and customers.field("vip").type == pa.bool_()
    assert customers.field("born").type == pa.date32()
    assert customers.field("seen").type == pa.timestamp("us", tz="UTC") and customers.field("seen").nullable
    assert customers.field("score").type == pa.float64()
    assert customers.field("tags").type == pa.list_(pa.field("item", pa.string(), nullable=False))
    assert pa.types.is_struct(customers.field("address").type)


def _sqlite_rows(connection, schema):
    cursor = connection.execute(f'SELECT * FROM "{schema.name}" ORDER BY "{schema.primary_key}"')  # noqa: S608
    rows = []
    for values in cursor:
        row = {}
        for column, value in zip(schema.columns, values, strict=True):
            if value is not None and column.type.is_nested:
                value = orjson.loads(value)
            elif value is not None and column.type.kind == "boolean":
                value = bool(value)
            row[column.name] = value
        rows.append(row)
    return rows


def test_sql_for_sqlite_loads_with_foreign_keys_and_reads_back(run_export, tenant_a, rich, trashed):
    version = rich[1]
    export = _export(run_export, tenant_a, rich, "sql", options={"dialect": "sqlite"})
    assert export.filename == f"rich-v1-sql-{export.pk}.sql" and export.tables == ["customers", "orders"]
    connection = sqlite3.connect(":memory:")
    connection.executescript(export_bytes(export).decode())
    doc = version_doc(version)
    for table in ("customers", "orders"):
        assert _sqlite_rows(connection, table_schema(doc, table)) == stored_rows(version, table)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute("INSERT INTO orders (id, customer_id, total, note) VALUES (99999, 424242, 1.0, 'x')")


@pytest.mark.parametrize("inner", ["csv", "json", "jsonl", "parquet", "sql"])
def test_bundle_holds_every_table_and_its_manifest(run_export, tenant_a, rich, trashed, inner):
    dataset, version = rich
    export = _export(run_export, tenant_a, rich, "bundle", options={"inner_format": inner})
    assert export.filename == f"rich-v1-bundle-{inner}-{export.pk}.zip" and export.content_type == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(export_bytes(export)))
    manifest = orjson.loads(archive.read("manifest.json"))
    assert manifest["synthetic"] is True and manifest["format"] == inner
    assert manifest["dataset"] == "rich" and manifest["version"] == 1 and manifest["seed"] == version.seed
    assert manifest["spec_hash"] == version.spec_hash and manifest["generator_version"]
    expected_counts = {t: len(stored_rows(version, t)) for t in ("customers", "orders")}
    assert {t: entry["rows"] for t, entry in manifest["tables"].items()} == expected_counts
    assert export.row_counts == expected_counts
    for entry in manifest["files"]:
        import hashlib

        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    if inner == "jsonl":
        rows = [orjson.loads(line) for line in archive.read("orders.jsonl").splitlines()]
        assert rows == stored_rows(version, "orders")


def test_several_tables_in_a_per_table_format_make_a_zip(run_export, tenant_a, rich):
    export = _export(run_export, tenant_a, rich, "jsonl")
    assert export.filename == f"rich-v1-jsonl-{export.pk}.zip"
    names = set(zipfile.ZipFile(io.BytesIO(export_bytes(export))).namelist())
    assert names == {"customers.jsonl", "orders.jsonl", "manifest.json"}


def test_soft_deleted_records_are_absent_from_every_format(run_export, tenant_a, rich, trashed):
    dataset, version = rich
    gone = {table: [r.data for r in Record.all_objects.filter(version=version, table_name=table,
                                                            deleted_at__isnull=False)]
            for table in trashed}
    assert all(gone.values())
    for fmt, options in [("csv", None), ("json", None), ("jsonl", None), ("parquet", None),
                         ("sql", {"dialect": "postgresql"}), ("bundle", {"inner_format": "jsonl"})]:
        export = _export(run_export, tenant_a, rich, fmt, options=options)
        assert export.row_counts == {t: len(stored_rows(version, t)) for t in ordered_tables(
            version_doc(version), ["customers", "orders"])}, fmt
    # And by content, in the two text formats that show every value.
    jsonl = zipfile.ZipFile(io.BytesIO(export_bytes(_export(run_export, tenant_a, rich, "jsonl"))))
    for table, rows in gone.items():
        present = [orjson.loads(line) for line in jsonl.read(f"{table}.jsonl").splitlines()]
        assert not [row for row in rows if row in present]
    script = export_bytes(_export(run_export, tenant_a, rich, "sql", options={"dialect": "sqlite"})).decode()
    connection = sqlite3.connect(":memory:")
    connection.executescript(script)
    ids = {row[0] for row in connection.execute("SELECT id FROM orders")}
    assert ids.isdisjoint({row["id"] for row in gone["orders"]})
