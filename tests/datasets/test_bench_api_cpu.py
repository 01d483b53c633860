"""`bench api-cpu` at a tiny size on PostgreSQL: every class of the mix is measured and printed, the lists are
filled first, bad options are refused, and the run leaves nothing behind."""

from __future__ import annotations

import re

import pytest

from apps.datasets import benchmarks_api, benchmarks_api_cpu
from apps.generation.benchmarks import BENCHMARKS
from apps.tenants.models import Tenant

# The generate child process reads what this process wrote: real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def test_it_is_registered():
    assert BENCHMARKS["api-cpu"].run is benchmarks_api_cpu.run


def test_the_benchmark_measures_every_class_and_cleans_up(on_postgres):
    from django_q.models import OrmQ

    queued_before = OrmQ.objects.count()
    lines = []
    figures = benchmarks_api_cpu.run({"rows": 200, "rounds": 2, "warmup": 0, "fill": 3}, lines.append)
    text = "\n".join(lines)
    for kind, weight in benchmarks_api.MIX.items():
        row = figures[kind]
        # Two passes over the 20-request sequence: each class as often as its weight says.
        assert row["requests"] == 2 * weight // 5, kind
        assert 0 < row["median_ms"] <= row["p90_ms"], kind
        assert re.search(rf"^\s+{re.escape(kind)}\s+\d+\s+{weight}%\s+[\d.]+\s+[\d.]+$", text, re.MULTILINE), kind
    assert figures["mix"]["mean_ms"] > 0
    assert re.search(r"mix, weighted mean of the medians: [\d.]+ ms CPU per request", text)
    assert not Tenant.objects.filter(slug__startswith="bench-api-").exists()
    assert OrmQ.objects.count() == queued_before


def test_the_benchmark_refuses_bad_options_and_sqlite(db):
    from django.db import connection

    if connection.vendor == "postgresql":
        with pytest.raises(ValueError, match="--rounds"):
            benchmarks_api_cpu.run({"rows": 200, "rounds": 0, "warmup": 0, "fill": 0}, lambda line: None)
        with pytest.raises(ValueError, match="--rows"):
            benchmarks_api_cpu.run({"rows": 10, "rounds": 1, "warmup": 0, "fill": 0}, lambda line: None)
        return
    with pytest.raises(ValueError, match="PostgreSQL"):
        benchmarks_api_cpu.run({"rows": 200, "rounds": 1, "warmup": 0, "fill": 0}, lambda line: None)
