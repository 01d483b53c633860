"""Export writers: every format reads back to exactly the rows given, keys and types survive, SQL loads."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import secrets
import shutil
import sqlite3
import subprocess
import zipfile
from datetime import UTC, datetime, time

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from apps.exports.writers import (
    BUNDLE_CONTENT_TYPE,
    MANIFEST_NAME,
    WRITERS,
    ForeignKey,
    create_table,
    ddl,
    table_order,
    table_schema,
    write_bundle,
    write_csv,
    write_inserts,
    write_json,
    write_jsonl,
    write_parquet,
    write_sql_script,
    write_table,
)
from apps.exports.writers.columns import LogicalType


# ----------------------------------------------------------------------------- the dataset under test
def col(kind: str, *, null_ratio: float = 0.0, pii: bool = False, when: list | None = None, **keys) -> dict:
    """A column spec in normalised form: every common key present, as the engine's Spec.doc has it."""
    return {"type": kind, **keys, "null_ratio": null_ratio, "unique": False, "pii": pii, "description": "",
            "when": when or []}


UNIFORM = {"uniform": {}}
DOC = {
    "version": 1, "name": "shop", "description": "", "locale": "en_US", "seed": 7,
    "tables": {
        # Children come before their parents here, so ordering by references is really exercised.
        "orders": {
            "rows": 5, "primary_key": "order_id",
            "columns": {
                "order_id": col("sequence", start=1000, step=1),
                "customer_id": col("reference", table="customers", column="customer_id", distribution=UNIFORM),
                "region": col("lookup", reference="customer_id", column="region"),
                "quantity": col("integer", min=-5, max=10, distribution=UNIFORM),
                "amount": col("timeseries", base=10.0, trend=0.5, seasonality=None, noise=0.0, walk=0.0),
                "doubled": col("expression", expr="quantity * 2 + 1"),
                "half": col("expression", expr="quantity / 2"),
                "status": col("choice", values=["new", "paid", "shipped"], weights=None,
                              when=[{"if": {"column": "quantity", "op": "<", "value": 0},
                                     "then": {"values": ["refund"]}}]),
                "created_at": col("series_time", start="2024-01-01T00:00:00Z", step="1h"),
                "delivered": col("time", start="08:00:00", end="18:00:00", distribution=UNIFORM, timezone="UTC",
                                 null_ratio=0.4),
                "items": col("array", min_length=0, max_length=3, unique_items=False, of=col(
                    "object", fields={
                        "sku": col("string", pattern="[A-Z]{3}-\\d{3}", length=None, alphabet=None),
                        "qty": col("integer", min=1, max=5, distribution=UNIFORM),
                        "shipped": col("date", start="2024-01-01", end="2024-12-31", distribution=UNIFORM,
                                       timezone="UTC", null_ratio=0.5),
                        "at": col("datetime", start="2024-01-01T00:00:00Z", end="2024-12-31T00:00:00Z",
                                  distribution=UNIFORM, timezone="UTC"),
                    })),
                "source": col("constant", value="web"),
                "vin": col("vin"),
                "card": col("credit_card", brand="visa"),
                "iban": col("iban", country="DE"),
                "mrz": col("mrz_td3", fields={"document_number": None, "nationality": None, "birth_date": None,
                                              "sex": None, "expiry_date": None, "surname": None,
                                              "given_names": None, "issuing_state": None}),
            },
        },
        "customers": {
            "rows": 4, "primary_key": "customer_id",
            "columns": {
                "customer_id": col("sequence", start=1, step=1),
                "region": col("reference", table="regions", column="code", distribution=UNIFORM),
                "name": col("faker", provider="name", args={}, locale="en_US", pii=True),
                "email": col("template", template="{name}@example.com", lower=True, upper=False, slug=False,
                             pii=True),
                "score": col("float", min=0.0, max=1.0, precision=3, distribution=UNIFORM, null_ratio=0.2),
                "signup": col("date", start="2020-01-01", end="2024-12-31", distribution=UNIFORM, timezone="UTC"),
                "last_seen": col("datetime", start="-1y", end="now", distribution=UNIFORM, timezone="UTC",
                                 null_ratio=0.3),
                "wake_time": col("time", start="05:00:00", end="09:00:00", distribution=UNIFORM, timezone="UTC"),
                "token": col("uuid"),
                "tags": col("array", min_length=0, max_length=4, unique_items=True,
                            of=col("choice", values=["a", "b", "c"], weights=None)),
                "address": col("object", fields={
                    "street": col("faker", provider="street_address", args={}, locale="en_US"),
                    "geo": col("object", fields={
                        "lat": col("float", min=-90.0, max=90.0, precision=4, distribution=UNIFORM),
                        "lon": col("float", min=-180.0, max=180.0, precision=4, distribution=UNIFORM),
                    }),
                    "since": col("date", start="2000-01-01", end="2020-01-01", distribution=UNIFORM,
                                 timezone="UTC", null_ratio=0.5),
                }),
                "vip": col("boolean", probability=0.1),
                "referrer_id": col("reference", table="customers", column="customer_id", distribution=UNIFORM,
                                   null_ratio=0.5),
                "note": col("string", pattern=None, length={"min": 1, "max": 40}, alphabet="abc"),
                "tier": col("choice", values=[1, 2, 3], weights=None),
                "weight": col("choice", values=[1, 2.5], weights=None),
                "flag": col("choice", values=[True, False], weights=None),
            },
        },
        "regions": {
            "rows": 3, "primary_key": "code",
            "columns": {
                "code": col("string", pattern="[A-Z]{2}", length=None, alphabet=None),
                "label": col("faker", provider="city", args={}, locale="en_US"),
                "active": col("boolean", probability=0.5),
            },
        },
    },
}

MRZ = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
ROWS = {
    "regions": [
        {"code": "NO", "label": "Oslo", "active": True},
        {"code": "JP", "label": "東京", "active": False},
        {"code": "FR", "label": "Saint-Étienne d'Olt", "active": True},
    ],
    "customers": [
        {"customer_id": 1, "region": "NO", "name": "Zoë O'Brien 😀", "email": "zoe@example.com", "score": 0.125,
         "signup": "2021-02-03", "last_seen": "2024-03-01T10:15:00Z", "wake_time": "06:30:00",
         "token": "0f8fad5b-d9cb-469f-a165-70867728950e", "tags": ["a", "c"],
         "address": {"street": "1 Quote \"Lane\"", "geo": {"lat": 59.9139, "lon": 10.7522}, "since": "2010-05-06"},
         "vip": True, "referrer_id": None, "note": '=HYPERLINK("http://x")', "tier": 1, "weight": 2.5,
         "flag": True},
        {"customer_id": 2, "region": "JP", "name": "山田 太郎", "email": "yamada@example.com", "score": None,
         "signup": "2022-12-31", "last_seen": "2024-03-01T10:15:00.123456Z", "wake_time": "05:00:01",
         "token": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "tags": [],
         "address": {"street": "line one\nline two\r\nline three", "geo": {"lat": -33.5, "lon": 151.0},
                     "since": None},
         "vip": False, "referrer_id": 1, "note": "back\\slash and 'single' and \"double\"", "tier": 2, "weight": 1,
         "flag": False},
        {"customer_id": 3, "region": "FR", "name": "\tAnn Tab", "email": "ann@example.com", "score": 1.0,
         "signup": "2020-01-01", "last_seen": None, "wake_time": "08:59:59",
         "token": "16fd2706-8baf-433b-82eb-8c7fada847da", "tags": ["b"],
         "address": {"street": "", "geo": {"lat": 0.0, "lon": -0.5}, "since": "2000-01-01"},
         "vip": False, "referrer_id": 2, "note": "-12 is text here", "tier": 3, "weight": 1,
         "flag": False},
        {"customer_id": 4, "region": "NO", "name": "@cmd +sum", "email": "cmd@example.com", "score": 3.5e-07,
         "signup": "2024-02-29", "last_seen": "1999-12-31T23:59:59Z", "wake_time": "07:00:00",
         "token": "886313e1-3b8a-5372-9b90-0c9aee199e5d", "tags": ["a", "b", "c"],
         "address": {"street": "Ünïcödé Straße 5", "geo": {"lat": 1.0, "lon": 2.0}, "since": None},
         "vip": True, "referrer_id": 1, "note": "+49 30 1234", "tier": 1, "weight": 2.5, "flag": True},
    ],
    "orders": [
        {"order_id": 1000 + i, "customer_id": customer, "region": region, "quantity": quantity,
         "amount": 10.0 + 0.5 * i, "doubled": quantity * 2 + 1, "half": quantity / 2, "status": status,
         "created_at": f"2024-01-01T0{i}:00:00Z", "delivered": delivered, "items": items, "source": "web",
         "vin": "1M8GDM9AXKP042788", "card": "4111111111111111", "iban": "DE89370400440532013000", "mrz": MRZ}
        for i, (customer, region, quantity, status, delivered, items) in enumerate([
            (1, "NO", 3, "paid", "09:15:00", [{"sku": "ABC-123", "qty": 2, "shipped": "2024-02-01",
                                                 "at": "2024-02-01T08:00:00Z"}]),
            (2, "JP", -3, "refund", None, []),
            (2, "JP", 0, "new", "17:59:59", [{"sku": "XYZ-999", "qty": 1, "shipped": None,
                                                "at": "2024-03-01T12:30:00.500000Z"},
                                               {"sku": "QQQ-001", "qty": 5, "shipped": "2024-12-31",
                                                "at": "2024-12-31T23:59:59Z"}]),
            (4, "NO", 10, "shipped", "08:00:00", [{"sku": "O'K-000", "qty": 3, "shipped": None,
                                                     "at": "2024-06-01T00:00:00Z"}]),
            (3, "FR", -5, "refund", None, []),
        ])
    ],
}
TABLES = ("regions", "customers", "orders")
TRICKY_NOTE = "back\\slash and 'single' and \"double\""


def rows_as(form: str, table: str) -> list:
    """The rows of a table as dicts or as each row's JSON bytes, the two forms the engine hands over."""
    rows = ROWS[table]
    return [orjson.dumps(row) for row in rows] if form == "json" else [dict(row) for row in rows]


def write_to_bytes(writer, *args, **kwargs) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    count = writer(buffer, *args, **kwargs)
    return buffer.getvalue(), count


def json_ready(value, logical: LogicalType):
    """A value read back from Parquet or a database, in the JSON-ready form the writers were given."""
    if value is None:
        return None
    kind = logical.kind
    if kind in ("date", "datetime", "time") and isinstance(value, str):
        return value  # SQLite, and JSON inside a database, keep the text they were given
    if kind == "date":
        return value.isoformat()
    if kind == "datetime":
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if kind == "time":
        return value.isoformat()
    if kind == "uuid":
        return str(value)
    if kind == "boolean":
        return bool(value)
    if kind in ("array", "object") and isinstance(value, str):
        value = orjson.loads(value)
    if kind == "array":
        return [json_ready(item, logical.item.type) for item in value]
    if kind == "object":
        return {field.name: json_ready(value.get(field.name), field.type) for field in logical.fields}
    return value


# ----------------------------------------------------------------------------- schema derivation
def test_table_order_puts_parents_first_and_ignores_self_references():
    assert table_order(DOC) == ["regions", "customers", "orders"]


def test_table_order_rejects_a_cycle_between_tables():
    doc = {"tables": {
        "a": {"primary_key": "id", "columns": {"id": col("sequence", start=1, step=1),
                                               "b_id": col("reference", table="b", column="id")}},
        "b": {"primary_key": "id", "columns": {"id": col("sequence", start=1, step=1),
                                               "a_id": col("reference", table="a", column="id")}},
    }}
    with pytest.raises(ValueError, match="cycle"):
        table_order(doc)


def test_schema_types_keys_and_nullability():
    customers = table_schema(DOC, "customers")
    kinds = {column.name: str(column.type) for column in customers.columns}
    assert kinds == {
        "customer_id": "integer", "region": "string", "name": "string", "email": "string", "score": "float",
        "signup": "date", "last_seen": "datetime", "wake_time": "time", "token": "uuid",
        "tags": "array<string>", "address": "object<street: string, geo: object<lat: float, lon: float>, since: date>",
        "vip": "boolean", "referrer_id": "integer", "note": "string", "tier": "integer", "weight": "float",
        "flag": "boolean",
    }
    assert customers.names == tuple(DOC["tables"]["customers"]["columns"])
    assert customers.primary_key == "customer_id"
    assert customers.column("customer_id").primary_key and not customers.column("customer_id").nullable
    assert customers.column("region").foreign_key == ForeignKey("regions", "code")
    assert customers.column("referrer_id").foreign_key == ForeignKey("customers", "customer_id")
    assert customers.column("referrer_id").nullable and customers.column("score").nullable
    assert not customers.column("vip").nullable and not customers.column("region").nullable
    assert customers.column("name").pii and not customers.column("note").pii
    address = customers.column("address").type
    assert [(f.name, f.nullable) for f in address.fields] == [("street", True), ("geo", False), ("since", True)]

    orders = table_schema(DOC, "orders")
    kinds = {column.name: str(column.type) for column in orders.columns}
    assert kinds["region"] == "string"  # a lookup takes the looked-up column's type, through the reference
    assert kinds["amount"] == "float" and kinds["created_at"] == "datetime"
    assert kinds["doubled"] == "integer" and kinds["half"] == "float"
    assert kinds["items"] == "array<object<sku: string, qty: integer, shipped: date, at: datetime>>"
    assert kinds["source"] == "string" and kinds["mrz"] == "string" and kinds["vin"] == "string"
    assert orders.column("doubled").nullable  # undefined expression results become null
    assert not orders.column("region").nullable  # its reference and the parent column are never null
    assert orders.column("delivered").nullable


@pytest.mark.parametrize(("expr", "kind"), [
    ("a + b * 2", "integer"), ("a // 3 - b % 2", "integer"), ("abs(-a) + max(a, b, 4)", "integer"),
    ("round(x)", "integer"), ("round(a, 2)", "integer"), ("flag + 1", "integer"),
    ("a / 2", "float"), ("a ** 2", "float"), ("x + a", "float"), ("a + 1.5", "float"), ("round(x, 1)", "float"),
    ("min(a, x)", "float"),
])
def test_expression_type_follows_integer_arithmetic(expr, kind):
    doc = {"tables": {"t": {"primary_key": None, "columns": {
        "a": col("integer", min=0, max=9), "b": col("sequence", start=1, step=1),
        "x": col("float", min=0.0, max=1.0), "flag": col("boolean"), "e": col("expression", expr=expr),
    }}}}
    assert table_schema(doc, "t").column("e").type.kind == kind


@pytest.mark.parametrize(("spec", "expected"), [
    (col("choice", values=["a", 1]), "string"),
    (col("choice", values=[True, 1]), "string"),
    (col("choice", values=[1, 2], when=[{"if": {"column": "k", "op": "==", "value": 1},
                                         "then": {"values": [0.5]}}]), "float"),
    (col("constant", value=3), "integer"),
    (col("constant", value=False), "boolean"),
    (col("constant", value=[1, 2.0]), "array<float>"),
    (col("constant", value={"k": "v", "n": [True]}), "object<k: string, n: array<boolean>>"),
])
def test_value_based_types(spec, expected):
    doc = {"tables": {"t": {"primary_key": None, "columns": {"k": col("integer"), "c": spec}}}}
    assert str(table_schema(doc, "t").column("c").type) == expected


def test_reference_without_column_uses_the_parent_primary_key():
    doc = {"tables": {
        "p": {"primary_key": "code", "columns": {"code": col("uuid")}},
        "c": {"primary_key": None, "columns": {"p_code": col("reference", table="p", column=None)}},
    }}
    column = table_schema(doc, "c").column("p_code")
    assert column.type.kind == "uuid" and column.foreign_key == ForeignKey("p", "code")


# ----------------------------------------------------------------------------- CSV
def csv_cell(text: str, logical: LogicalType):
    if text == "":
        return None
    kind = logical.kind
    if kind == "integer":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "boolean":
        return {"true": True, "false": False}[text]
    if kind in ("array", "object"):
        return orjson.loads(text)
    return text


def read_csv(data: bytes, schema) -> list[dict]:
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header = next(reader)
    assert header == list(schema.names)
    return [{c.name: csv_cell(cell, c.type) for c, cell in zip(schema.columns, line, strict=True)} for line in reader]


def neutralised(value):
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


@pytest.mark.parametrize("form", ["dicts", "json"])
@pytest.mark.parametrize("table", TABLES)
def test_csv_reads_back_to_the_rows(table, form):
    schema = table_schema(DOC, table)
    data, count = write_to_bytes(write_csv, schema, rows_as(form, table))
    assert count == len(ROWS[table])
    expected = [
        {c.name: neutralised(row[c.name]) if c.type.kind == "string" else row[c.name] for c in schema.columns}
        for row in ROWS[table]
    ]
    assert read_csv(data, schema) == expected
    assert data.startswith(",".join(schema.names).encode() + b"\r\n") and data.endswith(b"\r\n")


def test_csv_neutralises_formulas_only_in_text_columns():
    schema = table_schema(DOC, "customers")
    data, _ = write_to_bytes(write_csv, schema, ROWS["customers"])
    cells = list(csv.reader(io.StringIO(data.decode(), newline="")))
    note = schema.names.index("note")
    name = schema.names.index("name")
    assert cells[1][note] == "'=HYPERLINK(\"http://x\")"
    assert cells[3][note] == "'-12 is text here" and cells[4][note] == "'+49 30 1234"
    assert cells[3][name] == "'\tAnn Tab" and cells[4][name] == "'@cmd +sum"

    orders = table_schema(DOC, "orders")
    data, _ = write_to_bytes(write_csv, orders, ROWS["orders"])
    lines = list(csv.reader(io.StringIO(data.decode(), newline="")))
    quantity = orders.names.index("quantity")
    assert [line[quantity] for line in lines[1:]] == ["3", "-3", "0", "10", "-5"]
    assert lines[2][orders.names.index("half")] == "-1.5"


def test_csv_neutralising_can_be_turned_off():
    schema = table_schema(DOC, "customers")
    data, _ = write_to_bytes(write_csv, schema, ROWS["customers"], neutralise_formulas=False)
    assert read_csv(data, schema) == [{c.name: row[c.name] for c in schema.columns} for row in ROWS["customers"]]
    assert '"=HYPERLINK(""http://x"")"' in data.decode()


def test_csv_cells_for_booleans_nulls_and_nested_values():
    schema = table_schema(DOC, "customers")
    data, _ = write_to_bytes(write_csv, schema, ROWS["customers"])
    second = list(csv.reader(io.StringIO(data.decode(), newline="")))[2]
    cell = dict(zip(schema.names, second, strict=True))
    assert cell["vip"] == "false" and cell["flag"] == "false" and cell["score"] == "" and cell["tags"] == "[]"
    assert cell["address"] == '{"street":"line one\\nline two\\r\\nline three","geo":{"lat":-33.5,"lon":151.0},' \
                              '"since":null}'


def test_csv_with_no_rows_is_just_the_header():
    data, count = write_to_bytes(write_csv, table_schema(DOC, "regions"), [])
    assert count == 0 and data == b"code,label,active\r\n"


# ----------------------------------------------------------------------------- JSON and JSON Lines
@pytest.mark.parametrize("form", ["dicts", "json"])
@pytest.mark.parametrize("table", TABLES)
def test_jsonl_reads_back_to_the_rows(table, form):
    data, count = write_to_bytes(write_jsonl, table_schema(DOC, table), rows_as(form, table))
    assert count == len(ROWS[table])
    lines = data.split(b"\n")
    assert lines[-1] == b"" and len(lines) == count + 1
    assert [orjson.loads(line) for line in lines[:-1]] == ROWS[table]


@pytest.mark.parametrize("form", ["dicts", "json"])
@pytest.mark.parametrize("table", TABLES)
def test_json_reads_back_to_the_rows(table, form):
    data, count = write_to_bytes(write_json, table_schema(DOC, table), rows_as(form, table))
    assert count == len(ROWS[table])
    assert orjson.loads(data) == ROWS[table]


def test_json_is_valid_for_any_number_of_rows():
    schema = table_schema(DOC, "regions")
    assert orjson.loads(write_to_bytes(write_json, schema, [])[0]) == []
    assert write_to_bytes(write_jsonl, schema, [])[0] == b""
    many = [{"code": f"C{i}", "label": "x", "active": i % 2 == 0} for i in range(4_501)]  # spans write blocks
    for writer in (write_json, write_jsonl):
        data, count = write_to_bytes(writer, schema, many)
        parsed = orjson.loads(data) if writer is write_json else [orjson.loads(x) for x in data.splitlines()]
        assert count == 4_501 and parsed == many


# ----------------------------------------------------------------------------- Parquet
def read_parquet(data: bytes, schema) -> tuple[pa.Table, list[dict]]:
    table = pq.read_table(io.BytesIO(data))
    rows = [{c.name: json_ready(row[c.name], c.type) for c in schema.columns} for row in table.to_pylist()]
    return table, rows


@pytest.mark.parametrize("form", ["dicts", "json"])
@pytest.mark.parametrize("table", TABLES)
def test_parquet_reads_back_to_the_rows(table, form):
    schema = table_schema(DOC, table)
    data, count = write_to_bytes(write_parquet, schema, rows_as(form, table))
    assert count == len(ROWS[table])
    _, rows = read_parquet(data, schema)
    assert rows == ROWS[table]


def test_parquet_parses_json_lines_without_making_dicts(monkeypatch):
    from apps.exports.writers import parquet_writer

    def refuse(rows):
        raise AssertionError("JSON lines were decoded into dicts")

    monkeypatch.setattr(parquet_writer, "iter_dicts", refuse)
    schema = table_schema(DOC, "orders")
    data, count = write_to_bytes(write_parquet, schema, rows_as("json", "orders"))
    assert count == 5 and read_parquet(data, schema)[1] == ROWS["orders"]


def test_parquet_column_types():
    customers = pq.read_table(io.BytesIO(write_to_bytes(write_parquet, table_schema(DOC, "customers"),
                                                        ROWS["customers"])[0])).schema
    assert customers.field("customer_id").type == pa.int64()
    assert not customers.field("customer_id").nullable and customers.field("score").nullable
    assert customers.field("score").type == pa.float64()
    assert customers.field("vip").type == pa.bool_()
    assert customers.field("signup").type == pa.date32()
    assert customers.field("last_seen").type == pa.timestamp("us", tz="UTC")
    assert customers.field("wake_time").type == pa.time64("us")
    assert customers.field("token").type == pa.string() and customers.field("region").type == pa.string()
    assert customers.field("tags").type == pa.list_(pa.field("item", pa.string(), nullable=False))
    address = customers.field("address").type
    assert pa.types.is_struct(address)
    assert address.field("geo").type == pa.struct([pa.field("lat", pa.float64(), nullable=False),
                                                   pa.field("lon", pa.float64(), nullable=False)])
    assert address.field("since").type == pa.date32()
    items = pq.read_table(io.BytesIO(write_to_bytes(write_parquet, table_schema(DOC, "orders"),
                                                    ROWS["orders"])[0])).schema.field("items").type
    assert pa.types.is_list(items) and pa.types.is_struct(items.value_type)
    assert items.value_type.field("at").type == pa.timestamp("us", tz="UTC")
    assert items.value_type.field("shipped").type == pa.date32()


def test_parquet_writes_row_groups_of_the_given_size():
    schema = table_schema(DOC, "regions")
    rows = [{"code": f"C{i}", "label": "x", "active": True} for i in range(5)]
    data, count = write_to_bytes(write_parquet, schema, rows, row_group_size=2)
    metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    assert count == 5 and metadata.num_row_groups == 3
    assert [metadata.row_group(i).num_rows for i in range(3)] == [2, 2, 1]
    empty, count = write_to_bytes(write_parquet, schema, [])
    assert count == 0 and pq.read_table(io.BytesIO(empty)).num_rows == 0


@pytest.mark.parametrize("form", ["dicts", "json"])
def test_parquet_converts_offsets_to_utc_and_coerces_loose_values(form):
    doc = {"tables": {"t": {"primary_key": None, "columns": {
        "at": col("datetime", null_ratio=0.5), "label": col("choice", values=["a", 1, True]),
        "times": col("array", of=col("time"), min_length=0, max_length=2, unique_items=False, null_ratio=0.5),
    }}}}
    schema = table_schema(doc, "t")
    rows = [{"at": "2024-05-01T15:45:00+02:00", "label": 1, "times": ["10:00:00", "23:59:59.250000"]},
            {"at": "2024-05-01T13:45:00", "label": True, "times": []},
            {"label": "a", "times": None, "ignored": 1}]
    if form == "json":
        rows = [orjson.dumps(row) + b"\n" for row in rows]
    table = pq.read_table(io.BytesIO(write_to_bytes(write_parquet, schema, rows)[0]))
    moment = datetime(2024, 5, 1, 13, 45, tzinfo=UTC)
    assert table.column_names == ["at", "label", "times"]
    assert table.column("at").to_pylist() == [moment, moment, None]
    assert table.column("label").to_pylist() == ["1", "true", "a"]
    assert table.column("times").to_pylist() == [[time(10), time(23, 59, 59, 250000)], [], None]


def test_parquet_refuses_null_in_a_column_that_cannot_be_null():
    schema = table_schema(DOC, "regions")
    with pytest.raises(ValueError, match="'active' is declared non-null"):
        write_to_bytes(write_parquet, schema, [{"code": "XX", "label": "x", "active": None}])


def test_parquet_rejects_values_of_the_wrong_kind():
    schema = table_schema(DOC, "regions")
    with pytest.raises(ValueError, match="column 'active'"):
        write_to_bytes(write_parquet, schema, [{"code": "XX", "label": "x", "active": "false"}])


# ----------------------------------------------------------------------------- SQL: SQLite
def sql_script(dialect: str, **kwargs) -> tuple[str, dict]:
    buffer = io.BytesIO()
    counts = write_sql_script(buffer, DOC, {table: ROWS[table] for table in TABLES}, dialect, **kwargs)
    return buffer.getvalue().decode("utf-8"), counts


def test_sql_script_creates_parents_first_and_counts_rows():
    script, counts = sql_script("sqlite")
    assert counts == {"regions": 3, "customers": 4, "orders": 5}
    positions = [script.index(f'CREATE TABLE "{table}"') for table in TABLES]
    assert positions == sorted(positions)
    inserts = [script.index(f'INSERT INTO "{table}"') for table in TABLES]
    assert positions[-1] < inserts[0] and inserts == sorted(inserts)


def load_sqlite(script: str) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.executescript(script)
    return connection


def test_sqlite_script_loads_with_foreign_keys_enforced():
    connection = load_sqlite(sql_script("sqlite")[0])
    assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    for table in TABLES:
        schema = table_schema(DOC, table)
        cursor = connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid')  # noqa: S608 - fixed table names
        assert [description[0] for description in cursor.description] == list(schema.names)
        rows = [{c.name: json_ready(value, c.type) for c, value in zip(schema.columns, row, strict=True)}
                for row in cursor]
        assert rows == ROWS[table]
    foreign_keys = {(row[2], row[3], row[4]) for row in connection.execute("PRAGMA foreign_key_list(customers)")}
    assert foreign_keys == {("regions", "region", "code"), ("customers", "referrer_id", "customer_id")}
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        connection.execute("INSERT INTO orders (order_id, customer_id, region, quantity, amount, status, created_at, "
                           "items, source, vin, card, iban, mrz) VALUES (9, 999, 'NO', 1, 1.0, 'new', 'x', '[]', "
                           "'web', 'v', 'c', 'i', 'm')")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        connection.execute("UPDATE customers SET referrer_id = 42 WHERE customer_id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        connection.execute("INSERT INTO regions (code, label, active) VALUES ('ZZ', 'x', NULL)")


def test_inserts_are_batched():
    schema = table_schema(DOC, "regions")
    rows = [{"code": f"C{i}", "label": "it's", "active": i % 2 == 0} for i in range(1_203)]
    data, count = write_to_bytes(write_inserts, schema, rows, "sqlite")
    text = data.decode()
    assert count == 1_203 and text.count("INSERT INTO") == 3
    connection = sqlite3.connect(":memory:")
    connection.executescript(create_table(schema, "sqlite") + text)
    assert connection.execute("SELECT count(*), sum(active) FROM regions").fetchone() == (1_203, 602)
    small, _ = write_to_bytes(write_inserts, schema, rows[:10], "sqlite", rows_per_statement=3)
    assert small.decode().count("INSERT INTO") == 4
    assert write_to_bytes(write_inserts, schema, [], "postgresql") == (b"", 0)


def test_ddl_for_a_subset_leaves_out_foreign_keys_to_missing_tables():
    text = ddl(DOC, ["orders", "customers"], "sqlite")
    assert "regions" not in text.replace('"region"', "")
    assert 'FOREIGN KEY ("referrer_id") REFERENCES "customers" ("customer_id")' in text
    assert text.index('CREATE TABLE "customers"') < text.index('CREATE TABLE "orders"')
    dropping = ddl(DOC, TABLES, "postgresql", drop_existing=True)
    drops = [dropping.index(f'DROP TABLE IF EXISTS "{t}"') for t in ("orders", "customers", "regions")]
    assert drops == sorted(drops) and drops[-1] < dropping.index("CREATE TABLE")
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        ddl(DOC, TABLES, "oracle")


# ----------------------------------------------------------------------------- SQL: PostgreSQL
POSTGRES_URL = os.environ.get("EXPORTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def postgres_database():
    """A throwaway database on the local server, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL does not answer: {exc}")
    name = f"exports_test_{secrets.token_hex(6)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
        with psycopg.connect(url, autocommit=True) as connection:
            yield connection
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_postgresql_script_loads_with_types_and_foreign_keys(postgres_database):
    import psycopg

    connection = postgres_database
    connection.execute(sql_script("postgresql")[0])
    for table in TABLES:
        schema = table_schema(DOC, table)
        cursor = connection.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 - fixed table names
        rows = [{c.name: json_ready(value, c.type) for c, value in zip(schema.columns, row, strict=True)}
                for row in cursor]
        expected = sorted(ROWS[table], key=lambda row: row[schema.names[0]])
        assert rows == expected
    types = dict(connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'customers'").fetchall())
    assert types["customer_id"] == "bigint" and types["last_seen"] == "timestamp with time zone"
    assert types["token"] == "uuid" and types["address"] == "jsonb" and types["vip"] == "boolean"
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        connection.execute("UPDATE customers SET referrer_id = 42 WHERE customer_id = 1")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        connection.execute("DELETE FROM regions WHERE code = 'NO'")


# ----------------------------------------------------------------------------- SQL: MySQL / MariaDB
def test_mysql_ddl_and_literals():
    text = ddl(DOC, TABLES, "mysql")
    assert "CREATE TABLE `regions` (\n    `code` VARCHAR(255) NOT NULL," in text
    assert "`region` VARCHAR(255) NOT NULL" in text  # a foreign key to a text key must be indexable
    assert "`note` LONGTEXT NOT NULL" in text and "`address` JSON NOT NULL" in text
    assert "`last_seen` DATETIME(6)," in text and "`wake_time` TIME(6) NOT NULL" in text
    assert "FOREIGN KEY (`referrer_id`) REFERENCES `customers` (`customer_id`)" in text
    assert text.count("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;") == 3
    script = sql_script("mysql")[0]
    assert "'back\\\\slash and \\'single\\' and \"double\"'" in script
    assert '"line one\\\\nline two\\\\r\\\\nline three"' in script  # JSON's own escapes, backslash-escaped
    assert "'2024-03-01 10:15:00.123456'" in script and "TRUE" in script
    assert "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');" in script
    mrz = MRZ.replace("\n", "\\n")
    assert f"'{mrz}'" in script


def test_literal_quoting_per_dialect():
    doc = {"tables": {"t": {"primary_key": None, "columns": {"s": col("string"), "f": col("float"),
                                                             "b": col("boolean")}}}}
    schema = table_schema(doc, "t")
    rows = [{"s": "it's a \\ test\nline\r\x1a", "f": float("nan"), "b": True}]
    outputs = {d: write_to_bytes(write_inserts, schema, rows, d)[0].decode() for d in ("postgresql", "mysql", "sqlite")}
    assert "('it''s a \\ test\nline\r\x1a', NULL, TRUE)" in outputs["postgresql"]
    assert "('it''s a \\ test\nline\r\x1a', NULL, 1)" in outputs["sqlite"]
    assert "('it\\'s a \\\\ test\\nline\\r\\Z', NULL, TRUE)" in outputs["mysql"]
    assert outputs["mysql"].startswith("INSERT INTO `t` (`s`, `f`, `b`) VALUES\n")
    with pytest.raises(ValueError, match="NUL"):
        write_to_bytes(write_inserts, schema, [{"s": "a\x00b", "f": 1.0, "b": False}], "postgresql")
    with pytest.raises(ValueError, match="not a number"):
        write_to_bytes(write_inserts, schema, [{"s": "x", "f": "1; DROP TABLE t", "b": False}], "sqlite")


def mysql_client() -> list[str] | None:
    binary = shutil.which("mariadb") or shutil.which("mysql")
    if binary is None:
        return None
    command = [binary, "--host=127.0.0.1", "--port=3306", "--user=root", "--connect-timeout=3",
               "--default-character-set=utf8mb4"]
    probe = subprocess.run([*command, "-e", "SELECT 1"], capture_output=True, timeout=10)
    return command if probe.returncode == 0 else None


def test_mysql_script_loads_into_mariadb():
    command = mysql_client()
    if command is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no MySQL/MariaDB client or server available")
        pytest.skip("no MySQL/MariaDB client or server available")
    name = f"exports_test_{secrets.token_hex(6)}"

    def run(sql: str, database: str | None = name) -> subprocess.CompletedProcess:
        args = [*command, "--batch", "--skip-column-names"] + ([database] if database else [])
        return subprocess.run(args, input=sql.encode(), capture_output=True, timeout=60)

    assert run(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4", None).returncode == 0
    try:
        loaded = run(sql_script("mysql")[0])
        assert loaded.returncode == 0, loaded.stderr.decode()
        counts = run("SELECT (SELECT count(*) FROM regions), (SELECT count(*) FROM customers), "
                     "(SELECT count(*) FROM orders)")
        assert counts.stdout.split() == [b"3", b"4", b"5"]
        exact = run("SELECT HEX(note), HEX(name), JSON_VALUE(address, '$.street') = 'line one\\nline two\\r\\n"
                    "line three', last_seen FROM customers WHERE customer_id = 2")
        note_hex, name_hex, street_ok, last_seen = exact.stdout.decode().rstrip("\n").split("\t")
        assert bytes.fromhex(note_hex).decode() == TRICKY_NOTE
        assert bytes.fromhex(name_hex).decode() == "山田 太郎"
        assert street_ok == "1" and last_seen == "2024-03-01 10:15:00.123456"
        mrz = run("SELECT HEX(mrz) FROM orders WHERE order_id = 1000").stdout.decode().strip()
        assert bytes.fromhex(mrz).decode() == MRZ
        rejected = run("UPDATE customers SET referrer_id = 42 WHERE customer_id = 1")
        assert rejected.returncode != 0 and b"foreign key constraint fails" in rejected.stderr
    finally:
        run(f"DROP DATABASE IF EXISTS `{name}`", None)


# ----------------------------------------------------------------------------- registry
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "parquet", "sql"])
def test_write_table_dispatches_by_format(fmt):
    buffer = io.BytesIO()
    assert write_table(fmt, buffer, table_schema(DOC, "customers"), ROWS["customers"]) == 4
    assert buffer.getvalue()
    assert WRITERS[fmt].filename("customers") == f"customers.{WRITERS[fmt].extension}"


def test_registry_metadata_and_unknown_format():
    assert {name: (w.extension, w.content_type) for name, w in WRITERS.items()} == {
        "csv": ("csv", "text/csv; charset=utf-8"), "jsonl": ("jsonl", "application/x-ndjson"),
        "json": ("json", "application/json"), "parquet": ("parquet", "application/vnd.apache.parquet"),
        "sql": ("sql", "application/sql; charset=utf-8"),
    }
    assert BUNDLE_CONTENT_TYPE == "application/zip"
    with pytest.raises(ValueError, match="unknown export format"):
        write_table("xlsx", io.BytesIO(), table_schema(DOC, "regions"), [])
    buffer = io.BytesIO()
    write_table("sql", buffer, table_schema(DOC, "regions"), ROWS["regions"], dialect="sqlite", include_ddl=True)
    connection = sqlite3.connect(":memory:")
    connection.executescript(buffer.getvalue().decode())
    assert connection.execute("SELECT label FROM regions WHERE code = 'FR'").fetchone() == ("Saint-Étienne d'Olt",)


# ----------------------------------------------------------------------------- bundle
MANIFEST_BASE = {
    "version": 3, "seed": 7, "spec_hash": "ab" * 32, "reference_time": datetime(2025, 6, 1, 12, 0, tzinfo=UTC),
    "generator_version": "1.0.0",
}


class WriteOnly:
    """An output that can only be written to, like an HTTP response body."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "parquet", "sql"])
def test_bundle_holds_every_table_and_a_matching_manifest(fmt):
    buffer = io.BytesIO()
    tables_rows = {table: rows_as("json" if fmt == "jsonl" else "dicts", table) for table in TABLES}
    options = {"dialect": "sqlite"} if fmt == "sql" else None
    manifest = write_bundle(buffer, fmt=fmt, doc=DOC, tables_rows=tables_rows, manifest_base=MANIFEST_BASE,
                            options=options)
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    assert archive.testzip() is None
    names = ["shop.sql"] if fmt == "sql" else [f"{table}.{WRITERS[fmt].extension}" for table in TABLES]
    assert archive.namelist() == [*names, MANIFEST_NAME]
    stored = orjson.loads(archive.read(MANIFEST_NAME))
    assert stored == manifest
    assert stored["synthetic"] is True and stored["dataset"] == "shop" and stored["format"] == fmt
    assert stored["reference_time"] == "2025-06-01T12:00:00Z"
    assert {key: stored[key] for key in ("version", "seed", "spec_hash", "generator_version")} == {
        "version": 3, "seed": 7, "spec_hash": "ab" * 32, "generator_version": "1.0.0"}
    assert {table: info["rows"] for table, info in stored["tables"].items()} == {"regions": 3, "customers": 4,
                                                                                 "orders": 5}
    assert stored["tables"]["customers"]["pii_columns"] == ["name", "email"]
    assert [entry["name"] for entry in stored["files"]] == names
    for entry in stored["files"]:
        content = archive.read(entry["name"])
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["bytes"] == len(content)
    if fmt == "sql":
        assert stored["files"][0]["rows"] == 12 and stored["files"][0]["dialect"] == "sqlite"
        connection = load_sqlite(archive.read("shop.sql").decode())
        assert connection.execute("SELECT count(*) FROM orders").fetchone() == (5,)
    else:
        assert [entry["rows"] for entry in stored["files"]] == [3, 4, 5]
        assert archive.getinfo(names[0]).date_time == (2025, 6, 1, 12, 0, 0)


def test_bundle_streams_to_an_unseekable_output_reproducibly():
    outputs = []
    for _ in range(2):
        sink = WriteOnly()
        write_bundle(sink, fmt="parquet", doc=DOC, tables_rows={t: ROWS[t] for t in TABLES},
                     manifest_base=MANIFEST_BASE)
        outputs.append(b"".join(sink.chunks))
    assert outputs[0] == outputs[1]
    archive = zipfile.ZipFile(io.BytesIO(outputs[0]))
    table = pq.read_table(io.BytesIO(archive.read("orders.parquet")))
    assert table.num_rows == 5 and table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")


def test_bundle_requires_the_generation_facts():
    base = {key: value for key, value in MANIFEST_BASE.items() if key != "spec_hash"}
    with pytest.raises(ValueError, match="spec_hash"):
        write_bundle(io.BytesIO(), fmt="csv", doc=DOC, tables_rows={}, manifest_base=base)
