"""`bench engine`: rows per second of the engine on the bench-persons table and on the bench-coherent table
(version 1.1: locale per row, bounds from other columns, date arithmetic, VINs of the row's make and year),
each against a plain Faker loop making the same columns.

The engine run happens in a fresh child process (multiprocessing "spawn"), pinned to one core where the
platform allows: its peak resident memory is then the whole cost of generating, interpreter and libraries
included, untouched by whatever the parent process loaded or allocated before (the child reads its own
high-water mark: `apps.core.benchmarking.peak_rss_mb`). The Faker baseline runs in the
parent on a sample (a million Faker rows would take minutes and the rate does not depend on the count).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from apps.core.benchmarking import peak_rss_mb, run_in_child, verdict
from apps.generation.engine.bench_specs import (
    BENCH_COHERENT,
    BENCH_PERSONS,
    naive_coherent_rows_per_second,
    naive_faker_rows_per_second,
    run_engine_bench,
)

HELP = ("engine throughput and peak memory on the bench-persons and bench-coherent tables, each against a plain "
        "Faker row loop")

TARGET_ROWS_PER_SECOND = 150_000
TARGET_COHERENT_ROWS_PER_SECOND = 100_000
DOCUMENTS = {"persons": BENCH_PERSONS, "coherent": BENCH_COHERENT}
TARGET_FAKER_RATIO = 50.0
TARGET_PEAK_MB = 300.0


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows the engine generates (default 1,000,000)")
    parser.add_argument("--chunk-size", type=int, default=50_000, help="rows per generate_chunk call (default 50,000)")
    parser.add_argument("--faker-sample", type=int, default=20_000,
                        help="rows of the plain Faker loop measured for the baseline (default 20,000)")


def _pin_to_one_core() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def _engine_child(rows: int, chunk_size: int, document: str, connection) -> None:
    try:
        core = _pin_to_one_core()
        # What the process holds before generating (interpreter, numpy, the engine and Faker imported),
        # so the report can tell the fixed footprint from what generation adds.
        import faker  # noqa: F401

        startup = peak_rss_mb()
        result = run_engine_bench(rows, chunk_size, DOCUMENTS[document])
        result["core"] = core
        result["startup_rss_mb"] = startup
        # The high-water mark of a process that did nothing but import the engine and generate.
        result["peak_rss_mb"] = peak_rss_mb()
        connection.send(("ok", result))
    except BaseException as exc:  # the parent reports it; a silent child would leave it waiting
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


def measure_engine(rows: int, chunk_size: int, document: str = "persons") -> dict:
    """run_engine_bench in a fresh spawned process; adds its peak RSS (MB) and the core it ran on."""
    return run_in_child(_engine_child, rows, chunk_size, document, name="the engine benchmark process")


def run(options: dict, write) -> dict:
    rows, chunk_size, sample = options["rows"], options["chunk_size"], options["faker_sample"]
    for name, value in (("--rows", rows), ("--chunk-size", chunk_size), ("--faker-sample", sample)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    table = next(iter(BENCH_PERSONS["tables"].values()))

    engine = measure_engine(rows, chunk_size)
    faker_rate = naive_faker_rows_per_second(sample)
    rate = engine["rows_per_second"]
    ratio = rate / faker_rate
    peak = engine["peak_rss_mb"]
    figures = {
        "rows": rows, "chunk_size": chunk_size, "faker_sample": sample, "seconds": engine["seconds"],
        "engine_rows_per_second": rate, "faker_rows_per_second": round(faker_rate), "ratio": round(ratio, 1),
        "peak_rss_mb": round(peak, 1), "startup_rss_mb": round(engine["startup_rss_mb"], 1),
        "output_bytes": engine["output_bytes"], "core": engine["core"],
        "passed": {"rows_per_second": rate >= TARGET_ROWS_PER_SECOND, "faker_ratio": ratio >= TARGET_FAKER_RATIO,
                   "peak_memory": peak < TARGET_PEAK_MB},
    }

    core = "one core" if engine["core"] is None else f"pinned to core {engine['core']}"
    write(f"Engine benchmark: table {BENCH_PERSONS['name']} ({len(table['columns'])} columns), {rows:,} rows, "
          f"chunk size {chunk_size:,}, {core}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    write(f"  engine (generate_chunk + json_rows)  {rate:>12,} rows/s  ({engine['seconds']:.2f} s, "
          f"{engine['output_bytes'] / 2**20:,.0f} MB of JSON)")
    write(f"  naive Faker row loop                 {faker_rate:>12,.0f} rows/s  (sample of {sample:,} rows)")
    write(f"  engine / Faker                       {ratio:>12,.1f}x")
    write(f"  peak memory of the engine process    {peak:>12,.1f} MB RSS")
    write(f"    ({engine['startup_rss_mb']:.1f} MB of it held after imports, before the first row)")
    write("")
    write(f"  {'target':<34}{'measured':>16}  result")
    passed = figures["passed"]
    write(f"  {'engine >= 150,000 rows/s':<34}{rate:>16,}  {verdict(passed['rows_per_second'])}")
    write(f"  {'engine >= 50x naive Faker':<34}{ratio:>15,.1f}x  {verdict(passed['faker_ratio'])}")
    write(f"  {'peak memory < 300 MB':<34}{peak:>13,.1f} MB  {verdict(passed['peak_memory'])}")

    coherent = measure_engine(rows, chunk_size, "coherent")
    coherent_faker = naive_coherent_rows_per_second(max(1, sample // 4))
    coherent_rate = coherent["rows_per_second"]
    coherent_table = next(iter(BENCH_COHERENT["tables"].values()))
    figures["coherent"] = {
        "seconds": coherent["seconds"], "engine_rows_per_second": coherent_rate,
        "faker_rows_per_second": round(coherent_faker), "ratio": round(coherent_rate / coherent_faker, 1),
        "peak_rss_mb": round(coherent["peak_rss_mb"], 1), "output_bytes": coherent["output_bytes"],
        "passed": {"rows_per_second": coherent_rate >= TARGET_COHERENT_ROWS_PER_SECOND},
    }
    write("")
    write(f"Table {BENCH_COHERENT['name']} ({len(coherent_table['columns'])} columns, version 1.1), {rows:,} rows, "
          f"chunk size {chunk_size:,}")
    write(f"  engine (generate_chunk + json_rows)  {coherent_rate:>12,} rows/s  ({coherent['seconds']:.2f} s, "
          f"{coherent['output_bytes'] / 2**20:,.0f} MB of JSON)")
    write(f"  naive Faker row loop                 {coherent_faker:>12,.0f} rows/s  "
          f"(sample of {max(1, sample // 4):,} rows)")
    write(f"  engine / Faker                       {coherent_rate / coherent_faker:>12,.1f}x")
    write(f"  peak memory of the engine process    {coherent['peak_rss_mb']:>12,.1f} MB RSS")
    write(f"  {'engine >= 100,000 rows/s':<34}{coherent_rate:>16,}  "
          f"{verdict(figures['coherent']['passed']['rows_per_second'])}")
    return figures
