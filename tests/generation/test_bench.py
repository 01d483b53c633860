"""`manage.py bench`: a small run of the engine benchmark."""

from __future__ import annotations

import io
import re

import orjson
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
    assert "bench-coherent" in text and "version 1.1" in text
    for target in ("engine >= 150,000 rows/s", "engine >= 50x naive Faker", "peak memory < 300 MB",
                   "engine >= 100,000 rows/s"):
        assert re.search(re.escape(target) + r"\s+\S+( MB|x)?\s+(PASS|MISS)$", text, re.MULTILINE), target


def test_engine_benchmark_returns_its_figures():
    figures = engine_bench.run({"rows": 3000, "chunk_size": 1000, "faker_sample": 200}, lambda line: None)
    assert figures["rows"] == 3000
    assert figures["engine_rows_per_second"] > 0 and figures["faker_rows_per_second"] > 0
    # A fresh interpreter with numpy and Faker loaded is tens of MB; generating 3000 rows adds little.
    assert 20 < figures["peak_rss_mb"] < 1000
    coherent = figures["coherent"]
    assert coherent["engine_rows_per_second"] > 0 and coherent["faker_rows_per_second"] > 0
    assert coherent["output_bytes"] > 3000 * 150  # every row is written (about 250 bytes of JSON each)


def test_bad_benchmark_arguments():
    with pytest.raises(CommandError):
        call_command("bench", "nonexistent")
    with pytest.raises(CommandError, match="--rows"):
        call_command("bench", "engine", "--rows", "0")


def test_bench_coherent_rows_agree_with_themselves():
    """The bench-coherent table generates rows whose dates, VINs and locales agree (what its figure measures)."""
    from apps.generation.engine import generate_chunk, parse_spec, plan, vin
    from apps.generation.engine.bench_specs import BENCH_COHERENT, BENCH_REFERENCE_TIME, bench_document

    the_plan = plan(parse_spec(bench_document(BENCH_COHERENT, 3000)), reference_time=BENCH_REFERENCE_TIME)
    rows = [orjson.loads(row) for row in generate_chunk(the_plan, "drivers", 0, 3000).json_rows()]
    today = BENCH_REFERENCE_TIME.date().isoformat()
    for row in rows:
        birth, licensed, registered = row["birth_date"], row["licensed_on"], row["registered_on"]
        sixteenth = f"{int(birth[:4]) + 16}{birth[4:]}"
        assert sixteenth <= licensed <= today and licensed <= registered <= today, row
        decoded = vin.decode(row["vin"])
        assert decoded["make"] == row["make"] and decoded["model_year"] == row["model_year"], row
        assert decoded["check_digit_valid"] and row["odometer_km"] >= 0, row
    assert {row["country"] for row in rows} == set(BENCH_COHERENT["tables"]["drivers"]["columns"]["country"]["values"])


def test_documents_benchmark_prints_both_rates_with_the_raw_rate_sampled_through_the_run():
    stdout = io.StringIO()
    call_command("bench", "documents", "--passports", "300", "--mdl", "100", stdout=stdout)
    text = stdout.getvalue()
    assert "300 passports with SODs + 100 mDL, document signers on P-256" in text
    # 3,000 signatures before the run and 1,000 before each block's document column (one block per table).
    assert re.search(r"raw cryptography deterministic ECDSA sign \(P-256\): [\d,]+ signatures/s "
                     r"\(5,000 signatures sampled through the run\)", text)
    for line in ("SOD column:", "mDL column:", "whole rows (every column, Faker names and MRZ included):"):
        assert re.search(re.escape(line) + r"\s+[\d,]+ (signatures|documents)/s \([\d.]+x raw", text), line
    assert re.search(r"both:\s+[\d,]+ signatures/s \([\d.]+x raw; target >= 0.5x\) (PASS|MISS)", text)
    # The same rates on the child's CPU time.
    assert re.search(r"on CPU time: raw [\d,]+/s, SOD [\d,]+/s \([\d.]+x\), mDL [\d,]+/s \([\d.]+x\), both [\d,]+/s "
                     r"\([\d.]+x raw; target >= 0.5x\) (PASS|MISS)", text)
