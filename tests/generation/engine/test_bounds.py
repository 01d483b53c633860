"""Bounds from other columns (version 1.1): start/end of dates and datetimes, min/max of numbers."""

from datetime import date, datetime, timedelta

import pytest

from apps.generation.engine import generate_chunk, parse_spec, plan, runtime
from apps.generation.engine.errors import GenerationError

from .all_types import REFERENCE_TIME
from .coherent import COHERENT, coherent, passports
from .helpers import doc_with, generate_table, problem_strings


def d(text):
    return date.fromisoformat(text) if text else None


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: month arithmetic clamps to the month's last day
        return day.replace(year=day.year + years, day=28)


def v11(columns: dict, rows=50) -> dict:
    doc = doc_with(columns, rows=rows)
    doc["version"] = 1.1
    return doc


@pytest.fixture(scope="module")
def rows():
    return passports()


@pytest.fixture(scope="module")
def signers():
    return {row["id"]: row for row in generate_table(COHERENT, "signers")}


def test_each_row_draws_inside_its_own_interval(rows, signers):
    today = REFERENCE_TIME.date()
    issued = [row for row in rows if row["issue_date"] is not None]
    assert len(issued) > 300
    for row in issued:
        birth, issue, expiry = d(row["birth_date"]), d(row["issue_date"]), d(row["expiry_date"])
        signer = signers[row["signer"]]
        assert issue >= add_years(birth, 16)
        assert d(signer["valid_from"]) <= issue <= min(today, d(signer["valid_to"]))
        assert add_years(issue, 5) <= expiry <= add_years(issue, 10) - timedelta(days=1)
        assert 1 <= row["tokens"] <= signer["max_tokens"]
        assert row["tokens"] / 2 <= row["score"] <= row["tokens"]
        signed = datetime.fromisoformat(row["signed_at"].replace("Z", "+00:00"))
        assert signed.date() == issue


def test_values_spread_over_each_interval(rows):
    spans = {(d(r["expiry_date"]) - d(r["issue_date"])).days for r in rows if r["issue_date"]}
    assert min(spans) < 5 * 366 + 60 and max(spans) > 10 * 365 - 60


def test_on_empty_null_makes_the_row_and_its_dependants_null(rows, signers):
    empty = [row for row in rows if row["issue_date"] is None]
    assert empty, "some signers expire before their holders turn 16"
    for row in empty:
        birth, signer = d(row["birth_date"]), signers[row["signer"]]
        low = max(add_years(birth, 16), d(signer["valid_from"]))
        high = min(REFERENCE_TIME.date(), d(signer["valid_to"]))
        assert low > high
        assert row["expiry_date"] is None and row["signed_at"] is None and row["age_at_issue"] is None


def test_on_empty_clamp_takes_the_lower_bound():
    doc = coherent(issue_date={"type": "date", "start": "birth_date + 16y", "end": "birth_date + 15y"})
    for row in passports(doc):
        assert d(row["issue_date"]) == add_years(d(row["birth_date"]), 16)


def test_on_empty_error_fails_the_chunk_naming_column_and_row():
    doc = coherent(issue_date={"type": "date", "start": "birth_date + 16y", "end": "birth_date + 15y",
                               "on_empty": "error"})
    with pytest.raises(GenerationError) as caught:
        passports(doc)
    assert str(caught.value).startswith("tables.passports.columns.issue_date: row 0: the interval is empty (start ")
    assert "on_empty is error" in str(caught.value)


def test_month_arithmetic_clamps_to_the_end_of_the_month():
    doc = v11({"d": {"type": "date", "start": "2020-01-31", "end": "2020-01-31"},
               "next": {"type": "date", "start": "d + 1mo", "end": "d + 1mo"},
               "year_on": {"type": "date", "start": "2020-02-29 + 1y", "end": "next + 1y"}}, rows=3)
    assert {(r["next"], r["year_on"]) for r in generate_table(doc)} == {("2020-02-29", "2021-02-28")}


def test_a_null_column_makes_the_bound_null():
    doc = v11({"a": {"type": "integer", "min": 0, "max": 10, "null_ratio": 0.5},
               "b": {"type": "integer", "min": "a", "max": "a + 5"}}, rows=200)
    out = generate_table(doc)
    assert any(r["a"] is None for r in out)
    for r in out:
        assert (r["b"] is None) == (r["a"] is None)
        assert r["b"] is None or r["a"] <= r["b"] <= r["a"] + 5


def test_dates_past_year_9999_after_arithmetic_are_null_not_a_crash():
    doc = v11({"a": {"type": "date", "start": "9990-01-01", "end": "9999-01-01"},
               "b": {"type": "date", "start": "a + 999999y", "end": "a + 999999y"},
               "c": {"type": "datetime", "start": "a", "end": "a + 999999d"}}, rows=20)
    out = generate_table(doc)
    assert all(r["b"] is None and r["c"] is None for r in out)


def test_integer_bounds_past_the_limit_after_arithmetic_are_null_not_wrapped():
    # n * 2**62 wrapped around in 64 bits (to 0 for n = 4) and gave the row an interval the document never asked for.
    doc = v11({"n": {"type": "integer", "min": 2, "max": 9},
               "v": {"type": "integer", "min": 0, "max": "n * 4611686018427387904"},
               "w": {"type": "integer", "min": "-n", "max": "n + 4611686018427387890", "on_empty": "error"}}, rows=50)
    out = generate_table(doc)
    assert all(r["v"] is None for r in out)
    assert all(-r["n"] <= r["w"] <= r["n"] + 2**62 - 14 for r in out)


def test_an_integer_interval_spanning_both_limits_is_drawn_across_it():
    # From -2**62 to 2**62 the span is 2**63, one past int64: every row used to get 2**62.
    doc = v11({"n": {"type": "integer", "min": 0, "max": 5},
               "v": {"type": "integer", "min": "-4611686018427387904 + n * 0", "max": "4611686018427387904"},
               "u": {"type": "integer", "min": "n - 4611686018427387904", "max": "4611686018427387904 - n"}}, rows=200)
    out = generate_table(doc)
    for name in ("v", "u"):
        values = [r[name] for r in out]
        assert all(-(2**62) <= v <= 2**62 for v in values)
        assert all(-(2**62) + r["n"] <= r["u"] <= 2**62 - r["n"] for r in out)
        assert sum(v < 0 for v in values) > 60 and sum(v > 0 for v in values) > 60
        assert len(set(values)) > 190


def test_distributions_keep_working_over_each_rows_interval():
    doc = v11({"low": {"type": "integer", "min": 0, "max": 1000},
               "n": {"type": "integer", "min": "low", "max": "low + 100", "distribution": "normal"},
               "e": {"type": "float", "min": "low", "max": "low + 10", "distribution": {"exponential": {}}}},
              rows=2000)
    out = generate_table(doc)
    offsets = [r["n"] - r["low"] for r in out]
    assert all(0 <= o <= 100 for o in offsets)
    middle = sum(1 for o in offsets if 35 <= o <= 65) / len(offsets)
    assert middle > 0.55  # normal around the middle, std a sixth of the interval (uniform: 0.3)
    assert all(r["low"] <= r["e"] <= r["low"] + 10 for r in out)
    assert sum(r["e"] - r["low"] for r in out) / len(out) < 4  # exponential leans to the lower end


def _bytes(the_plan, table, chunk_size, fresh=False):
    out = []
    count = the_plan.row_counts[table]
    for start in range(0, count, chunk_size):
        if fresh:
            runtime._RUNTIMES.clear()
        out.extend(generate_chunk(the_plan, table, start, min(start + chunk_size, count)).json_rows())
    return b"\n".join(out)


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_chunk_sizes_give_the_same_bytes(chunk_size):
    the_plan = plan(parse_spec(COHERENT), reference_time=REFERENCE_TIME)
    runtime._RUNTIMES.clear()
    whole = _bytes(the_plan, "passports", 400)
    runtime._RUNTIMES.clear()
    assert _bytes(the_plan, "passports", chunk_size, fresh=chunk_size == 1000) == whole


def test_chunks_across_blocks_give_the_same_bytes():
    doc = coherent()
    doc["tables"]["passports"]["rows"] = 20_000
    the_plan = plan(parse_spec(doc), reference_time=REFERENCE_TIME)
    runtime._RUNTIMES.clear()
    whole = _bytes(the_plan, "passports", 20_000)
    runtime._RUNTIMES.clear()
    assert _bytes(the_plan, "passports", 7_001, fresh=True) == whole


def test_static_bounds_in_a_version_1_1_document_generate_version_1_bytes():
    columns = {"d": {"type": "date", "start": "-2y", "end": "today"},
               "n": {"type": "integer", "min": 5, "max": 50, "distribution": "normal"}}
    assert generate_table(v11(columns)) == generate_table(doc_with(columns))


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(("columns", "expected"), [
    ({"a": {"type": "date", "start": "nope + 1d", "end": "today"}},
     "tables.t.columns.a.start: names unknown column 'nope'"),
    ({"a": {"type": "date", "start": "a - 1d", "end": "today"}},
     "tables.t.columns.a.start: cannot read its own column"),
    ({"b": {"type": "integer"}, "a": {"type": "date", "start": "b.x", "end": "today"}},
     "tables.t.columns.a.start: b.x: 'b' is not a reference column of this table"),
    ({"b": {"type": "date"}, "a": {"type": "integer", "min": 0, "max": "b"}},
     "tables.t.columns.a.max: is a date expression; a bound of a integer column must be int"),
    ({"b": {"type": "float"}, "a": {"type": "integer", "min": "b", "max": 10}},
     "tables.t.columns.a.min: is a float expression; a bound of a integer column must be int"),
    ({"b": {"type": "integer"}, "a": {"type": "date", "start": "b", "end": "today"}},
     "tables.t.columns.a.start: is a int expression; a bound of a date column must be date or datetime"),
    ({"b": {"type": "string"}, "a": {"type": "date", "start": "b + 1d", "end": "today"}},
     "tables.t.columns.a.start: a duration can only be added to or taken from a date or datetime (not str + duration)"),
    ({"a": {"type": "date", "start": "today + 1000000y", "end": "today"}},
     "tables.t.columns.a.start: durations are at most 999,999 units"),
    ({"a": {"type": "date", "start": "max(" * 60 + "today" + ", today)" * 60, "end": "today"}},
     "tables.t.columns.a.start: expression is nested too deeply"),
    ({"a": {"type": "date", "start": "today +", "end": "today"}},
     "tables.t.columns.a.start: invalid expression syntax: invalid syntax"),
    ({"a": {"type": "date", "start": "__import__('os')", "end": "today"}},
     "tables.t.columns.a.start: only these functions may be called: "),
    ({"a": {"type": "date", "start": "-1y", "end": "today", "on_empty": "skip"}},
     "tables.t.columns.a.on_empty: must be one of clamp, null, error, got 'skip'"),
    ({"b": {"type": "date"}, "a": {"type": "date", "start": "b", "end": "b + 1y", "unique": True}},
     "tables.t.columns.a: a unique column cannot take its bounds from other columns"),
])
def test_bad_bounds_are_refused_with_their_path(columns, expected):
    problems = problem_strings(v11(columns))
    assert any(p.startswith(expected) for p in problems), problems


def test_a_cycle_between_bounds_is_refused_with_its_path():
    problems = problem_strings(v11({"a": {"type": "date", "start": "b", "end": "b + 1y"},
                                    "b": {"type": "date", "start": "a - 1y", "end": "a"}}))
    assert problems == ["tables.t.columns.a: columns depend on each other in a cycle: a -> b -> a"]


def test_ref_column_must_exist_in_the_parent():
    doc = coherent(issue_date={"type": "date", "start": "signer.valid_since", "end": "today"})
    assert ("tables.passports.columns.issue_date.start: signer.valid_since: table 'signers' has no column "
            "'valid_since'") in problem_strings(doc)


def test_bound_expressions_need_version_1_1():
    columns = {"b": {"type": "date"}, "a": {"type": "date", "start": "b + 16y", "end": "today", "on_empty": "null"},
               "n": {"type": "integer", "min": 0, "max": "b"}}
    problems = problem_strings(doc_with(columns))
    assert any(p.startswith("tables.t.columns.a.start: invalid date 'b + 16y'") and p.endswith("need `version: 1.1`")
               for p in problems)
    assert "tables.t.columns.a.on_empty: needs `version: 1.1`" in problems
    assert any(p.startswith("tables.t.columns.n.max: must be a number, got a string") for p in problems)


def test_a_when_clause_may_set_bounds_from_columns():
    doc = v11({"kind": {"type": "choice", "values": ["minor", "adult"]},
               "birth": {"type": "date", "start": "-60y", "end": "-1y"},
               "issued": {"type": "date", "start": "birth + 18y", "end": "birth + 30y",
                          "when": [{"if": {"column": "kind", "op": "==", "value": "minor"},
                                    "then": {"start": "birth", "end": "birth + 17y"}}]}}, rows=300)
    for r in generate_table(doc):
        years = (d(r["issued"]) - d(r["birth"])).days / 365.25
        assert (years < 17.1) if r["kind"] == "minor" else (17.9 < years < 30.1)
