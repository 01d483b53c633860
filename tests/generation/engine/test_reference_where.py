"""Version 1.1 `where` on references: draws among the parent rows that match, per row through `when`, the same
in any chunking; bad conditions are problems with their paths."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from apps.generation.engine import SpecError, generate_chunk, parse_spec, plan
from apps.generation.engine.types import reference

REFERENCE = datetime(2025, 1, 1, tzinfo=UTC)

DOC = {
    "version": 1.1,
    "name": "signers",
    "tables": {
        "signers": {"rows": 60, "primary_key": "id", "columns": {
            "id": {"type": "sequence"},
            "revoked_at": {"type": "date", "start": "2020-01-01", "end": "2024-01-01", "null_ratio": 0.8},
            "level": {"type": "integer", "min": 0, "max": 9},
        }},
        "documents": {"rows": 500, "columns": {
            "scenario": {"type": "choice", "values": ["valid", "revoked"], "weights": [9, 1]},
            "signer": {"type": "reference", "table": "signers", "distribution": {"zipf": {"a": 1.3}},
                       "when": [{"if": {"column": "scenario", "op": "==", "value": "revoked"},
                                 "then": {"where": {"column": "revoked_at", "op": "!=", "value": None}}}]},
            "signer_revoked_at": {"type": "lookup", "reference": "signer", "column": "revoked_at"},
            "senior": {"type": "reference", "table": "signers", "where": {"column": "level", "op": ">=", "value": 7}},
            "senior_level": {"type": "lookup", "reference": "senior", "column": "level"},
        }},
    },
}


def _rows(doc, table="documents", step=None):
    the_plan = plan(parse_spec(doc), seed=7, reference_time=REFERENCE)
    count = the_plan.row_counts[table]
    step = step or count
    return [r for start in range(0, count, step) for r in generate_chunk(the_plan, table, start,
                                                                         min(start + step, count)).rows()]


def test_where_draws_only_matching_parent_rows_and_when_sets_it_per_row():
    rows = _rows(DOC)
    revoked = [r for r in rows if r["scenario"] == "revoked"]
    assert 20 < len(revoked) < 90
    assert all(r["signer_revoked_at"] is not None for r in revoked)
    # Rows the clause does not cover draw among every signer, revoked or not.
    others = [r["signer_revoked_at"] for r in rows if r["scenario"] == "valid"]
    assert None in others and any(others)
    assert min(r["senior_level"] for r in rows) >= 7
    signers = {r["id"]: r for r in _rows(DOC, "signers")}
    seniors = {i for i, s in signers.items() if s["level"] >= 7}
    assert {r["senior"] for r in rows} <= seniors and len({r["senior"] for r in rows}) > len(seniors) // 2


def test_where_gives_the_same_rows_in_any_chunking():
    assert _rows(DOC) == _rows(DOC, step=37)


def test_where_without_a_matching_parent_row_is_null():
    doc = copy.deepcopy(DOC)
    doc["tables"]["documents"]["columns"]["senior"]["where"] = {"column": "level", "op": ">", "value": 9}
    assert all(r["senior"] is None and r["senior_level"] is None for r in _rows(doc))


@pytest.mark.parametrize(("change", "path", "message"), [
    (lambda c: c["senior"]["where"].update(column="nope"), "tables.documents.columns.senior.where.column",
     "table 'signers' has no column 'nope'"),
    (lambda c: c["senior"]["where"].update(value="high"), "tables.documents.columns.senior.where.value",
     "must be a number"),
    (lambda c: c["senior"]["where"].update(op="~"), "tables.documents.columns.senior.where.op", "unknown operator"),
    (lambda c: c["senior"].update(unique=True), "tables.documents.columns.senior.where",
     "a unique reference cannot have where"),
    (lambda c: c["signer"]["when"][0]["then"]["where"].update(column="missing"),
     "tables.documents.columns.signer.when[0].then.where.column", "table 'signers' has no column 'missing'"),
])
def test_bad_where_conditions_are_problems_with_their_paths(change, path, message):
    doc = copy.deepcopy(DOC)
    change(doc["tables"]["documents"]["columns"])
    with pytest.raises(SpecError) as caught:
        parse_spec(doc)
    problems = {p.path: p.message for p in caught.value.problems}
    assert path in problems and message in problems[path], problems


def test_where_on_a_self_reference_or_a_per_column_is_refused():
    doc = copy.deepcopy(DOC)
    doc["tables"]["signers"]["columns"]["mentor"] = {"type": "reference", "table": "signers",
                                                     "where": {"column": "level", "op": ">", "value": 5}}
    doc["tables"]["items"] = {"rows": {"per": "signer", "min": 1, "max": 2}, "columns": {
        "signer": {"type": "reference", "table": "signers", "where": {"column": "level", "op": ">", "value": 5}}}}
    with pytest.raises(SpecError) as caught:
        parse_spec(doc)
    problems = {p.path: p.message for p in caught.value.problems}
    assert "its own table" in problems["tables.signers.columns.mentor.where"]
    assert "per column" in problems["tables.items.columns.signer.where"]


def test_where_needs_version_1_1():
    doc = copy.deepcopy(DOC)
    doc["version"] = 1
    for column in ("signer_revoked_at", "senior_level"):
        doc["tables"]["documents"]["columns"].pop(column)
    doc["tables"]["documents"]["columns"]["signer"].pop("when")
    doc["tables"]["signers"]["columns"]["revoked_at"] = {"type": "date", "start": "2020-01-01", "end": "2024-01-01"}
    with pytest.raises(SpecError) as caught:
        parse_spec(doc)
    assert {p.path: p.message for p in caught.value.problems}["tables.documents.columns.senior.where"] == \
        "needs version: 1.1"


def test_a_parent_table_too_large_for_where_is_a_plan_problem(monkeypatch):
    monkeypatch.setattr(reference.limits, "MAX_WHERE_PARENT_ROWS", 50)
    with pytest.raises(SpecError) as caught:
        plan(parse_spec(DOC), seed=1, reference_time=REFERENCE)
    problems = {p.path: p.message for p in caught.value.problems}
    assert "reads at most 50" in problems["tables.documents.columns.senior.where"]
    assert "tables.documents.columns.signer.when[0].then.where" in problems
