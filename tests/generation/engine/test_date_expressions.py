"""Expressions of version 1.1: dates, datetimes, booleans, parents and seeded per-row draws."""

from datetime import date

import pytest

from apps.exports.writers.columns import table_schema
from apps.generation.engine import parse_spec

from .coherent import COHERENT, coherent, passports
from .helpers import doc_with, generate_table, problem_strings


def v11(columns: dict, rows=20) -> dict:
    doc = doc_with(columns, rows=rows)
    doc["version"] = 1.1
    return doc


def one_row(exprs: dict, **columns) -> dict:
    spec = {**{name: {"type": "expression", "expr": text} for name, text in exprs.items()}, **columns}
    return generate_table(v11(spec, rows=1))[0]


def fixed(day: str) -> dict:
    return {"type": "date", "start": day, "end": day}


def test_date_arithmetic_and_parts():
    row = one_row({"plus": "d + 10", "minus": "d - 1", "diff": "e - d", "y": "year(d)", "m": "month(d)",
                   "dd": "day(d)", "later": "d + 1y + 2mo", "dt_days": "t - d"},
                  d=fixed("2020-01-31"), e=fixed("2021-01-31"),
                  t={"type": "datetime", "start": "2020-02-01T12:00:00Z", "end": "2020-02-01T12:00:00Z"})
    assert row["plus"] == "2020-02-10" and row["minus"] == "2020-01-30"
    assert row["diff"] == 366
    assert (row["y"], row["m"], row["dd"]) == (2020, 1, 31)
    assert row["later"] == "2021-03-31"
    assert row["dt_days"] == 1.5


@pytest.mark.parametrize(("birth", "on", "years"), [
    ("2000-02-29", "2001-02-28", 0), ("2000-02-29", "2001-03-01", 1), ("1990-05-01", "2025-05-01", 35),
    ("1990-05-02", "2025-05-01", 34), ("2025-05-01", "1990-05-02", -34),
])
def test_years_between_counts_completed_years(birth, on, years):
    assert one_row({"age": "years_between(b, o)"}, b=fixed(birth), o=fixed(on))["age"] == years


@pytest.mark.parametrize(("day", "months", "expected"), [
    ("2020-01-31", 1, "2020-02-29"), ("2021-01-31", 1, "2021-02-28"), ("2020-03-31", -1, "2020-02-29"),
    ("2020-05-15", 12, "2021-05-15"), ("2020-05-15", -13, "2019-04-15"),
])
def test_add_months_clamps_to_the_month_end(day, months, expected):
    assert one_row({"r": f"add_months(d, {months})"}, d=fixed(day))["r"] == expected


def test_comparisons_and_boolean_logic_give_booleans():
    row = one_row({"before": "d < e", "same": "d == d", "both": "d < e and e < d", "either": "d < e or e < d",
                   "neg": "not (d < e)", "label": "s == 'x'", "today_after": "today > d"},
                  d=fixed("2020-01-01"), e=fixed("2020-06-01"), s={"type": "constant", "value": "x"})
    assert row == {**row, "before": True, "same": True, "both": False, "either": True, "neg": False,
                   "label": True, "today_after": True}


def test_where_picks_per_row():
    doc = v11({"n": {"type": "integer", "min": 0, "max": 10},
               "d": fixed("2020-01-01"),
               "w": {"type": "expression", "expr": "where(n > 5, d + 1y, d)"},
               "x": {"type": "expression", "expr": "where(n > 5, n, 0.5)"}}, rows=100)
    for r in generate_table(doc):
        assert r["w"] == ("2021-01-01" if r["n"] > 5 else "2020-01-01")
        assert r["x"] == (r["n"] if r["n"] > 5 else 0.5)


def test_ref_column_reads_the_parent_row():
    rows = passports()
    signers = {r["id"]: r for r in generate_table(COHERENT, "signers")}
    doc = coherent(signer_from={"type": "expression", "expr": "signer.valid_from"},
                   gap={"type": "expression", "expr": "issue_date - signer.valid_from"})
    for r in passports(doc):
        assert r["signer_from"] == signers[r["signer"]]["valid_from"]
        if r["issue_date"]:
            assert r["gap"] == (date.fromisoformat(r["issue_date"]) - date.fromisoformat(r["signer_from"])).days
    assert len(rows) == 400


def test_result_kinds_are_inferred_and_kept_in_the_document():
    doc = parse_spec(COHERENT).doc
    columns = doc["tables"]["passports"]["columns"]
    assert [columns[c]["result"] for c in ("age_at_issue", "valid_days", "adult", "noisy")] == \
        ["int", "int", "bool", "float"]
    schema = {c.name: str(c.type) for c in table_schema(doc, "passports").columns}
    assert schema["adult"] == "boolean" and schema["valid_days"] == "integer"
    date_doc = parse_spec(v11({"d": fixed("2020-01-01"), "e": {"type": "expression", "expr": "d + 1"}})).doc
    assert {c.name: str(c.type) for c in table_schema(date_doc, "t").columns}["e"] == "date"


def test_draws_are_seeded_per_row_and_per_call():
    doc = v11({"a": {"type": "expression", "expr": "normal(0, 1)"},
               "b": {"type": "expression", "expr": "normal(0, 1)"},
               "u": {"type": "expression", "expr": "uniform(2, 3)"},
               "r": {"type": "expression", "expr": "randint(1, 6)"},
               "coin": {"type": "expression", "expr": "bernoulli(0.25)"},
               "pair": {"type": "expression", "expr": "uniform(0, 1) - uniform(0, 1)"}}, rows=4000)
    first, again = generate_table(doc), generate_table(doc, chunk_size=7)
    assert first == again
    assert any(r["a"] != r["b"] for r in first)  # each column draws from its own stream
    assert all(2 <= r["u"] <= 3 for r in first)
    assert {r["r"] for r in first} == {1, 2, 3, 4, 5, 6}
    share = sum(r["coin"] for r in first) / len(first)
    assert 0.2 < share < 0.3
    assert any(r["pair"] != 0 for r in first)  # two calls, two draws
    mean = sum(r["a"] for r in first) / len(first)
    assert abs(mean) < 0.1
    assert generate_table(doc, seed=2)[0]["a"] != first[0]["a"]


def test_a_column_follows_another_plus_noise():
    rows = passports()
    pairs = [(r["valid_days"], r["noisy"]) for r in rows if r["valid_days"] is not None]
    assert all(abs(noisy - days) < 40 for days, noisy in pairs)
    assert any(noisy != days for days, noisy in pairs)


def test_undefined_results_are_null():
    row = one_row({"div": "n // 0", "far": "d + 999999y", "far_days": "d + 4000000", "bad_std": "normal(0, -1)",
                   "bad_range": "randint(5, 1)", "bad_p": "bernoulli(2)"},
                  n={"type": "constant", "value": 3}, d=fixed("2020-01-01"))
    assert [row[k] for k in ("div", "far", "far_days", "bad_std", "bad_range", "bad_p")] == [None] * 6


def test_nulls_propagate():
    doc = v11({"d": {"type": "date", "null_ratio": 0.5},
               "e": {"type": "expression", "expr": "d + 1"},
               "y": {"type": "expression", "expr": "year(d) > 0"}}, rows=100)
    out = generate_table(doc)
    assert any(r["d"] is None for r in out)
    for r in out:
        assert (r["e"] is None) == (r["d"] is None) == (r["y"] is None)


@pytest.mark.parametrize(("expr", "expected"), [
    ("d + d", "dates take + or - a number of days or a duration (not date + date)"),
    ("d * 2", "dates take + or - a number of days or a duration (not date * int)"),
    ("year(5)", "year() needs a date or datetime, not int"),
    ("'a' < s", "strings can only be compared with == and !=, not <"),
    ("d < 5", "< cannot compare date with int"),
    ("where(5, 1, 2)", "where()'s condition needs true/false values, not int"),
    ("not 5", "not needs true/false values, not int"),
    ("min(d, 5)", "min() cannot mix dates with int"),
    ("add_months(d, 1.5)", "add_months() needs a whole number of months"),
    ("randint(1, 2.5)", "randint() needs whole numbers"),
    ("years_between(d, 3)", "years_between() needs two dates, not date and int"),
    ("t", "column 't' holds time values, which expressions cannot read"),
    ("d.x", "d.x: 'd' is not a reference column of this table"),
    ("missing + 1", "names unknown column 'missing'"),
    ("open('x')", "only these functions may be called"),
    ("d < e < d", "comparisons take one of"),
    ("[d]", "List is not allowed in an expression"),
    ("e", "cannot read its own column"),
    ("_iso(5)", "dates are written as ISO literals"),
    ("_duration(1, 'x')", "a duration is a whole number and a unit"),
    ("_duration(n, 'd')", "a duration is a whole number and a unit"),
    ("d + 2020-13-45", "invalid date '2020-13-45'"),
    ("d + 1000000d", "durations are at most 999,999 units"),
])
def test_type_mismatches_are_found_before_generation(expr, expected):
    doc = v11({"d": fixed("2020-01-01"), "s": {"type": "constant", "value": "x"}, "n": {"type": "integer"},
               "t": {"type": "time"}, "e": {"type": "expression", "expr": expr}})
    problems = problem_strings(doc)
    assert any(p.startswith("tables.t.columns.e.expr: ") and expected in p for p in problems), problems


def test_version_1_expressions_keep_version_1_rules():
    doc = doc_with({"d": fixed("2020-01-01"), "e": {"type": "expression", "expr": "d + 1"}})
    assert problem_strings(doc) == ["tables.t.columns.e.expr: column 'd' holds date values, not numbers"]
    doc = doc_with({"n": {"type": "integer"}, "e": {"type": "expression", "expr": "n > 1"}})
    assert problem_strings(doc) == ["tables.t.columns.e.expr: Compare is not allowed in an expression"]


def test_a_when_clause_cannot_change_an_expressions_kind():
    doc = v11({"d": fixed("2020-01-01"), "n": {"type": "integer"},
               "e": {"type": "expression", "expr": "d + 1",
                     "when": [{"if": {"column": "n", "op": ">", "value": 5}, "then": {"expr": "n + 1"}}]}})
    assert problem_strings(doc) == ["tables.t.columns.e.when[0].then: makes int values where the column makes "
                                    "date values; a when clause cannot change the kind of a column's values"]


def test_expressions_read_expressions_in_dependency_order():
    doc = v11({"c": {"type": "expression", "expr": "b + 1y"},
               "b": {"type": "expression", "expr": "a + 1"},
               "a": fixed("2020-01-01")}, rows=2)
    assert generate_table(doc)[0] == {"c": "2021-01-02", "b": "2020-01-02", "a": "2020-01-01"}


def test_integer_results_past_64_bits_are_null_not_wrapped():
    # numpy's int64 arithmetic wraps around silently: 4 * 2**62 came out as 0 and 3 * 2**62 as -2**62.
    least = "((2 - n) - 9223372036854775807)"  # -2**63
    row = one_row({"times": "n * 4611686018427387904", "plus": "9223372036854775807 + n",
                   "minus": "-9223372036854775807 - n", "neg": f"-{least}", "floor": f"{least} // -1",
                   "abs": f"abs({least})", "wrap": f"{least} * -1", "least": f"{least} * 1",
                   "fits": "n * 2305843009213693952", "small": "-n * 3 + 1"},
                  n={"type": "constant", "value": 3})
    assert [row[k] for k in ("times", "plus", "minus", "neg", "floor", "abs", "wrap")] == [None] * 7
    assert (row["least"], row["fits"], row["small"]) == (-(2**63), 3 * 2**61, -8)
