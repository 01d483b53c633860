"""`bench masking`: streaming-mode masking, PostgreSQL to PostgreSQL, beside the raw COPY out + COPY in of the
same rows.

The load: a 10-column `people` table with 4 PII columns (name, email, phone, IBAN) and an `orders` table
(half as many rows) whose `person_id` joins `people.id`; the key is masked too, so the foreign key follows it.
Two databases of their own on the server of --admin-url (created and dropped by the run). Per size (the
small one, then --rows):

- the ceiling: `COPY (SELECT ... ORDER BY id) TO STDOUT (FORMAT csv)` piped block by block into
  `COPY ... FROM STDIN (FORMAT csv)` of a plain copy of each table, nothing parsed, in this process;
- the masking: `apps.masking.streaming.stream_mask` in a freshly spawned process (so its peak resident
  memory, VmHWM, is the masking's own), into managed tables of the destination.

Figures: rows per second of both (people and orders rows together), their ratio against the 0.4 target, the
masking process's peak memory against 300 MB, and the growth of that peak from the small size to --rows.

Last, the cost of a masking job's live progress reports (`apps/generation/live.py`), which the streaming mode
does not make: PROGRESS_REPORTS reports written back to back into SynthHub's own database (DATABASE_URL; the
file beside it on SQLite), the time of one, and the share of a running chunk's time they take at the bound of
one report per SYNTHHUB_PROGRESS_REPORT_MS.
"""

from __future__ import annotations

import io
import os
import time
from types import SimpleNamespace

import numpy as np

from apps.core.benchmarking import peak_rss_mb, run_in_child, verdict

HELP = "masking throughput (streaming, PostgreSQL to PostgreSQL) beside the raw COPY out + COPY in ceiling"

TARGET_CEILING_RATIO = 0.4
TARGET_PEAK_MB = 300.0
FLAT_GROWTH = 1.10
SOURCE_DB = "synthhub_masking_bench_src"
DESTINATION_DB = "synthhub_masking_bench_dst"
POPULATE_BLOCK = 100_000
PROGRESS_REPORTS = 200

RULES = {
    "unlisted": "keep",
    "tables": {
        "people": {"columns": {
            "id": {"type": "integer", "rule": "format_preserving"},
            "name": {"rule": "fake", "provider": "name"},
            "email": {"rule": "derive", "template": "{name}@example.com", "slug": True},
            "phone": {"rule": "format_preserving"},
            "iban": {"rule": "format_preserving", "format": "iban"},
        }},
        "orders": {"columns": {"person_id": {"type": "integer", "references": "people.id"}}},
    },
}

PEOPLE = ("CREATE TABLE {name} (id bigint PRIMARY KEY, name text, email text, phone text, iban text, city text, "
          "age integer, score double precision, joined date, status text)")
ORDERS = "CREATE TABLE {name} (id bigint PRIMARY KEY, person_id bigint, amount numeric(10, 2), placed date)"


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=1_000_000, help="people rows of the measured run (default 1M)")
    parser.add_argument("--small-rows", type=int, default=100_000,
                        help="people rows of the run that memory is compared with (default 100,000)")
    parser.add_argument("--admin-url", default=os.environ.get("SYNTHHUB_BENCH_POSTGRES_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL URL allowed to create databases (default: local postgres)")


def _url(admin_url: str, dbname: str) -> dict:
    from psycopg.conninfo import conninfo_to_dict

    return {**conninfo_to_dict(admin_url), "dbname": dbname}


def _recreate(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name in (SOURCE_DB, DESTINATION_DB):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')


def _drop(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name in (SOURCE_DB, DESTINATION_DB):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _csv(columns: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    sink = io.BytesIO()
    pa_csv.write_csv(pa.table(columns), sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


def populate(params: dict, rows: int) -> None:
    """`rows` people and rows // 2 orders of realistic shape, made in numpy blocks and COPYed in."""
    import psycopg

    from apps.generation.engine import domain

    rng = np.random.default_rng(20251128)
    first = np.array(["Anna", "Jan", "Sophie", "Daan", "Emma", "Liam", "Mila", "Noah", "Julia", "Lucas"])
    last = np.array(["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer", "Bos", "Vos"])
    cities = np.array(["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen"])
    with psycopg.connect(**params, autocommit=True) as connection:
        for table in ("orders", "people"):
            connection.execute(f"DROP TABLE IF EXISTS {table}")
        connection.execute(PEOPLE.format(name="people"))
        connection.execute(ORDERS.format(name="orders"))
        with connection.cursor().copy("COPY people FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, rows, POPULATE_BLOCK):
                n = min(POPULATE_BLOCK, rows - start)
                ids = np.arange(start + 1, start + n + 1)
                names = np.char.add(np.char.add(first[rng.integers(0, 10, n)], " "), last[rng.integers(0, 10, n)])
                emails = np.char.add(np.char.add(np.char.lower(np.char.replace(names, " ", ".")), ids.astype(str)),
                                     "@mail.example")
                phones = np.char.add("+31 6 ", rng.integers(10_000_000, 99_999_999, n).astype(str))
                copy.write(_csv({
                    "id": ids, "name": names, "email": emails, "phone": phones, "iban": domain.iban(rng, n, "NL"),
                    "city": cities[rng.integers(0, 5, n)], "age": rng.integers(18, 90, n),
                    "score": rng.random(n).round(4),
                    "joined": (np.datetime64("2015-01-01") + rng.integers(0, 3000, n)).astype("datetime64[D]"),
                    "status": np.where(rng.random(n) < 0.9, "active", "closed"),
                }))
        with connection.cursor().copy("COPY orders FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, rows // 2, POPULATE_BLOCK):
                n = min(POPULATE_BLOCK, rows // 2 - start)
                copy.write(_csv({
                    "id": np.arange(start + 1, start + n + 1), "person_id": rng.integers(1, rows + 1, n),
                    "amount": rng.uniform(1, 500, n).round(2),
                    "placed": (np.datetime64("2024-01-01") + rng.integers(0, 365, n)).astype("datetime64[D]"),
                }))
        connection.execute("VACUUM ANALYZE people")
        connection.execute("VACUUM ANALYZE orders")


def measure_ceiling(source: dict, destination: dict) -> float:
    """Seconds to COPY both tables out of the source and into plain tables of the destination."""
    import psycopg

    with psycopg.connect(**source) as src, psycopg.connect(**destination) as dst:
        for table, ddl in (("people", PEOPLE), ("orders", ORDERS)):
            dst.execute(f"DROP TABLE IF EXISTS {table}_raw")
            dst.execute(ddl.format(name=f"{table}_raw"))
        dst.commit()
        started = time.perf_counter()
        for table in ("people", "orders"):
            # Table names are this module's constants, never input.
            copy_out = f"COPY (SELECT * FROM {table} ORDER BY id) TO STDOUT (FORMAT csv)"  # noqa: S608
            with src.cursor().copy(copy_out) as out, dst.cursor().copy(f"COPY {table}_raw FROM STDIN (FORMAT csv)") \
                    as into:
                for block in out:
                    into.write(block)
        dst.commit()
        return time.perf_counter() - started


def _mask_child(db_url: str, source: dict, destination: dict, pipe) -> None:
    try:
        os.environ.setdefault("DATABASE_URL", db_url)
        import django

        django.setup()
        from apps.masking import streaming
        from apps.masking.engine import parse_rules

        def target(params):
            return SimpleNamespace(host=params.get("host", "127.0.0.1"), port=int(params.get("port", 5432)),
                                   dbname=params["dbname"], user=params.get("user", "postgres"),
                                   password_encrypted="", sslmode="prefer")

        rules = parse_rules(RULES)
        started = time.perf_counter()
        result = streaming.stream_mask(source_target=target(source), destination_target=target(destination),
                                       rules=rules, key=b"bench-masking-key-0123456789abcdef", tables=["people",
                                                                                                    "orders"])
        seconds = time.perf_counter() - started
        pipe.send(("ok", {"seconds": seconds, "rows": result.rows, "peak_mb": peak_rss_mb()}))
    except Exception as exc:  # reported by the parent
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))


def check_join(destination: dict) -> tuple[int, int]:
    """(orders, orders whose person_id finds a masked person) in the destination."""
    import psycopg

    with psycopg.connect(**destination) as connection:
        return connection.execute(
            "SELECT count(*), count(p.id) FROM orders o LEFT JOIN people p ON p.id = o.person_id").fetchone()


def run(options: dict, write) -> dict:
    import psycopg

    admin_url = options["admin_url"]
    try:
        psycopg.connect(admin_url, autocommit=True, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        raise ValueError(f"bench masking needs PostgreSQL at --admin-url: {exc}") from None
    db_url = os.environ.get("DATABASE_URL", "")
    source, destination = _url(admin_url, SOURCE_DB), _url(admin_url, DESTINATION_DB)
    figures: dict = {}
    write(f"bench masking: people with 4 PII columns + orders (half as many) joined by key; databases "
          f"{SOURCE_DB} and {DESTINATION_DB}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    try:
        for rows in (options["small_rows"], options["rows"]):
            _recreate(admin_url)
            populate(source, rows)
            total = rows + rows // 2
            ceiling = measure_ceiling(source, destination)
            masked = run_in_child(_mask_child, db_url, source, destination, name="bench-masking")
            orders, joined = check_join(destination)
            ratio = ceiling / masked["seconds"]
            figures[rows] = {"ceiling_seconds": ceiling, "masking_seconds": masked["seconds"], "ratio": ratio,
                             "peak_mb": masked["peak_mb"], "orders_joined": joined == orders}
            write(f"{rows:>9,} people + {rows // 2:,} orders: COPY out+in {total / ceiling:>10,.0f} rows/s "
                  f"({ceiling:.2f} s); masking {total / masked['seconds']:>10,.0f} rows/s "
                  f"({masked['seconds']:.2f} s); ratio {ratio:.2f} (target >= {TARGET_CEILING_RATIO}) "
                  f"{verdict(ratio >= TARGET_CEILING_RATIO)}; peak {masked['peak_mb']:.0f} MB "
                  f"(target < {TARGET_PEAK_MB:.0f}) {verdict(masked['peak_mb'] < TARGET_PEAK_MB)}; "
                  f"orders joined {joined:,}/{orders:,}")
        small, large = figures[options["small_rows"]], figures[options["rows"]]
        growth = large["peak_mb"] / small["peak_mb"]
        write(f"peak memory {small['peak_mb']:.0f} MB at {options['small_rows']:,} -> {large['peak_mb']:.0f} MB at "
              f"{options['rows']:,}: x{growth:.2f} (flat: <= x{FLAT_GROWTH}) {verdict(growth <= FLAT_GROWTH)}")
        figures["growth"] = growth
        figures["progress_report_ms"] = measure_progress_reports(write)
    finally:
        _drop(admin_url)
    return figures


def measure_progress_reports(write) -> float | None:
    """Milliseconds per live progress report, written unthrottled under a chunk id no chunk has (then cleared)."""
    from django.conf import settings
    from django.db import connection

    from apps.generation import live

    bound_ms = settings.SYNTHHUB_PROGRESS_REPORT_MS
    chunk = SimpleNamespace(pk=-1, attempts=1)
    settings.SYNTHHUB_PROGRESS_REPORT_MS = 0
    try:
        reporter = live.ChunkReporter(chunk)
        reporter.report(0, PROGRESS_REPORTS)  # opens the connection: not measured
        started = time.perf_counter()
        for rows in range(1, PROGRESS_REPORTS + 1):
            reporter.report(rows, PROGRESS_REPORTS)
        seconds = time.perf_counter() - started
        reporter.close()
        reporter.clear()
    finally:
        settings.SYNTHHUB_PROGRESS_REPORT_MS = bound_ms
    if reporter.writes != PROGRESS_REPORTS + 1:
        write(f"live progress reports: {reporter.writes - 1} of {PROGRESS_REPORTS} written (is the database "
              f"migrated?): not measured")
        return None
    each_ms = 1000 * seconds / PROGRESS_REPORTS
    share = each_ms / bound_ms if bound_ms else 1.0
    write(f"live progress reports ({connection.vendor}): {PROGRESS_REPORTS} in {seconds:.3f} s, {each_ms:.2f} ms "
          f"each; at one per {bound_ms} ms that is {100 * share:.2f}% of a running chunk's time")
    return each_ms
