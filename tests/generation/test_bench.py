"""`manage.py bench`: a small run of the engine benchmark."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from apps.generation.benchmarks import engine as engine_bench


def test_engine_benchmark_prints_figures_and_verdicts():
    stdout = io.StringIO()
    call_command("bench", "engine", "--rows", "6000", "--chunk-size", "2500", "--faker-sample", "300", stdout=stdout)
    text = stdout.getvalue()
    assert "bench-persons" in text and "6,000 rows" in text and "chunk size 2,500" in text
    assert re.search(r"engine \(generate_chunk \+ json_rows\)\s+[\d,]+ rows/s", text)
    assert re.search(r"naive Faker row loop\s+[\d,]+ rows/s\s+\(sample of 300 rows\)", text)
    assert re.search(r"engine / Faker\s+[\d.,]+x", text)
    assert re.search(r"peak memory of the engine process\s+[\d.,]+ MB RSS", text)
    for target in ("engine >= 150,000 rows/s", "engine >= 50x naive Faker", "peak memory < 300 MB"):
        assert re.search(re.escape(target) + r"\s+\S+( MB|x)?\s+(PASS|MISS)$", text, re.MULTILINE), target


def test_engine_benchmark_returns_its_figures():
    figures = engine_bench.run({"rows": 3000, "chunk_size": 1000, "faker_sample": 200}, lambda line: None)
    assert figures["rows"] == 3000
    assert figures["engine_rows_per_second"] > 0 and figures["faker_rows_per_second"] > 0
    # A fresh interpreter with numpy and Faker loaded is tens of MB; generating 3000 rows adds little.
    assert 20 < figures["peak_rss_mb"] < 1000


def test_bad_benchmark_arguments():
    with pytest.raises(CommandError):
        call_command("bench", "nonexistent")
    with pytest.raises(CommandError, match="--rows"):
        call_command("bench", "engine", "--rows", "0")
