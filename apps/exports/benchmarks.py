"""`bench export`: CSV and Parquet export throughput and peak memory on PostgreSQL, against a raw COPY.

The rows are `bench-persons` (apps/generation/engine/bench_specs.py) stored as records of a ready version,
generated once through the datasets services and reused by later runs. For each size (100k and 1M rows by
default), in the same run:

- **raw COPY**: `COPY (SELECT data FROM datasets_record WHERE ... ORDER BY row_index) TO STDOUT WITH CSV`
  read by psycopg into a temporary file: the database's own floor for getting the rows out;
- **CSV** and **Parquet**: `files.write_export`, the function the export task runs, writing to a temporary
  file through the same sha256-counting stream; each in a fresh child process (multiprocessing "spawn"),
  whose peak resident memory (VmHWM) is then the export's whole cost, interpreter, Django and pyarrow included.

Not included: the export task's final copy of the file into Django's storage (a file copy).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime

from apps.core.benchmarking import peak_rss_mb, run_in_child, verdict

HELP = "export throughput and peak memory (CSV, Parquet) of bench-persons records on PostgreSQL, beside raw COPY"

TARGET_COPY_RATIO = 0.5
TARGET_PEAK_MB = 250.0
BENCH_TENANT = "bench"


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large run (default 1,000,000)")
    parser.add_argument("--small-rows", type=int, default=100_000,
                        help="rows of the small run, to show memory stays flat (default 100,000)")


def bench_version_id(rows: int) -> int | None:
    from apps.datasets.models import DatasetVersion, VersionStatus

    return DatasetVersion.objects.filter(
        dataset__tenant__slug=BENCH_TENANT, dataset__name=f"bench-persons-{rows}", status=VersionStatus.READY,
        row_counts={"persons": rows}).order_by("-number").values_list("pk", flat=True).first()


def _generate_child(rows: int, pipe) -> None:
    """Store `rows` bench-persons rows as a ready version through the datasets services."""
    try:
        import django

        django.setup()
        from apps.datasets import services as dataset_services
        from apps.datasets.models import Dataset
        from apps.generation.engine.bench_specs import BENCH_PERSONS, BENCH_REFERENCE_TIME
        from apps.tenants import services as tenant_services
        from apps.tenants.models import Tenant

        owner, _ = tenant_services.user_get_or_create(email="bench-owner@example.com")
        tenant = Tenant.objects.filter(slug=BENCH_TENANT).first() or tenant_services.tenant_create(
            name="Benchmarks", slug=BENCH_TENANT, owner=owner)
        tenant.max_rows_per_version = max(tenant.max_rows_per_version, rows)
        tenant.save(update_fields=["max_rows_per_version"])
        name = f"bench-persons-{rows}"
        spec = {**BENCH_PERSONS, "tables": {"persons": {**BENCH_PERSONS["tables"]["persons"], "rows": rows}}}
        dataset = Dataset.objects.filter(tenant=tenant, name=name).first() or dataset_services.dataset_create(
            tenant=tenant, actor=owner, name=name, spec=spec)
        version, _ = dataset_services.version_create(dataset=dataset, actor=owner,
                                                     reference_time=BENCH_REFERENCE_TIME)
        pipe.send(("ok", dataset_services.version_generate(version=version, actor=owner).pk))
    except BaseException as exc:  # the parent reports it; a silent child would leave it waiting
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


def bench_version(rows: int, write) -> int:
    """The id of a ready bench-persons version with `rows` rows in the bench tenant: reused, or made now.

    Generating happens in a child process, so this process stays as small as it was after start-up.
    """
    existing = bench_version_id(rows)
    if existing is not None:
        return existing
    write(f"  storing {rows:,} bench-persons rows as records (once; later runs reuse them)...")
    started = time.perf_counter()
    version_id = run_in_child(_generate_child, rows, name="bench-generate")
    write(f"  ... stored in {time.perf_counter() - started:.1f} s")
    return version_id


def raw_copy(version_id: int) -> dict:
    """The baseline: the rows straight out of PostgreSQL as CSV, into a file."""
    from django.db import connection

    from apps.datasets.models import Record

    statement = (f"COPY (SELECT data FROM {Record._meta.db_table} WHERE version_id = {int(version_id)} "  # noqa: S608
                 "AND table_name = 'persons' AND deleted_at IS NULL ORDER BY row_index) TO STDOUT WITH CSV")
    connection.ensure_connection()
    written = 0
    with tempfile.TemporaryFile() as out, connection.connection.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy(statement) as copy:
            for block in copy:
                written += out.write(block)
        out.flush()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": written}


def _export_child(version_id: int, fmt: str, pipe) -> None:
    try:
        import django

        django.setup()
        from apps.datasets.models import DatasetVersion
        from apps.exports.files import write_export
        from apps.exports.services import version_doc
        from apps.exports.writers.streams import ForwardingWriter

        version = DatasetVersion.objects.select_related("dataset").get(pk=version_id)
        doc = version_doc(version)
        startup = peak_rss_mb()
        with tempfile.TemporaryFile() as out:
            sink = ForwardingWriter(out, sha256=True)
            started = time.perf_counter()
            counts = write_export(sink, version=version, doc=doc, dataset_name=version.dataset.name, fmt=fmt,
                                  tables=["persons"], options={})
            sink.flush()
            seconds = time.perf_counter() - started
        pipe.send(("ok", {"seconds": seconds, "rows": counts["persons"], "bytes": sink.bytes_written,
                          "peak_rss_mb": peak_rss_mb(), "startup_rss_mb": startup}))
    except BaseException as exc:  # the parent reports it; a silent child would leave it waiting
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


def measure_export(version_id: int, fmt: str) -> dict:
    """write_export of one format in a fresh spawned process: seconds, rows, bytes and its peak RSS."""
    return run_in_child(_export_child, version_id, fmt, name=f"bench-export-{fmt}")




def run(options: dict, write) -> dict:
    from django.db import close_old_connections, connection

    if connection.vendor != "postgresql":
        raise ValueError("bench export measures PostgreSQL: set DATABASE_URL=postgres://... (and migrate) first")
    sizes = sorted({options["small_rows"], options["rows"]})
    if sizes[0] < 1:
        raise ValueError("--rows and --small-rows must be at least 1")
    write(f"Export benchmark: table bench-persons (12 columns) on PostgreSQL, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    versions = {rows: bench_version(rows, write) for rows in sizes}
    close_old_connections()
    write(f"  this process holds {peak_rss_mb():.1f} MB when it starts the export processes")
    results = {}
    for rows, version_id in versions.items():
        raw_copy(version_id)  # warm-up: every measured reader then finds the table in the page cache
        copy = raw_copy(version_id)
        csv = measure_export(version_id, "csv")
        parquet = measure_export(version_id, "parquet")
        for name, result in (("csv", csv), ("parquet", parquet)):
            if result["rows"] != rows:
                raise RuntimeError(f"the {name} export wrote {result['rows']:,} rows, not {rows:,}")
        results[rows] = {"copy": copy, "csv": csv, "parquet": parquet}

    large, small = results[sizes[-1]], results[sizes[0]]
    figures = {"cpus": os.cpu_count(), "runs": {}}
    for rows, result in results.items():
        copy_rate = rows / result["copy"]["seconds"]
        figures["runs"][rows] = {
            "copy_rows_per_second": round(copy_rate),
            **{f"{fmt}_rows_per_second": round(rows / result[fmt]["seconds"]) for fmt in ("csv", "parquet")},
            **{f"{fmt}_peak_rss_mb": round(result[fmt]["peak_rss_mb"], 1) for fmt in ("csv", "parquet")},
            "csv_copy_ratio": round(rows / result["csv"]["seconds"] / copy_rate, 2),
            "parquet_copy_ratio": round(rows / result["parquet"]["seconds"] / copy_rate, 2),
        }
        write(f"\n  {rows:,} rows")
        write(f"    raw COPY ... TO STDOUT WITH CSV  {copy_rate:>12,.0f} rows/s  ({result['copy']['seconds']:.2f} s, "
              f"{result['copy']['bytes'] / 2**20:,.0f} MB)")
        for fmt in ("csv", "parquet"):
            item = result[fmt]
            rate = rows / item["seconds"]
            write(f"    {fmt + ' export':<32} {rate:>12,.0f} rows/s  ({item['seconds']:.2f} s, "
                  f"{item['bytes'] / 2**20:,.0f} MB, {rate / copy_rate:.2f}x COPY), peak {item['peak_rss_mb']:.1f} MB "
                  f"RSS ({item['startup_rss_mb']:.1f} MB after imports)")
    csv_ratio = figures["runs"][sizes[-1]]["csv_copy_ratio"]
    peak = max(large["csv"]["peak_rss_mb"], large["parquet"]["peak_rss_mb"])
    growth = max(large[fmt]["peak_rss_mb"] - small[fmt]["peak_rss_mb"] for fmt in ("csv", "parquet"))
    # "Flat": ten times the rows may not cost more than 10% more memory.
    flat = all(large[fmt]["peak_rss_mb"] <= 1.1 * small[fmt]["peak_rss_mb"] for fmt in ("csv", "parquet"))
    figures["passed"] = {"csv_copy_ratio": csv_ratio >= TARGET_COPY_RATIO, "peak_memory": peak < TARGET_PEAK_MB,
                         "flat_memory": flat}
    write("")
    write(f"  {'target':<44}{'measured':>14}  result")
    write(f"  {'CSV export >= 0.5x raw COPY':<44}{csv_ratio:>13.2f}x  {verdict(figures['passed']['csv_copy_ratio'])}")
    write(f"  {'peak memory < 250 MB':<44}{peak:>11.1f} MB  {verdict(figures['passed']['peak_memory'])}")
    write(f"  {f'flat: {sizes[0]:,} -> {sizes[-1]:,} rows adds <= 10%':<44}{growth:>+11.1f} MB  "
          f"{verdict(flat)}")
    return figures
