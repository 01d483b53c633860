"""`bench api` end to end at a tiny size on PostgreSQL: gunicorn starts on loopback, every phase and endpoint
class is measured and printed, and the run leaves nothing behind."""

from __future__ import annotations

import re

import pytest

from apps.datasets import benchmarks_api
from apps.generation.benchmarks import BENCHMARKS
from apps.tenants.models import Tenant

# The gunicorn workers read what this process wrote: real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def test_it_is_registered():
    assert BENCHMARKS["api"].run is benchmarks_api.run


def test_the_benchmark_serves_measures_and_cleans_up(on_postgres):
    from django_q.models import OrmQ

    queued_before = OrmQ.objects.count()
    lines = []
    figures = benchmarks_api.run({"rows": 2000, "clients": 4, "seconds": 3.0, "warmup": 0.0,
                                  "phases": "ceiling,records,mix"}, lines.append)
    text = "\n".join(lines)
    assert re.search(r"gunicorn: \d+ (gthread|sync) workers", text)
    for label in ("ceiling: plain Django view, raw query", "records API at random cursors", "mixed load"):
        assert label in text
    for phase in ("ceiling", "records", "mix"):
        total = figures["phases"][phase]["all"]
        assert total["requests"] > 0 and total["errors"] == 0, (phase, text)
        assert 0 < total["p50"] <= total["p95"] <= total["p99"]
    # Every class of the mix ran, and is printed with its own line.
    assert set(figures["phases"]["mix"]) == {*benchmarks_api.MIX, "all"}
    for kind in benchmarks_api.MIX:
        assert re.search(rf"^\s+{re.escape(kind)}\s+[\d,]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+0$", text,
                         re.MULTILINE), kind
    assert figures["records_ceiling_ratio"] > 0 and figures["mix_ceiling_ratio"] > 0
    assert re.search(r"mixed load / ceiling\s+[\d.]+x req/s", text)
    for target in (">= 150 requests/s", "p99 < 500 ms", "0 errors"):
        assert re.search(re.escape(target) + r"\s+[\d.]+( ms)?\s+(PASS|MISS)$", text, re.MULTILINE), target
    assert set(figures["passed"]) == {"rps", "p99", "errors"} and figures["passed"]["errors"]
    # Nothing the run made is left: the tenant (datasets, versions, jobs) and the generates' queued tasks.
    assert not Tenant.objects.filter(slug__startswith="bench-api-").exists()
    assert OrmQ.objects.count() == queued_before


def test_the_benchmark_refuses_sqlite(db):
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("checks the refusal on SQLite")
    with pytest.raises(ValueError, match="PostgreSQL"):
        benchmarks_api.run({"rows": 2000, "clients": 2, "seconds": 1.0, "warmup": 0.0}, lambda line: None)


def test_the_ceiling_view_answers_only_the_runs_key(settings, rf):
    from django.http import Http404

    settings.SYNTHHUB_BENCH_KEY = "k" * 64
    for headers in ({}, {"HTTP_X_BENCH_KEY": "wrong"}):
        with pytest.raises(Http404):
            benchmarks_api.ceiling_records_view(rf.get("/bench/ceiling/records/?version=1&table=t", **headers))


def test_with_the_key_the_ceiling_view_reads(on_postgres, settings, rf):
    settings.SYNTHHUB_BENCH_KEY = "k" * 64
    # (nothing here: the version does not exist)
    response = benchmarks_api.ceiling_records_view(
        rf.get("/bench/ceiling/records/?version=0&table=t", HTTP_X_BENCH_KEY="k" * 64))
    assert response.status_code == 200 and b'"results":[]' in response.content


def test_the_bench_settings_refuse_to_load_without_a_key(monkeypatch):
    import runpy

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delenv("SYNTHHUB_BENCH_KEY", raising=False)
    monkeypatch.setenv("SYNTHHUB_BENCH_SETTINGS", "synthhub.settings.test")
    with pytest.raises(ImproperlyConfigured, match="bench api"):
        runpy.run_module("synthhub.settings.bench")
