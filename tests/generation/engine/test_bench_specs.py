"""The bench-persons table and the benchmark functions."""

import re

from apps.generation.engine import parse_spec
from apps.generation.engine.bench_specs import BENCH_PERSONS, naive_faker_rows_per_second, run_engine_bench

from .helpers import generate_table


def test_bench_persons_is_valid_and_has_twelve_realistic_columns():
    spec = parse_spec(BENCH_PERSONS)
    columns = spec.doc["tables"]["persons"]["columns"]
    assert len(columns) == 12
    assert columns["email"]["unique"] is True
    small = {**BENCH_PERSONS, "tables": {"persons": {**BENCH_PERSONS["tables"]["persons"], "rows": 500}}}
    rows = generate_table(small, "persons")
    assert [r["id"] for r in rows] == list(range(1, 501))
    assert len({r["email"] for r in rows}) == 500
    assert all(r["email"].startswith(f"{r['first_name']}.{r['last_name']}".lower()) for r in rows)
    assert all(25000 <= r["salary"] <= 250000 for r in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["date_of_birth"]) for r in rows)


def test_bench_functions_measure():
    report = run_engine_bench(20_000, 5_000)
    assert report["rows"] == 20_000 and report["rows_per_second"] > 0 and report["output_bytes"] > 20_000 * 100
    assert report["peak_rss_mb"] > 0
    assert naive_faker_rows_per_second(50) > 0
