"""`bench documents`: signed travel documents per second on one core, beside cryptography's raw ECDSA rate.

A fresh child process (multiprocessing "spawn", pinned to one core) plans the example spec
docs/examples/travel-documents-pki.yaml with N passports and M driving licences, the document signers on the
chosen curve, and generates them block by block: first every other column of the block, then the `sod`
(passports) or `mdoc` (driving licences) column alone, so the signing figure counts exactly what the document
column does (signer lookup, DG hashes, DER/CBOR encoding, deterministic ECDSA), and the table figure counts
whole rows. In the same child and run, `cryptography` signs messages of the same size with deterministic
ECDSA on the same curve: the raw rate, sampled before the run and again before every block's document column
(RAW_PER_BLOCK signatures), so on a busy machine both rates see the same conditions. The same rates are also
given on the child's CPU time (time.process_time), which waits for the core do not inflate. Peak memory is
the child's high-water mark.
"""

from __future__ import annotations

import copy
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from apps.core.benchmarking import peak_rss_mb, run_in_child, verdict

HELP = "SOD and mDL signatures per second on one core, beside cryptography's raw deterministic ECDSA rate"

TARGET_RAW_RATIO = 0.5
TARGET_PEAK_MB = 400.0
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "travel-documents-pki.yaml"
RAW_SIGNATURES = 3_000
RAW_PER_BLOCK = 1_000
BENCH_SECRET = b"bench-document-secret"


def add_arguments(parser) -> None:
    parser.add_argument("--passports", type=int, default=100_000, help="passports with SODs (default 100,000)")
    parser.add_argument("--mdl", type=int, default=50_000, help="mDL documents (default 50,000)")
    parser.add_argument("--curve", default="P-256", help="curve of the document signers (default P-256)")


class _Raw:
    """`cryptography` signing 110-byte messages (the size of a SOD's signed attributes) with deterministic ECDSA
    on the curve: signatures and seconds, summed over every sample."""

    def __init__(self, curve_name: str):
        from cryptography.hazmat.primitives.asymmetric import ec

        from apps.generation.engine.pki import keys
        from apps.generation.engine.pki.curves import CURVES

        self.key = keys.private_key(curve_name, b"raw", 1, "raw", "raw", 0)
        self.algorithm = ec.ECDSA(CURVES[curve_name].hash(), deterministic_signing=True)
        self.signatures = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    def sample(self, count: int) -> None:
        messages = [os.urandom(110) for _ in range(count)]
        key, algorithm = self.key, self.algorithm
        started, cpu_started = time.perf_counter(), time.process_time()
        for message in messages:
            key.sign(message, algorithm)
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.process_time() - cpu_started
        self.signatures += count

    def rate(self) -> float:
        return self.signatures / self.seconds

    def cpu_rate(self) -> float:
        return self.signatures / self.cpu_seconds


def _time_table(runtime, table: str, column: str, raw: _Raw | None = None) -> tuple[float, float, float]:
    """(seconds for the document column, seconds for the whole rows, CPU seconds for the document column) over
    every block of `table`; `raw` takes a sample before each block's document column."""
    from apps.generation.engine.rowcounts import BLOCK_ROWS

    signing = whole = cpu = 0.0
    for block in range(-(-runtime.row_counts[table] // BLOCK_ROWS)):
        ctx = runtime.block(table, block)
        started = time.perf_counter()
        for name in ctx.table.order:
            if name != column:
                ctx.get(name)
        ready = time.perf_counter()
        if raw is not None:
            raw.sample(RAW_PER_BLOCK)
            # The sample is not part of the rows' time.
            started += time.perf_counter() - ready
            ready = time.perf_counter()
        cpu_ready = time.process_time()
        ctx.get(column)
        done = time.perf_counter()
        cpu += time.process_time() - cpu_ready
        signing += done - ready
        whole += done - started
    return signing, whole, cpu


def _child(passports: int, mdl: int, curve: str, connection) -> None:
    try:
        core = None
        if hasattr(os, "sched_setaffinity"):
            core = min(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {core})
        import yaml

        from apps.generation.engine import parse_spec, plan
        from apps.generation.engine.runtime import runtime_for

        doc = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))
        doc["tables"]["passports"]["rows"] = passports
        doc["tables"]["driving_licences"]["rows"] = mdl
        doc["tables"]["signers"]["columns"]["certificate"]["curve"] = curve
        raw = _Raw(curve)
        raw.sample(RAW_SIGNATURES)
        the_plan = plan(parse_spec(doc), reference_time=datetime(2025, 1, 1, tzinfo=UTC),
                        document_secret=BENCH_SECRET)
        runtime = runtime_for(the_plan)
        sod_seconds, passport_seconds, sod_cpu = _time_table(runtime, "passports", "sod", raw)
        mdl_seconds, licence_seconds, mdl_cpu = _time_table(runtime, "driving_licences", "mdl", raw)
        connection.send(("ok", {
            "core": core, "curve": curve, "raw_per_second": raw.rate(), "raw_signatures": raw.signatures,
            "raw_per_cpu_second": raw.cpu_rate(), "sod_cpu_seconds": sod_cpu, "mdl_cpu_seconds": mdl_cpu,
            "passports": passports, "mdl": mdl,
            "sod_seconds": sod_seconds, "passport_seconds": passport_seconds,
            "mdl_seconds": mdl_seconds, "licence_seconds": licence_seconds, "peak_rss_mb": peak_rss_mb(),
        }))
    except BaseException as exc:  # the parent reports it; a silent child would leave it waiting
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


def run(options: dict, write) -> dict:
    passports, mdl, curve = options["passports"], options["mdl"], options["curve"]
    from apps.generation.engine.pki.curves import CURVES

    if curve not in CURVES:
        raise ValueError(f"unknown curve {curve!r} (available: {', '.join(CURVES)})")
    if passports < 1 or mdl < 1:
        raise ValueError("--passports and --mdl must be at least 1")
    result = run_in_child(_child, passports, mdl, curve, name="bench-documents")
    raw = result["raw_per_second"]
    sod_rate = passports / result["sod_seconds"]
    mdl_rate = mdl / result["mdl_seconds"]
    signatures = passports + mdl
    overall = signatures / (result["sod_seconds"] + result["mdl_seconds"])
    end_to_end = signatures / (result["passport_seconds"] + result["licence_seconds"])
    write(f"bench documents: {passports:,} passports with SODs + {mdl:,} mDL, document signers on {curve}, "
          f"one core ({result['core']})")
    write(f"  raw cryptography deterministic ECDSA sign ({curve}): {raw:,.0f} signatures/s "
          f"({result['raw_signatures']:,} signatures sampled through the run)")
    write(f"  SOD column:  {sod_rate:,.0f} signatures/s ({sod_rate / raw:.2f}x raw)")
    write(f"  mDL column:  {mdl_rate:,.0f} signatures/s ({mdl_rate / raw:.2f}x raw)")
    write(f"  both:        {overall:,.0f} signatures/s ({overall / raw:.2f}x raw; target >= {TARGET_RAW_RATIO}x) "
          f"{verdict(overall / raw >= TARGET_RAW_RATIO)}")
    write(f"  whole rows (every column, Faker names and MRZ included): {end_to_end:,.0f} documents/s "
          f"({end_to_end / raw:.2f}x raw)")
    # The same on CPU time (time.process_time of the child): what the signing costs the core, whatever else the
    # machine runs (wall time on a shared machine also counts the waits for the core).
    raw_cpu = result["raw_per_cpu_second"]
    sod_cpu, mdl_cpu = passports / result["sod_cpu_seconds"], mdl / result["mdl_cpu_seconds"]
    both_cpu = signatures / (result["sod_cpu_seconds"] + result["mdl_cpu_seconds"])
    write(f"  on CPU time: raw {raw_cpu:,.0f}/s, SOD {sod_cpu:,.0f}/s ({sod_cpu / raw_cpu:.2f}x), mDL {mdl_cpu:,.0f}/s "
          f"({mdl_cpu / raw_cpu:.2f}x), both {both_cpu:,.0f}/s ({both_cpu / raw_cpu:.2f}x raw; target >= "
          f"{TARGET_RAW_RATIO}x) {verdict(both_cpu / raw_cpu >= TARGET_RAW_RATIO)}")
    write(f"  peak RSS: {result['peak_rss_mb']:.0f} MB (target < {TARGET_PEAK_MB:.0f} MB) "
          f"{verdict(result['peak_rss_mb'] < TARGET_PEAK_MB)}")
    return {**result, "sod_per_second": sod_rate, "mdl_per_second": mdl_rate, "signatures_per_second": overall,
            "documents_per_second": end_to_end, "signatures_per_cpu_second": both_cpu}
