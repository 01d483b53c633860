"""References, per-parent row counts, lookups, templates through references, series per parent."""

from collections import Counter
from itertools import groupby

import pytest

from apps.generation.engine import parse_spec, plan
from apps.generation.engine.templating import slugify

from .all_types import ALL_TYPES, REFERENCE_TIME
from .helpers import generate_table


def shop(parent_rows=200, order_rows=None, **order_columns) -> dict:
    return {"version": 1, "name": "shop", "seed": 3, "tables": {
        "orders": {"rows": order_rows or {"per": "customer", "min": 1, "max": 5},
                   "primary_key": "id",
                   "columns": {"id": {"type": "sequence"},
                               "customer": {"type": "reference", "table": "customers"},
                               **order_columns}},
        "customers": {"rows": parent_rows, "primary_key": "cid", "columns": {
            "cid": {"type": "string", "pattern": "C-\\d{6}"},
            "code": {"type": "uuid", "unique": True},
            "name": {"type": "faker", "provider": "name"},
            "country": {"type": "choice", "values": ["DE", "FR", "NL"]},
            "boss": {"type": "reference", "table": "customers", "null_ratio": 0.1},
            "boss_name": {"type": "lookup", "reference": "boss", "column": "name"},
        }},
    }}


def test_table_order_follows_references():
    the_plan = plan(parse_spec(shop()), reference_time=REFERENCE_TIME)
    assert the_plan.table_order == ["customers", "orders"]


def test_references_exist_in_the_parent_and_per_counts_are_consecutive():
    doc = shop(amount={"type": "integer", "min": 1, "max": 9})
    customers = generate_table(doc, "customers")
    orders = generate_table(doc, "orders", chunk_size=37)
    keys = [c["cid"] for c in customers]
    assert len(set(keys)) == len(keys)
    assert all(o["customer"] in set(keys) for o in orders)
    runs = [(key, len(list(group))) for key, group in groupby(o["customer"] for o in orders)]
    # Each parent's children are one consecutive run, in parent order, with 1-5 rows each.
    assert [key for key, _ in runs] == keys
    assert all(1 <= count <= 5 for _, count in runs)
    assert {count for _, count in runs} == {1, 2, 3, 4, 5}
    the_plan = plan(parse_spec(doc), reference_time=REFERENCE_TIME)
    assert the_plan.row_counts["orders"] == len(orders)


def test_per_rows_with_zero_min_and_a_distribution():
    doc = shop(order_rows={"per": "customer", "min": 0, "max": 10, "distribution": {"poisson": {"lam": 2}}})
    orders = generate_table(doc, "orders")
    counts = Counter(o["customer"] for o in orders)
    keys = [c["cid"] for c in generate_table(doc, "customers")]
    per_parent = [counts.get(k, 0) for k in keys]
    assert 0 in per_parent and max(per_parent) <= 10
    assert 1.6 < sum(per_parent) / len(per_parent) < 2.4


def test_lookup_equals_the_parent_column_and_templates_read_reference_columns():
    doc = shop(country={"type": "lookup", "reference": "customer", "column": "country"},
               who={"type": "template", "template": "{customer.name} ({customer.country})"},
               code={"type": "lookup", "reference": "customer", "column": "code"})
    customers = {c["cid"]: c for c in generate_table(doc, "customers")}
    for order in generate_table(doc, "orders", chunk_size=50):
        parent = customers[order["customer"]]
        assert order["country"] == parent["country"]
        assert order["code"] == parent["code"]
        assert order["who"] == f"{parent['name']} ({parent['country']})"


def test_self_reference_points_at_an_earlier_row_and_lookup_through_it():
    customers = generate_table(shop(), "customers", chunk_size=33)
    position = {c["cid"]: i for i, c in enumerate(customers)}
    assert customers[0]["boss"] is None
    nulls = 0
    for i, customer in enumerate(customers):
        if customer["boss"] is None:
            nulls += 1
            assert customer["boss_name"] is None
            continue
        assert position[customer["boss"]] < i
        assert customer["boss_name"] == customers[position[customer["boss"]]]["name"]
    assert 5 <= nulls <= 40


def test_reference_zipf_skew_and_explicit_unique_column():
    doc = shop(order_rows=3000, customer={"type": "reference", "table": "customers", "column": "code",
                                          "distribution": {"zipf": {"a": 1.3}}})
    customers = generate_table(doc, "customers")
    codes = [c["code"] for c in customers]
    counts = Counter(o["customer"] for o in generate_table(doc, "orders"))
    assert set(counts) <= set(codes)
    assert counts[codes[0]] > 0.2 * 3000  # the first parent is the most popular
    assert counts.most_common(1)[0][0] == codes[0]


def test_unique_reference_is_one_to_one():
    doc = shop(order_rows=200, customer={"type": "reference", "table": "customers", "unique": True})
    keys = {c["cid"] for c in generate_table(doc, "customers")}
    refs = [o["customer"] for o in generate_table(doc, "orders", chunk_size=9)]
    assert set(refs) == keys and len(refs) == len(keys)


def test_references_to_an_empty_parent_are_null():
    doc = shop(parent_rows=0, order_rows=5)
    assert [o["customer"] for o in generate_table(doc, "orders")] == [None] * 5
    doc = shop(parent_rows=0)
    assert plan(parse_spec(doc), reference_time=REFERENCE_TIME).row_counts["orders"] == 0


def test_references_inside_arrays_and_objects():
    doc = shop(order_rows=100, items={"type": "array", "of": {"type": "reference", "table": "customers"},
                                      "min_length": 3, "max_length": 3, "unique_items": True},
               meta={"type": "object", "fields": {"seller": {"type": "reference", "table": "customers"}}})
    keys = {c["cid"] for c in generate_table(doc, "customers")}
    for order in generate_table(doc, "orders"):
        assert len(set(order["items"])) == 3 and set(order["items"]) <= keys
        assert order["meta"]["seller"] in keys


def test_lookup_of_a_lookup_across_three_tables():
    doc = shop(cc={"type": "lookup", "reference": "customer", "column": "boss_name"})
    customers = {c["cid"]: c for c in generate_table(doc, "customers")}
    for order in generate_table(doc, "orders"):
        assert order["cc"] == customers[order["customer"]]["boss_name"]


def test_timeseries_and_series_time_restart_for_each_parent():
    doc = shop(t={"type": "series_time", "start": "2025-01-01T00:00:00Z", "step": "1h"},
               v={"type": "timeseries", "base": 5, "trend": 1, "walk": 0.5},
               n={"type": "timeseries", "base": 0, "trend": 10})
    orders = generate_table(doc, "orders", chunk_size=13)
    for _, group in groupby(orders, key=lambda o: o["customer"]):
        run = list(group)
        assert [o["t"] for o in run] == [f"2025-01-01T{h:02d}:00:00Z" for h in range(len(run))]
        assert [o["n"] for o in run] == [10.0 * k for k in range(len(run))]
        assert run[0]["v"] == 5.0  # a walk starts from zero at each series start
    assert len({o["v"] for o in orders}) > len(orders) / 2


def test_all_types_references_resolve():
    countries = {c["code"]: c for c in generate_table(ALL_TYPES, "countries")}
    customers = generate_table(ALL_TYPES, "customers")
    by_id = {c["id"]: c for c in customers}
    for customer in customers:
        assert customer["country_name"] == countries[customer["country"]]["name"]
        assert customer["handle"] == slugify(f"{customer['first_name']} {customer['country_name']}")
    for order in generate_table(ALL_TYPES, "orders"):
        parent = by_id[order["customer"]]
        assert order["customer_email"] == parent["email"]
        assert order["label"] == f"{parent['number']}-{order['order_id']}"


@pytest.mark.parametrize("scale", [0.5, 2])
def test_rows_scale_scales_integer_rows_and_per_tables_follow(scale):
    base = plan(parse_spec(shop()), reference_time=REFERENCE_TIME)
    scaled = plan(parse_spec(shop()), reference_time=REFERENCE_TIME, rows_scale=scale)
    assert scaled.row_counts["customers"] == int(200 * scale)
    assert 0.8 * scale < scaled.row_counts["orders"] / base.row_counts["orders"] < 1.2 * scale
