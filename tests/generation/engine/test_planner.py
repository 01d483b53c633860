"""Planning: seeds, reference time, table order, row counts, chunks, manifest and plan-time checks."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from apps.generation.engine import Chunk, SpecError, parse_spec, plan

from .all_types import ALL_TYPES, REFERENCE_TIME
from .helpers import doc_with, problem_strings


def test_plan_fields_and_chunks():
    spec = parse_spec(ALL_TYPES)
    the_plan = plan(spec, reference_time=REFERENCE_TIME, chunk_size=100)
    assert the_plan.seed == 7
    assert the_plan.table_order == ["countries", "customers", "orders"]
    assert the_plan.row_counts["countries"] == 12 and the_plan.row_counts["customers"] == 300
    assert the_plan.chunks[:4] == [Chunk("countries", 0, 12), Chunk("customers", 0, 100), Chunk("customers", 100, 200),
                                   Chunk("customers", 200, 300)]
    orders = [c for c in the_plan.chunks if c.table == "orders"]
    assert orders[-1].stop == the_plan.row_counts["orders"]
    assert sum(len(c) for c in the_plan.chunks) == the_plan.total_rows


def test_manifest_is_json_ready_and_complete():
    the_plan = plan(parse_spec(ALL_TYPES), seed=11, reference_time=REFERENCE_TIME, chunk_size=1000)
    manifest = the_plan.manifest()
    assert manifest["seed"] == 11
    assert manifest["reference_time"] == "2025-05-01T13:45:00Z"
    assert manifest["spec_hash"] == the_plan.spec.hash
    assert manifest["row_counts"] == the_plan.row_counts
    assert manifest["table_order"] == ["countries", "customers", "orders"]
    import json

    json.dumps(manifest)


def test_reference_time_is_aware_utc_and_seed_defaults():
    spec = parse_spec(doc_with({"c": {"type": "uuid"}}))
    naive = plan(spec, reference_time=datetime(2025, 1, 1, 12, 0, 0, 123456))
    assert naive.reference_time == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    shifted = plan(spec, reference_time=datetime(2025, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    assert shifted.reference_time == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    now = plan(spec)
    assert abs((now.reference_time - datetime.now(UTC)).total_seconds()) < 5
    assert plan(spec).seed == 1  # the document's seed
    doc = doc_with({"c": {"type": "uuid"}})
    doc.pop("seed")
    unseeded = parse_spec(doc)
    seeds = {plan(unseeded).seed for _ in range(3)}
    assert len(seeds) == 3 and all(0 <= s < 2**63 for s in seeds)


def test_tables_subset_plans_only_their_chunks_but_counts_every_table():
    the_plan = plan(parse_spec(ALL_TYPES), reference_time=REFERENCE_TIME, tables=["orders"])
    assert {c.table for c in the_plan.chunks} == {"orders"}
    assert set(the_plan.row_counts) == {"countries", "customers", "orders"}


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"seed": -5}, "seed: must be an integer from 0 to"),
    ({"seed": "x"}, "seed: must be an integer from 0 to"),
    ({"rows_scale": 0}, "rows_scale: must be a number greater than 0"),
    ({"chunk_size": 0}, "chunk_size: must be a positive integer"),
    ({"tables": ["nope"]}, "tables: unknown table 'nope'"),
])
def test_bad_plan_arguments(kwargs, expected):
    with pytest.raises(SpecError) as caught:
        plan(parse_spec(ALL_TYPES), **kwargs)
    assert str(caught.value.problems[0]).startswith(expected)


def test_planned_total_above_quota_is_rejected():
    doc = {"version": 1, "name": "q", "tables": {
        "a": {"rows": 10, "primary_key": "id", "columns": {"id": {"type": "sequence"}}},
        "b": {"rows": {"per": "a_id", "min": 5, "max": 5}, "columns": {"a_id": {"type": "reference", "table": "a"}}}}}
    # Validation sizes a `per` table by its largest count (10 parents x 5), so the quota is met before any plan.
    with pytest.raises(SpecError) as caught:
        parse_spec(doc, max_rows=55)
    assert [str(p) for p in caught.value.problems] == ["tables: the tables plan 60 rows in total, above the limit "
                                                       "of 55"]
    assert plan(parse_spec(doc, max_rows=60)).total_rows == 60
    with pytest.raises(SpecError) as caught:
        plan(parse_spec(doc, max_rows=60), rows_scale=2)
    assert "tables.b.rows: 100 rows is above the limit of 60" in [str(p) for p in caught.value.problems]


def test_relative_dates_are_checked_against_the_plan_reference_time():
    spec = parse_spec(doc_with({"c": {"type": "date", "start": "2020-01-01", "end": "today"}}, rows=5))
    assert plan(spec, reference_time=REFERENCE_TIME).row_counts == {"t": 5}
    with pytest.raises(SpecError) as caught:
        plan(spec, reference_time=datetime(2019, 6, 1, tzinfo=UTC))
    assert [str(p) for p in caught.value.problems] == [
        "tables.t.columns.c: start (2020-01-01) is after end (today) at the reference time 2019-06-01T00:00:00+00:00"]


def test_a_pickled_plan_generates_the_same_rows():
    import pickle

    from apps.generation.engine import generate_chunk

    the_plan = plan(parse_spec(ALL_TYPES), reference_time=REFERENCE_TIME)
    copy = pickle.loads(pickle.dumps(the_plan))  # noqa: S301 - our own object
    assert copy.key == the_plan.key
    assert generate_chunk(copy, "orders", 10, 60).json_rows() == generate_chunk(the_plan, "orders", 10, 60).json_rows()


def test_sequence_beyond_64_bits_is_rejected_at_plan_time():
    # Validation refuses what the document's own row counts would overflow; rows_scale is only known to the plan.
    doc = doc_with({"c": {"type": "sequence", "start": 2**62, "step": 2**40}}, rows=5)
    spec = parse_spec(doc)
    with pytest.raises(SpecError) as caught:
        plan(spec, rows_scale=10**6)
    assert [str(p) for p in caught.value.problems][-1].startswith("tables.t.columns.c: the sequence reaches ")
    doc["tables"]["t"]["columns"]["c"]["step"] = 2**62
    assert problem_strings(doc) == [
        "tables.t.columns.c: the sequence reaches 23058430092136939520 by row 5, beyond 64-bit integers"]
