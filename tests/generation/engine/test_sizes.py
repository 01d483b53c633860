"""Table sizes: `scale: false` tables, absolute row counts per table, and how they meet rows_scale."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.generation.engine import Problem, SpecError, generate_chunk, parse_spec, plan
from apps.generation.engine.limits import MAX_TABLE_ROWS

REFERENCE = datetime(2025, 6, 1, 12, tzinfo=UTC)


def sized_spec(version: str = "1.1", scale: str = "false") -> str:
    return f"""
version: {version}
name: sized
tables:
  countries:
    rows: 5
    scale: {scale}
    columns:
      code: {{type: choice, values: [AT, BE, CH, DE, ES], unique: true}}
  people:
    rows: 10
    columns:
      id: {{type: sequence, unique: true}}
      country: {{type: reference, table: countries, column: code}}
  visits:
    rows: {{per: person, min: 2, max: 2}}
    columns:
      person: {{type: reference, table: people, column: id}}
"""


def test_a_scale_false_table_keeps_its_rows_whatever_rows_scale():
    spec = parse_spec(sized_spec())
    for scale in (0.2, 1, 10, 100):
        counts = plan(spec, seed=1, reference_time=REFERENCE, rows_scale=scale).row_counts
        assert counts["countries"] == 5
        assert counts["people"] == round(10 * scale)
        assert counts["visits"] == 2 * counts["people"]  # a per table follows its parent


def test_without_scale_false_a_unique_lookup_table_cannot_grow():
    spec = parse_spec(sized_spec(scale="true"))
    with pytest.raises(SpecError) as caught:
        plan(spec, seed=1, reference_time=REFERENCE, rows_scale=2)
    assert any(p.path == "tables.countries.columns.code" for p in caught.value.problems)


def test_version_1_documents_keep_their_normalised_form_and_hash():
    doc = sized_spec(version="1").replace("    scale: false\n", "")
    first = parse_spec(doc)
    assert "scale" not in first.doc["tables"]["countries"] and first.doc["version"] == 1
    # A version 1.1 document saying scale: true means the same as saying nothing.
    assert parse_spec(sized_spec(scale="true")).doc["tables"]["countries"] == first.doc["tables"]["countries"]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.replace("scale: false", "scale: 'no'"),
     Problem("tables.countries.scale", "must be true or false, got a string")),
    (lambda d: d.replace("scale: false", "scale: 0"),
     Problem("tables.countries.scale", "must be true or false, got an integer")),
    (lambda d: d.replace("version: 1.1", "version: 1"), Problem("tables.countries.scale", "needs version: 1.1")),
])
def test_bad_scale_values_name_their_path(change, expected):
    with pytest.raises(SpecError) as caught:
        parse_spec(change(sized_spec()))
    assert expected in caught.value.problems


def test_scale_false_on_a_per_table_is_refused():
    doc = sized_spec().replace("    rows: {per: person, min: 2, max: 2}\n",
                               "    rows: {per: person, min: 2, max: 2}\n    scale: false\n")
    with pytest.raises(SpecError) as caught:
        parse_spec(doc)
    assert [p.path for p in caught.value.problems] == ["tables.visits.scale"]
    assert "follows its parent" in caught.value.problems[0].message


def test_absolute_rows_win_over_rows_scale_and_scale_false():
    spec = parse_spec(sized_spec())
    the_plan = plan(spec, seed=1, reference_time=REFERENCE, rows_scale=3, rows={"people": 7, "countries": 2})
    assert the_plan.row_counts == {"countries": 2, "people": 7, "visits": 14}
    assert the_plan.manifest()["rows"] == {"people": 7, "countries": 2}
    assert plan(spec, seed=1, reference_time=REFERENCE).manifest()["rows"] == {}
    assert the_plan.key != plan(spec, seed=1, reference_time=REFERENCE, rows_scale=3).key
    people = generate_chunk(the_plan, "people", 0, 7).rows()
    assert [row["id"] for row in people] == list(range(1, 8))


def test_absolute_rows_give_the_same_rows_as_the_same_count_by_scale():
    spec = parse_spec(sized_spec())
    by_rows = plan(spec, seed=4, reference_time=REFERENCE, rows={"people": 20})
    by_scale = plan(spec, seed=4, reference_time=REFERENCE, rows_scale=2)
    assert by_rows.row_counts == by_scale.row_counts
    for table in ("people", "visits"):
        count = by_rows.row_counts[table]
        assert generate_chunk(by_rows, table, 0, count).json_rows() == \
            generate_chunk(by_scale, table, 0, count).json_rows()


@pytest.mark.parametrize(("rows", "path", "words"), [
    ({"nope": 3}, "rows.nope", "unknown table 'nope'"),
    ({"visits": 3}, "rows.visits", "follows its parent"),
    ({"people": -1}, "rows.people", "at least 0"),
    ({"people": 2.5}, "rows.people", "integer"),
    ({"people": True}, "rows.people", "integer"),
    ({"people": "9"}, "rows.people", "integer"),
    ({"people": MAX_TABLE_ROWS + 1}, "rows.people", "at most"),
    ([("people", 3)], "rows", "mapping"),
])
def test_bad_absolute_rows_name_their_path(rows, path, words):
    with pytest.raises(SpecError) as caught:
        plan(parse_spec(sized_spec()), seed=1, reference_time=REFERENCE, rows=rows)
    problems = [p for p in caught.value.problems if p.path == path]
    assert problems and words in problems[0].message


def test_absolute_rows_are_held_to_the_quota_under_their_own_path():
    spec = parse_spec(sized_spec(), max_rows=1000)
    with pytest.raises(SpecError) as caught:
        plan(spec, seed=1, reference_time=REFERENCE, rows={"people": 5000})
    paths = {p.path for p in caught.value.problems}
    assert "rows.people" in paths and "tables" in paths  # the table and the total are both over


def test_absolute_rows_beyond_a_unique_domain_name_the_column():
    with pytest.raises(SpecError) as caught:
        plan(parse_spec(sized_spec()), seed=1, reference_time=REFERENCE, rows={"countries": 6})
    assert [p.path for p in caught.value.problems] == ["tables.countries.columns.code"]


@pytest.mark.parametrize(("template", "lookups"), [
    ("hr-basic", {"departments"}),
    ("travel-documents", {"countries"}),
])
def test_templates_with_lookup_tables_plan_at_any_scale_up_to_100(template, lookups):
    from apps.generation.engine.builtin_templates import load_template

    spec = load_template(template)
    base = plan(spec, seed=1, reference_time=REFERENCE).row_counts
    for scale in (2, 10, 100):
        counts = plan(spec, seed=1, reference_time=REFERENCE, rows_scale=scale).row_counts
        for table, rows in spec.doc["tables"].items():
            if table in lookups:
                assert counts[table] == base[table]
            elif isinstance(rows["rows"], int):
                assert counts[table] == rows["rows"] * scale
