"""Each built-in template generates rows a domain expert accepts: its timelines and cross-column facts hold at
rows_scale 1 and 10 (template_rules lists the rules), and it generates at rows_scale 100."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.generation.engine import generate_chunk, plan
from apps.generation.engine.builtin_templates import load_template, template_names

from .report import Report
from .template_rules import CHECKERS

REFERENCE_TIME = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SEED = 20250601

def generated_report(name: str, rows_scale: float) -> Report:
    spec = load_template(name)
    the_plan = plan(spec, seed=SEED, reference_time=REFERENCE_TIME, rows_scale=rows_scale)
    tables = {table: list(generate_chunk(the_plan, table, 0, the_plan.row_counts[table]).rows())
              for table in the_plan.table_order}
    # Rows are named by their primary key, or by their first column in a table that declares none.
    keys = {table: spec.doc["tables"][table]["primary_key"] or next(iter(spec.doc["tables"][table]["columns"]))
            for table in tables}
    return Report(name, tables, keys)


def check_references(report: Report, doc: dict):
    """Every reference value names an existing row of its parent table."""
    for table_name, table in doc["tables"].items():
        for column, spec in table["columns"].items():
            if spec["type"] != "reference":
                continue
            parent = spec["column"] or doc["tables"][spec["table"]]["primary_key"]
            keys = {row[parent] for row in report.rows(spec["table"])}
            report.rule(table_name, f"{column} references an existing {spec['table']} row",
                        lambda row, column=column, keys=keys: row[column] is not None and row[column] not in keys)


def assert_consistent(name: str, rows_scale: float):
    report = generated_report(name, rows_scale)
    check_references(report, load_template(name).doc)
    CHECKERS[name](report, REFERENCE_TIME)
    assert report.rules_checked > 5
    assert not report.failures, report.message()


def test_every_template_has_a_checker():
    assert set(CHECKERS) == set(template_names())


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_template_is_consistent_at_rows_scale_1(name):
    assert_consistent(name, 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_template_is_consistent_at_rows_scale_10(name):
    assert_consistent(name, 10)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_template_generates_at_rows_scale_100(name):
    """Plans at rows_scale 100 and generates the first and last 20,000 rows of every table."""
    the_plan = plan(load_template(name), seed=SEED, reference_time=REFERENCE_TIME, rows_scale=100)
    for table in the_plan.table_order:
        count = the_plan.row_counts[table]
        assert count > 0, table
        head = generate_chunk(the_plan, table, 0, min(count, 20_000))
        tail = generate_chunk(the_plan, table, max(0, count - 20_000), count)
        assert len(head) == min(count, 20_000) and len(tail) == min(count, 20_000)
        assert head.columns and tail.columns
