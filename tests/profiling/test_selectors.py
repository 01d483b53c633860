"""The reads the quality reports build on: a sample and a version's table as typed Arrow tables."""

import datetime

import pyarrow as pa
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.profiling import services
from apps.profiling.selectors import sample_arrow, sample_batches, version_arrow

from .conftest import customers_csv


def test_sample_arrow_is_typed_like_the_profile(tenant_a):
    tenant, users = tenant_a
    sample = services.sample_upload(tenant=tenant, actor=users["editor"], table_name="customers",
                                    uploaded=SimpleUploadedFile("c.csv", customers_csv(120)))
    table = sample_arrow(sample)
    assert table.num_rows == 120 and table.column_names[:3] == ["id", "first_name", "email"]
    assert table.schema.field("id").type == pa.int64() and table.schema.field("income").type == pa.float64()
    assert table.schema.field("signup").type == pa.date32()
    assert table.column("id").to_pylist()[:3] == [1, 2, 3]
    raw = pa.Table.from_batches(list(sample_batches(sample, typed=False)))
    assert raw.schema.field("id").type == pa.string()


def test_version_arrow_reads_a_generated_table_in_row_order(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    version = make_version(make_dataset(tenant, users["owner"]))
    table = version_arrow(version, "customers")
    assert table.num_rows == version.row_counts["customers"]
    assert table.column_names == ["id", "country", "age", "name"]
    assert table.column("id").to_pylist() == list(range(1, table.num_rows + 1))
    assert table.schema.field("age").type == pa.int64()
    assert isinstance(table.column("name").to_pylist()[0], str)


def test_version_arrow_types_dates(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    spec = {"version": 1, "name": "d", "seed": 1, "tables": {"t": {"rows": 20, "columns": {
        "id": {"type": "sequence"}, "day": {"type": "date", "start": "2020-01-01", "end": "2020-12-31"},
        "at": {"type": "datetime", "start": "2020-01-01T00:00:00Z", "end": "2020-12-31T00:00:00Z"}}}}}
    version = make_version(make_dataset(tenant, users["owner"], name="dates", spec=spec))
    table = version_arrow(version, "t")
    assert table.schema.field("day").type == pa.date32()
    assert isinstance(table.column("at").to_pylist()[0], datetime.datetime)
