"""`bench persist`: storing bench-persons rows as records on PostgreSQL, against a raw COPY ceiling.

In the same run:

- **persist**: `datasets.services.version_generate` of a fresh version (the engine, `records_write_chunk`
  and its queued COPY writer, one transaction per chunk), in a fresh child process (multiprocessing
  "spawn") whose peak resident memory (VmHWM) is then the whole cost of generating and storing;
- **ceiling**: the same rows generated and turned into COPY text (the payload `records_write_chunk` sends)
  before the clock starts, then one COPY of those bytes into a new table made with
  `CREATE TABLE ... (LIKE datasets_record INCLUDING ALL)`; only the COPY and its commit are timed. It is the
  database's own speed for these rows, with nothing to generate;
- **records pages**: the records API (token, `page_size=50`) at the first page and at a cursor for row
  900,000 (90% of the rows), built with the paginator's own `encode_cursor`, so the deep page goes through
  exactly the query a client following `next` links would reach; median of several requests each;
- **index after load**: when the version becomes ready its partition gets a GIN index on `data` and ANALYZE
  (`records_optimize`, run after the commit that marks it ready). `version_generate` includes it; it is
  timed on its own and reported apart, so the persist figure stays the COPY path's;
- **records at random cursors and `data__` filters**: p50/p95 of records pages at random cursors, and of
  two equality filters (a unique email; a city and a department) with values read from random rows,
  through the API as above; beside them, the same filters with bitmap scans disabled on the connection
  (`enable_bitmapscan = off`: the GIN index can be used no other way), i.e. the query as it ran before the
  index existed, measured in the same run.

What the run creates (a tenant, its owner, a dataset, a version and its records) is deleted at the end.
The ceiling helpers are shared with `bench jobs`.
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from datetime import UTC, datetime
from urllib.parse import quote

from apps.core.benchmarking import peak_rss_mb, run_in_child, verdict

HELP = "rows/s of storing bench-persons as records on PostgreSQL beside a raw COPY ceiling; deep records page latency"

TARGET_CEILING_RATIO = 0.6
TARGET_DEEP_PAGE_FACTOR = 2.0
TARGET_FILTER_P95_MS = 50.0
PAGE_SIZE = 50
TABLE = "persons"


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows stored (default 1,000,000)")
    parser.add_argument("--chunk-size", type=int, default=50_000,
                        help="rows per chunk, one transaction each (default 50,000, as jobs use)")
    parser.add_argument("--page-requests", type=int, default=15,
                        help="requests per records page; the median is reported (default 15)")
    parser.add_argument("--filter-requests", type=int, default=40,
                        help="requests per data filter and of random cursors, for p50/p95 (default 40)")
    parser.add_argument("--baseline-requests", type=int, default=6,
                        help="requests per data filter without the index (each reads the version; default 6)")


# ----- helpers shared with `bench jobs` -----


def require_postgresql(benchmark: str) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise ValueError(f"bench {benchmark} measures PostgreSQL (COPY, JSONB); this database is {connection.vendor}: "
                         "set DATABASE_URL=postgres://... and migrate first")


def database_url() -> str:
    """The URL of the database this process uses, for child processes: under pytest that is the test
    database, which DATABASE_URL in the environment does not name."""
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"


def bench_spec(rows: int) -> dict:
    from apps.generation.engine.bench_specs import BENCH_PERSONS

    return {**BENCH_PERSONS, "tables": {TABLE: {**BENCH_PERSONS["tables"][TABLE], "rows": rows}}}


def bench_tenant(prefix: str, rows: int):
    """A tenant of its own (random slug, so runs never meet) whose quota admits `rows`; returns (tenant, owner)."""
    from apps.tenants import services as tenant_services

    slug = f"{prefix}-{secrets.token_hex(4)}"
    owner, _ = tenant_services.user_get_or_create(email=f"{slug}@example.com")
    tenant = tenant_services.tenant_create(name=f"Benchmark {slug}", slug=slug, owner=owner,
                                           max_rows_per_version=max(rows, 1))
    return tenant, owner


def bench_cleanup(tenant, owner) -> None:
    """Delete everything a benchmark tenant holds. Records go first, each version's partition dropped at once:
    the ORM's cascade would collect a million of them. The audit trail stays (its rows do not reference the
    tenant by key)."""
    from django.contrib.auth.models import Group
    from django.db import transaction

    from apps.datasets.models import DatasetVersion
    from apps.datasets.persistence import records_purge

    for version_id in DatasetVersion.all_objects.filter(tenant=tenant).values_list("pk", flat=True):
        records_purge(version_id=version_id)
    with transaction.atomic():
        groups = list(tenant.role_groups.values_list("group_id", flat=True))
        tenant.delete()
        Group.objects.filter(pk__in=groups).delete()
        owner.delete()


def checkpoint() -> None:
    """Flush dirty pages before a measured write, so it does not pay for the WAL of the one before.
    Needs superuser or pg_checkpoint; without them the run goes on (and is a little noisier)."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        pass


def _setup_django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    import django

    django.setup()


def _copy_ceiling_child(db_url: str, rows: int, chunk_size: int, pipe) -> None:
    try:
        _setup_django(db_url)
        from django.db import connection, transaction

        from apps.datasets.models import Record
        from apps.datasets.persistence import copy_payload
        from apps.generation.engine import generate_chunk, parse_spec, plan
        from apps.generation.engine.bench_specs import BENCH_PERSONS, BENCH_REFERENCE_TIME

        the_plan = plan(parse_spec(bench_spec(rows)), seed=BENCH_PERSONS["seed"],
                        reference_time=BENCH_REFERENCE_TIME, chunk_size=chunk_size)
        # Everything but the COPY happens before the clock starts: rows, JSON, COPY text.
        payloads = [copy_payload(0, chunk.table, chunk.start, generate_chunk(the_plan, chunk.table, chunk.start,
                                                                            chunk.stop).json_rows())
                    for chunk in the_plan.chunks]
        table = f"bench_copy_ceiling_{secrets.token_hex(4)}"
        with connection.cursor() as cursor:
            # LIKE ... INCLUDING ALL: the same columns, defaults, identity and indexes (the unique paging
            # index included); foreign keys are never copied by LIKE.
            cursor.execute(f"CREATE TABLE {table} (LIKE {Record._meta.db_table} INCLUDING ALL)")
        try:
            checkpoint()
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} (version_id, table_name, row_index, data) FROM STDIN") as copy:
                    for payload in payloads:
                        copy.write(payload)
            seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 -- our own table name
                stored = cursor.fetchone()[0]
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        if stored != rows:
            raise RuntimeError(f"the ceiling COPY stored {stored:,} rows, not {rows:,}")
        pipe.send(("ok", {"rows": rows, "seconds": seconds, "bytes": sum(map(len, payloads))}))
    except BaseException as exc:  # the parent reports it; a silent child would leave it waiting
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


def measure_copy_ceiling(rows: int, chunk_size: int = 50_000) -> dict:
    """The raw COPY ceiling for `rows` bench-persons rows: rows, seconds (COPY + commit), bytes, rows_per_second.

    Runs in a spawned process, so the payload (about 350 MB at a million rows) never inflates the caller.
    """
    result = run_in_child(_copy_ceiling_child, database_url(), rows, chunk_size, name="bench-copy-ceiling")
    result["rows_per_second"] = rows / result["seconds"]
    return result


# ----- persist -----


class _OptimizeTimer:
    """The seconds `version_generate` spent indexing and analysing the loaded version, from the one log line
    that step writes (apps.datasets.services), so the persist figure can leave them out."""

    def __init__(self):
        import logging

        self.seconds = 0.0
        self._logger = logging.getLogger("apps.datasets.services")
        self._handler = logging.Handler(logging.INFO)
        self._handler.emit = self._emit

    def _emit(self, record) -> None:
        if record.msg.startswith("records of version") and record.args:
            self.seconds += float(record.args[-1])

    def __enter__(self):
        self._level = self._logger.level
        self._logger.setLevel(min(self._logger.getEffectiveLevel(), 20))
        self._logger.addHandler(self._handler)
        return self

    def __exit__(self, *exc) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._level)


def _persist_child(db_url: str, version_id: int, chunk_size: int, pipe) -> None:
    try:
        _setup_django(db_url)
        from apps.datasets import services as dataset_services
        from apps.datasets.models import DatasetVersion
        from apps.datasets.persistence import copy_payload
        from apps.generation.engine import iter_batches

        version = DatasetVersion.objects.select_related("dataset", "tenant").get(pk=version_id)
        startup = peak_rss_mb()
        optimize = _OptimizeTimer()
        checkpoint()
        started = time.perf_counter()
        with optimize:
            dataset_services.version_generate(version=version, chunk_size=chunk_size)
        total_seconds = time.perf_counter() - started
        seconds = total_seconds - optimize.seconds
        peak = peak_rss_mb()
        # Where the time goes: the client's share of the same work without a database (the engine's
        # batches, JSON and COPY text, exactly as records_write_chunk makes them), timed after the
        # peak was read so it cannot raise it.
        engine_plan = dataset_services.version_plan(version, chunk_size=chunk_size)
        started = time.perf_counter()
        for chunk in engine_plan.chunks:
            done = chunk.start
            for batch in iter_batches(engine_plan, chunk.table, chunk.start, chunk.stop):
                json_rows = batch.json_rows()
                copy_payload(version_id, chunk.table, done, json_rows)
                done += len(json_rows)
        client_seconds = time.perf_counter() - started
        pipe.send(("ok", {"seconds": seconds, "client_seconds": client_seconds, "peak_rss_mb": peak,
                          "startup_rss_mb": startup, "optimize_seconds": optimize.seconds,
                          "total_seconds": total_seconds}))
    except BaseException as exc:  # the parent reports it; a silent child would leave it waiting
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


def api_host() -> str:
    """A Host header the site accepts, for requests made in-process through the test client."""
    from django.conf import settings

    hosts = [host for host in settings.ALLOWED_HOSTS if host not in ("*", "") and not host.startswith(".")]
    return hosts[0] if hosts else "localhost"


def api_client(owner):
    from rest_framework.test import APIClient

    from apps.tenants import services as tenant_services

    _, secret = tenant_services.token_create(user=owner, name="benchmark")
    client = APIClient(HTTP_HOST=api_host())
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def measure_pages(client, url: str, *, rows: int, deep_row: int, requests: int) -> dict:
    """Median latency (ms) of the first records page and of the page starting at `deep_row`."""
    from rest_framework.pagination import Cursor

    from apps.datasets.api.views import RecordPagination

    paginator = RecordPagination()
    paginator.base_url = f"http://{api_host()}{url}?table={TABLE}&page_size={PAGE_SIZE}"
    # A cursor's position is the last row_index of the page before it: the page starts right after.
    deep_url = paginator.encode_cursor(Cursor(offset=0, reverse=False, position=str(deep_row - 1)))
    first_url = paginator.base_url
    expected = {first_url: (0, min(PAGE_SIZE, rows)), deep_url: (deep_row, min(PAGE_SIZE, rows - deep_row))}

    def fetch(target: str) -> float:
        started = time.perf_counter()
        response = client.get(target)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET {target} answered {response.status_code}: {response.content[:300]!r}")
        results = response.json()["results"]
        first_row, count = expected[target]
        if len(results) != count or results[0]["row_index"] != first_row:
            raise RuntimeError(f"GET {target} returned {len(results)} rows from row {results[0]['row_index']}, "
                               f"expected {count} from row {first_row}")
        return elapsed * 1000

    fetch(first_url), fetch(deep_url)  # warm-up: connections, caches, the index pages both need
    first, deep = [], []
    for _ in range(requests):  # interleaved, so drift on a shared machine hits both alike
        first.append(fetch(first_url))
        deep.append(fetch(deep_url))
    return {"first_ms": statistics.median(first), "deep_ms": statistics.median(deep), "requests": requests}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95


def measure_filters(client, url: str, *, version, rows: int, requests: int, baseline_requests: int) -> dict:
    """p50/p95 (ms) of records pages at random cursors and of two `data__` equality filters, with values of
    random rows; the filters again with bitmap scans off (no GIN index) as the baseline of the same run."""
    import random

    from django.db import connection
    from rest_framework.pagination import Cursor

    from apps.datasets import selectors
    from apps.datasets.api.filters import data_lookups
    from apps.datasets.api.views import RecordPagination
    from apps.datasets.models import Record

    picker = random.Random(20251128)  # noqa: S311 -- a benchmark's sample, not a secret
    sample = dict(Record.objects.filter(version=version, table_name=TABLE,
                                        row_index__in=[picker.randrange(rows) for _ in range(requests)])
                  .values_list("row_index", "data"))
    values = list(sample.values())
    base = f"{url}?table={TABLE}&page_size={PAGE_SIZE}"

    def timed(target: str, check) -> float:
        started = time.perf_counter()
        response = client.get(target)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {target} answered {response.status_code}: {response.content[:300]!r}")
        check(response.json()["results"])
        return elapsed

    def email_filter(data):
        def check(results):
            if [row["data"]["email"] for row in results] != [data["email"]]:
                raise RuntimeError(f"the email filter returned {len(results)} rows, not the 1 row that has it")
        return f"{base}&data__email={quote(data['email'])}", check

    def city_filter(data):
        def check(results):
            if not results or any(row["data"]["city"] != data["city"] or row["data"]["department"]
                                  != data["department"] for row in results):
                raise RuntimeError("the city and department filter returned rows that do not match it")
        return f"{base}&data__city={quote(data['city'])}&data__department={quote(data['department'])}", check

    paginator = RecordPagination()
    paginator.base_url = f"http://{api_host()}{base}"

    def cursor_page(position: int):
        target = paginator.encode_cursor(Cursor(offset=0, reverse=False, position=str(position - 1)))

        def check(results):
            if not results or results[0]["row_index"] != position:
                raise RuntimeError(f"the page at a cursor for row {position} did not start there")
        return target, check

    def run_all(make, count: int) -> list[float]:
        targets = [make(values[i % len(values)]) for i in range(count)]
        timed(*targets[0])  # warm-up
        return [timed(target, check) for target, check in targets]

    def query_ms(params: dict) -> float:
        """The view's query alone (selector, filter lookups, the paginator's order and limit), no HTTP."""
        queryset = selectors.records_of(version=version, table=TABLE).filter(
            **data_lookups(params, columns=list(sample[next(iter(sample))]))).order_by("row_index")
        started = time.perf_counter()
        list(queryset[: PAGE_SIZE + 1])
        return (time.perf_counter() - started) * 1000

    def queries(count: int) -> list[float]:
        chosen = [values[i % len(values)] for i in range(count)]
        query_ms({"data__email": chosen[0]["email"]})  # warm-up
        return [query_ms({"data__email": data["email"]}) for data in chosen] + [
            query_ms({"data__city": data["city"], "data__department": data["department"]}) for data in chosen]

    cursors = [cursor_page(picker.randrange(rows - PAGE_SIZE)) for _ in range(requests)]
    timed(*cursors[0])
    figures = {"cursor": _percentiles([timed(target, check) for target, check in cursors])}
    figures["email"] = _percentiles(run_all(email_filter, requests))
    figures["city"] = _percentiles(run_all(city_filter, requests))
    figures["query"] = _percentiles(queries(requests))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_bitmapscan = off")
    try:
        figures["email_baseline"] = _percentiles(run_all(email_filter, baseline_requests))
        figures["city_baseline"] = _percentiles(run_all(city_filter, baseline_requests))
        figures["query_baseline"] = _percentiles(queries(baseline_requests))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_bitmapscan")
    figures["requests"], figures["baseline_requests"] = requests, baseline_requests
    return figures


def run(options: dict, write) -> dict:
    from django.db import close_old_connections

    from apps.datasets import services as dataset_services
    from apps.datasets.models import Record
    from apps.generation.engine.bench_specs import BENCH_PERSONS, BENCH_REFERENCE_TIME

    require_postgresql("persist")
    rows, chunk_size, requests = options["rows"], options["chunk_size"], options["page_requests"]
    filter_requests, baseline_requests = options["filter_requests"], options["baseline_requests"]
    if rows < 2 * PAGE_SIZE:
        raise ValueError(f"--rows must be at least {2 * PAGE_SIZE}, got {rows}")
    for name, value in (("--chunk-size", chunk_size), ("--page-requests", requests),
                        ("--filter-requests", filter_requests), ("--baseline-requests", baseline_requests)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    deep_row = rows * 9 // 10

    write(f"Persist benchmark: table bench-persons (12 columns) on PostgreSQL, {rows:,} rows, chunk size "
          f"{chunk_size:,}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    tenant, owner = bench_tenant("bench-persist", rows)
    try:
        dataset = dataset_services.dataset_create(tenant=tenant, actor=owner, name="bench-persons",
                                                  spec=bench_spec(rows))
        version, _ = dataset_services.version_create(dataset=dataset, actor=owner, seed=BENCH_PERSONS["seed"],
                                                     reference_time=BENCH_REFERENCE_TIME, chunk_size=chunk_size)
        close_old_connections()
        write(f"  this process holds {peak_rss_mb():.1f} MB when it starts the measured processes")
        ceiling = measure_copy_ceiling(rows, chunk_size)
        persist = run_in_child(_persist_child, database_url(), version.pk, chunk_size, name="bench-persist")
        stored = Record.objects.filter(version=version, table_name=TABLE).count()
        if stored != rows:
            raise RuntimeError(f"the version holds {stored:,} records, not {rows:,}")
        # No ANALYZE here: the version's partition was analysed when it became ready, as in production.
        url = f"/api/v1/tenants/{tenant.slug}/datasets/{dataset.pk}/versions/{version.number}/records/"
        client = api_client(owner)
        pages = measure_pages(client, url, rows=rows, deep_row=deep_row, requests=requests)
        filters = measure_filters(client, url, version=version, rows=rows, requests=filter_requests,
                                  baseline_requests=baseline_requests)
    finally:
        bench_cleanup(tenant, owner)

    rate = rows / persist["seconds"]
    ceiling_rate = ceiling["rows_per_second"]
    ratio = rate / ceiling_rate
    ready_ratio = rows / persist["total_seconds"] / ceiling_rate
    factor = pages["deep_ms"] / pages["first_ms"]
    filter_p95 = max(filters["email"][1], filters["city"][1])
    figures = {
        "rows": rows, "chunk_size": chunk_size, "persist_seconds": round(persist["seconds"], 2),
        "persist_rows_per_second": round(rate), "ceiling_seconds": round(ceiling["seconds"], 2),
        "ceiling_rows_per_second": round(ceiling_rate), "ceiling_bytes": ceiling["bytes"],
        "ratio": round(ratio, 2), "client_seconds": round(persist["client_seconds"], 2),
        "peak_rss_mb": round(persist["peak_rss_mb"], 1), "startup_rss_mb": round(persist["startup_rss_mb"], 1),
        "deep_row": deep_row, "first_page_ms": round(pages["first_ms"], 2), "deep_page_ms": round(pages["deep_ms"], 2),
        "deep_page_factor": round(factor, 2), "page_requests": requests,
        "optimize_seconds": round(persist["optimize_seconds"], 2), "ready_ratio": round(ready_ratio, 2),
        "filters_ms": {name: [round(p, 2) for p in value] for name, value in filters.items()
                       if isinstance(value, tuple)},
        "passed": {"ceiling_ratio": ratio >= TARGET_CEILING_RATIO, "deep_page": factor <= TARGET_DEEP_PAGE_FACTOR,
                   "filter_p95": filter_p95 < TARGET_FILTER_P95_MS},
    }
    write(f"  persist (version_generate: engine + records_write_chunk)  {rate:>10,.0f} rows/s  "
          f"({persist['seconds']:.2f} s)")
    write(f"  ceiling (raw COPY of the pre-serialised rows)             {ceiling_rate:>10,.0f} rows/s  "
          f"({ceiling['seconds']:.2f} s, {ceiling['bytes'] / 2**20:,.0f} MB of COPY text)")
    write(f"  persist / ceiling                                         {ratio:>10.2f}x")
    write(f"  then GIN index on data + ANALYZE of the version           {persist['optimize_seconds']:>10.2f} s  "
          f"(to ready: {ready_ratio:.2f}x the ceiling)")
    write(f"    the client's share alone (engine, JSON, COPY text; no database): {persist['client_seconds']:.2f} s")
    write(f"  peak memory of the persisting process                     {persist['peak_rss_mb']:>10.1f} MB RSS  "
          f"({persist['startup_rss_mb']:.1f} MB after start-up)")
    write(f"  records page, first (row 0)                               {pages['first_ms']:>10.2f} ms  "
          f"(median of {requests})")
    write(f"  records page at row {deep_row:,} (cursor)                   {pages['deep_ms']:>10.2f} ms  "
          f"({factor:.2f}x the first page)")
    n, nb = filters["requests"], filters["baseline_requests"]
    write(f"  {'':<58}{'p50':>8}  {'p95':>8}")
    for label, key, count in (
        ("records page at a random cursor", "cursor", n),
        ("filter data__email (1 row)", "email", n),
        ("  the same, without the GIN index (baseline)", "email_baseline", nb),
        ("filter data__city + data__department", "city", n),
        ("  the same, without the GIN index (baseline)", "city_baseline", nb),
        ("both filters' query alone, in the database (no HTTP)", "query", 2 * n),
        ("  the same, without the GIN index (baseline)", "query_baseline", 2 * nb),
    ):
        p50, p95 = filters[key]
        write(f"  {label:<58}{p50:>6.1f} ms  {p95:>6.1f} ms  ({count} requests)")
    write("")
    write(f"  {'target':<40}{'measured':>12}  result")
    passed = figures["passed"]
    write(f"  {'persist >= 0.6x the raw COPY ceiling':<40}{ratio:>11.2f}x  {verdict(passed['ceiling_ratio'])}")
    write(f"  {'deep page <= 2x the first page':<40}{factor:>11.2f}x  {verdict(passed['deep_page'])}")
    write(f"  {'data filter p95 < 50 ms':<40}{filter_p95:>9.1f} ms  {verdict(passed['filter_p95'])}")
    return figures
