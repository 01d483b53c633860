"""`bench persist` and `bench jobs` at a tiny size on PostgreSQL: the report carries every figure."""

from __future__ import annotations

import re

import pytest

from apps.datasets import benchmarks as persist_bench
from apps.datasets.models import Dataset, Record
from apps.generation.benchmarks import jobs as jobs_bench
from apps.tenants.models import Tenant

# The benchmarks' child processes and qcluster workers read what this process wrote: real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def test_persist_benchmark_reports_its_figures_and_cleans_up(on_postgres):
    lines = []
    figures = persist_bench.run({"rows": 3000, "chunk_size": 1000, "page_requests": 3, "filter_requests": 5,
                                 "baseline_requests": 2}, lines.append)
    text = "\n".join(lines)
    assert figures["rows"] == 3000 and figures["deep_row"] == 2700
    assert figures["persist_rows_per_second"] > 0 and figures["ceiling_rows_per_second"] > 0
    assert figures["first_page_ms"] > 0 and figures["deep_page_ms"] > 0
    assert 20 < figures["peak_rss_mb"] < 2000
    assert re.search(r"persist \(version_generate: engine \+ records_write_chunk\)\s+[\d,]+ rows/s", text)
    assert re.search(r"ceiling \(raw COPY of the pre-serialised rows\)\s+[\d,]+ rows/s", text)
    assert re.search(r"records page at row 2,700 \(cursor\)\s+[\d.]+ ms", text)
    assert re.search(r"peak memory of the persisting process\s+[\d.]+ MB RSS", text)
    for target in ("persist >= 0.6x the raw COPY ceiling", "deep page <= 2x the first page"):
        assert re.search(re.escape(target) + r"\s+[\d.]+x\s+(PASS|MISS)$", text, re.MULTILINE), target
    assert re.search(r"then GIN index on data \+ ANALYZE of the version\s+[\d.]+ s", text)
    for label in ("records page at a random cursor", "filter data__email (1 row)",
                  "filter data__city + data__department", "the same, without the GIN index (baseline)"):
        assert re.search(re.escape(label) + r"\s+[\d.]+ ms\s+[\d.]+ ms", text), label
    assert set(figures["filters_ms"]) == {"cursor", "email", "email_baseline", "city", "city_baseline", "query",
                                          "query_baseline"}
    assert re.search(r"data filter p95 < 50 ms\s+[\d.]+ ms\s+(PASS|MISS)$", text, re.MULTILINE)
    # Nothing the run made is left behind.
    assert not Tenant.objects.filter(slug__startswith="bench-persist-").exists()
    assert not Dataset.all_objects.filter(name="bench-persons").exists()
    assert not Record.all_objects.exists()


def test_persist_benchmark_refuses_sqlite(db):
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("checks the refusal on SQLite")
    with pytest.raises(ValueError, match="PostgreSQL"):
        persist_bench.run({"rows": 3000, "chunk_size": 1000, "page_requests": 3}, lambda line: None)


def test_jobs_benchmark_reports_its_figures(on_postgres, monkeypatch, settings):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # the test settings run tasks in-process; the benchmark needs a queue
    settings.SYNTHHUB_CHUNK_ROWS = 1000
    lines = []
    figures = jobs_bench.run({"rows": 4000, "small_rows": 2000, "two_clusters": False, "timeout": 180},
                             lines.append)
    text = "\n".join(lines)
    one, both, small = figures["runs"]
    assert (one["workers"], one["rows"]) == (1, 4000)
    assert (both["workers"], both["rows"]) == (2, 4000)
    assert (small["workers"], small["rows"]) == (2, 2000)
    assert all(run["chunks"] == run["rows"] // 1000 for run in figures["runs"])
    assert figures["ceiling_rows_per_second"] > 0 and figures["two_workers_rows_per_second"] > 0
    assert 20 < figures["peak_rss_mb"] < 2000
    assert "ORM" in figures["broker"] and "one qcluster process with 2 workers" in text
    assert re.search(r"raw COPY ceiling, 4,000 rows pre-serialised\s+[\d,]+ rows/s", text)
    assert re.search(r"job, 2 workers, 4,000 rows\s+[\d,]+ rows/s\s+\([\d.]+ s from request to succeeded", text)
    assert re.search(r"worker pid \d+: \d+ chunks, peak [\d.]+ MB RSS \(VmHWM\)", text)
    for target in ("two workers >= 0.5x the raw COPY ceiling", "peak memory per worker < 400 MB",
                   "flat: 2,000 -> 4,000 rows adds <= 10%"):
        assert re.search(re.escape(target) + r"\s+[+\-\d.]+( MB|x)\s+(PASS|MISS)$", text, re.MULTILINE), target
    assert not Tenant.objects.filter(slug__startswith="bench-jobs-").exists()


def test_jobs_benchmark_reports_the_fairness_line(on_postgres, monkeypatch, settings):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.SYNTHHUB_CHUNK_ROWS = 500
    lines = []
    figures = jobs_bench.run({"rows": 4000, "small_rows": 2000, "two_clusters": False, "timeout": 180,
                              "fairness_rows": 8000, "fairness_only": True}, lines.append)
    text = "\n".join(lines)
    base, capped = figures["fairness"]["baseline"], figures["fairness"]["capped"]
    assert (base["cap"], capped["cap"], base["big_chunks"]) == (0, 4, 16)
    assert base["seconds"] > 0 and capped["seconds"] > 0
    assert re.search(r"without cap or round-robin \(baseline\)\s+[\d.]+ s", text)
    assert re.search(r"cap 4 chunks per tenant, round-robin\s+[\d.]+ s", text)
    assert not Tenant.objects.filter(slug__startswith="bench-jobs-").exists()


def test_jobs_benchmark_refuses_a_synchronous_queue(on_postgres):
    with pytest.raises(ValueError, match="sync"):
        jobs_bench.run({"rows": 4000, "small_rows": 2000, "two_clusters": False, "timeout": 60}, lambda line: None)


def test_jobs_benchmark_reports_the_cost_of_logging_and_metrics(on_postgres, monkeypatch, settings):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.SYNTHHUB_CHUNK_ROWS = 1000
    lines = []
    figures = jobs_bench.run({"rows": 4000, "small_rows": 2000, "two_clusters": False, "timeout": 180,
                              "observability_only": True, "observability_rounds": 1}, lines.append)
    text = "\n".join(lines)
    observed = figures["observability"]
    assert observed["off_rows_per_second"] > 0 and observed["on_rows_per_second"] > 0
    assert observed["metric_files"] > 0  # the "on" workers wrote their metrics; the "off" ones wrote none
    assert re.search(r"off \(WARNING logs, metrics discarded\)\s+[\d,]+ rows/s", text)
    assert re.search(r"on \(JSON logs at INFO, multiprocess metrics\)\s+[\d,]+ rows/s", text)
    assert re.search(r"throughput lost to logging and metrics <= 5%\s+-?[\d.]+%\s+(PASS|MISS)$", text, re.MULTILINE)
    assert 0 < observed["per_chunk_us"] < 1_000_000 and observed["chunk_seconds"] > 0
    assert re.search(r"their work per chunk \(log line, metric updates\)\s+[\d,.]+ us", text)
    assert not Tenant.objects.filter(slug__startswith="bench-jobs-").exists()
