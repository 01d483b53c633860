"""`bench api`: the API served by gunicorn under a mixed load from 30 clients, beside a plain Django view.

The run makes a tenant of its own (random slug) holding a `bench-persons` version of --rows rows (generated
through the datasets services in a spawned process) and a 20-row dataset to generate from, starts gunicorn
(synthhub/gunicorn.conf.py, the settings of this process with DEBUG off: synthhub.settings.bench) on a
loopback socket this process binds to a free port, and drives it from --clients threads, each with its own
token and keep-alive connection, in three phases of --seconds each (after --warmup seconds that are not
counted):

- **ceiling**: a plain Django view (synthhub.bench_urls, routed only under the bench settings) that
  answers the same records page as the API, at random positions, with one raw query and the JSON text of
  `data` as PostgreSQL gives it: no DRF, no token (only the run's random key, X-Bench-Key), no tenant or
  permission lookup, no serializer;
- **records**: the records API at random cursors (`page_size=50`), the same pages;
- **mix**: dataset list, records pages at random cursors, two `data__` equality filters (a unique email; a
  city and a department, values read from random rows), job list, dataset create and generates of the
  20-row dataset (jobs stay queued: no worker runs, so the figure is the API's alone).

Each request is timed from sending it to reading the whole answer; an answer with another status than the
endpoint's success (200, 201, 202) or a failed connection is an error. The server's user throttle is set
so high that it counts but never refuses (SYNTHHUB_THROTTLE_USER=1000000/minute): every client is the
tenant's owner, and the default 600/minute per user would answer 429 within seconds.

At the end the server is stopped and everything the run made is deleted (the tenant, its datasets and
versions with their partitions, and the queued tasks of its jobs).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from django.http import HttpResponse, JsonResponse

from apps.core.benchmarking import run_in_child, verdict

HELP = "API throughput and latency under gunicorn at 30 clients (mixed load) beside a plain Django view"

TARGET_RPS = 150.0
TARGET_P99_MS = 500.0
PAGE_SIZE = 50
TABLE = "persons"
SMALL_ROWS = 20
SERVER_READY_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30
# The server's user throttle: counted on every request, never reached by the run.
THROTTLE_USER_RATE = "1000000/minute"
MAX_REQUESTS_PER_SECOND = 2000  # the bound on requests per phase: seconds x this

# The mix: endpoint class -> weight (percent of requests), sent as MIX_CYCLE (below).
MIX = {
    "records page": 40,
    "filter data__email": 10,
    "filter data__city+department": 10,
    "dataset list": 15,
    "job list": 15,
    "dataset create": 5,
    "generate": 5,
}



def _mix_cycle() -> list[str]:
    """The mix as a repeating sequence of 20 requests (a weight of 5% is one of them): each class once, then
    the rest shuffled with a fixed seed. Client n starts at position 7n, so the
    clients do not send the same class at once, and client 0 sends every class within its first requests."""
    rest = [kind for kind, weight in MIX.items() for _ in range(weight // 5 - 1)]
    random.Random(7).shuffle(rest)  # noqa: S311 -- a benchmark's order, not a secret
    return [*reversed(MIX), *rest]  # the writes, the slowest, first


MIX_CYCLE = _mix_cycle()


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the version read (default 1,000,000)")
    parser.add_argument("--clients", type=int, default=30, help="concurrent clients (default 30)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each phase (default 3)")
    parser.add_argument("--phases", default="ceiling,records,mix",
                        help="phases to run, comma-separated (default ceiling,records,mix)")


# ----- the ceiling view (served only under synthhub.settings.bench) -----


def ceiling_records_view(request):
    """A page of records as the records API gives it, with one raw query and no framework around it.

    It answers only requests that carry the run's key (synthhub.settings.bench): 404 otherwise."""
    from django.conf import settings
    from django.db import connection
    from django.http import Http404

    from apps.datasets.models import Record

    key = getattr(settings, "SYNTHHUB_BENCH_KEY", "")
    if not key or not secrets.compare_digest(request.headers.get("X-Bench-Key", ""), key):
        raise Http404
    try:
        version = int(request.GET["version"])
        after = int(request.GET.get("after", "-1"))
        size = max(1, min(int(request.GET.get("page_size", PAGE_SIZE)), 1000))
    except (KeyError, ValueError):
        return JsonResponse({"error": "version, after and page_size are integers"}, status=400)
    table = request.GET.get("table", "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT row_index, data::text FROM {Record._meta.db_table} "  # noqa: S608 -- the model's own table
            "WHERE version_id = %s AND table_name = %s AND deleted_at IS NULL AND row_index > %s "
            "ORDER BY row_index LIMIT %s", [version, table, after, size + 1])
        rows = cursor.fetchall()
    more = len(rows) > size
    rows = rows[:size]
    table_json = json.dumps(table)
    results = ",".join(f'{{"table":{table_json},"row_index":{index},"data":{data},"deleted_at":null}}'
                       for index, data in rows)
    following = "null"
    if more:
        following = json.dumps(f"{request.path}?version={version}&table={quote(table)}&page_size={size}"
                               f"&after={rows[-1][0]}")
    return HttpResponse(f'{{"next":{following},"previous":null,"results":[{results}]}}',
                        content_type="application/json")


# ----- the server -----


class Server:
    """gunicorn on a loopback socket bound here (port 0: the kernel picks a free one), handed over as fd://,
    so no other process can take the port between choosing and binding it."""

    def __init__(self, *, db_url: str, extra_env: dict[str, str] | None = None):
        from django.conf import settings

        root = Path(settings.BASE_DIR)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1024)
        self.port = self.listener.getsockname()[1]
        fd = self.listener.fileno()
        self.key = secrets.token_hex(32)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "synthhub.settings.bench",
            # (under overridden settings, as in tests, SETTINGS_MODULE is unset: the environment has it)
            "SYNTHHUB_BENCH_SETTINGS": os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE,
            "DATABASE_URL": db_url,
            "SYNTHHUB_THROTTLE_USER": THROTTLE_USER_RATE,
            "SYNTHHUB_Q_SYNC": "false",  # the test settings would run a generate's tasks inside the request
            "SYNTHHUB_BENCH_KEY": self.key,
            **(extra_env or {}),
        }
        self.env = env
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(root / "synthhub" / "gunicorn.conf.py"),
             "--bind", f"fd://{fd}", "synthhub.wsgi:application"],
            cwd=root, env=env, pass_fds=(fd,), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._stderr: list[bytes] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        for line in self.process.stderr:
            if len(self._stderr) < 200:
                self._stderr.append(line)

    def errors(self) -> str:
        return b"".join(self._stderr[-20:]).decode("utf-8", "replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_READY_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with code {self.process.returncode}: {self.errors()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/health/live")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within {SERVER_READY_SECONDS} s: {self.errors()}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.listener.close()


# ----- the load -----


class Request:
    __slots__ = ("kind", "method", "path", "body", "expected")

    def __init__(self, kind: str, method: str, path: str, body: bytes | None = None, expected: int = 200):
        self.kind, self.method, self.path, self.body, self.expected = kind, method, path, body, expected


class Recorder:
    """Latencies (ms) and errors per endpoint class, from every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def add(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies[kind].append(ms)
            else:
                self.errors[kind] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{kind}: {error}")


def _client(port: int, token: str, key: str, make_request, stop_at: float, record_from: float, recorder: Recorder,
            budget: threading.Semaphore) -> None:
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json", "Host": "127.0.0.1",
               "X-Bench-Key": key}
    connection = None
    while time.monotonic() < stop_at and budget.acquire(blocking=False):
        request = make_request()
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
        started = time.monotonic()
        error = None
        try:
            connection.request(request.method, request.path, body=request.body, headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != request.expected:
                error = f"{request.method} {request.path[:80]} answered {response.status}: {body[:200]!r}"
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as exc:
            error = f"{request.method} {request.path[:80]}: {type(exc).__name__}: {exc}"
            connection.close()
            connection = None
        finished = time.monotonic()
        if record_from <= finished <= stop_at:
            recorder.add(request.kind, (finished - started) * 1000, error)
    if connection is not None:
        connection.close()


def drive(*, port: int, key: str, tokens: list[str], make_request, seconds: float, warmup: float) -> dict:
    """Every client sends requests back to back for warmup + seconds; the requests that finish after the
    warm-up and before the end are counted. Returns the recorder and the measured wall time."""
    recorder = Recorder()
    start = time.monotonic()
    record_from, stop_at = start + warmup, start + warmup + seconds
    budget = threading.Semaphore(int((warmup + seconds) * MAX_REQUESTS_PER_SECOND))
    threads = [threading.Thread(target=_client, args=(port, token, key, make_request(n), stop_at, record_from,
                                                      recorder, budget), daemon=True)
               for n, token in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=warmup + seconds + REQUEST_TIMEOUT_SECONDS + 5)
    return {"recorder": recorder, "seconds": seconds}


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def summarise(result: dict) -> dict:
    """Per endpoint class and in total: requests, requests/s, p50/p95/p99 (ms), errors."""
    recorder, seconds = result["recorder"], result["seconds"]
    out = {}
    kinds = sorted(set(recorder.latencies) | set(recorder.errors))
    every = []
    for kind in kinds:
        ordered = sorted(recorder.latencies[kind])
        every += ordered
        out[kind] = _figures(ordered, recorder.errors[kind], seconds)
    every.sort()
    out["all"] = _figures(every, sum(recorder.errors.values()), seconds)
    out["error_samples"] = recorder.samples
    return out


def _figures(ordered: list[float], errors: int, seconds: float) -> dict:
    if not ordered:
        return {"requests": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "errors": errors}
    return {"requests": len(ordered), "rps": (len(ordered) + errors) / seconds, "p50": statistics.median(ordered),
            "p95": _percentile(ordered, 0.95), "p99": _percentile(ordered, 0.99), "errors": errors}


# ----- setup -----


def _generate_child(db_url: str, version_id: int, pipe) -> None:
    try:
        from apps.datasets.benchmarks import _setup_django

        _setup_django(db_url)
        from apps.datasets import services as dataset_services
        from apps.datasets.models import DatasetVersion

        version = DatasetVersion.objects.select_related("dataset", "tenant").get(pk=version_id)
        started = time.perf_counter()
        dataset_services.version_generate(version=version)
        pipe.send(("ok", {"seconds": time.perf_counter() - started}))
    except BaseException as exc:  # the parent reports it; a silent child would leave it waiting
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


class Fixture:
    """What the run reads and writes: the tenant, a version of `rows` rows, a small dataset, tokens."""

    def __init__(self, *, rows: int, clients: int, write):
        from apps.datasets.benchmarks import bench_tenant

        self.tenant, self.owner = bench_tenant("bench-api", rows)
        try:
            self._make(rows=rows, clients=clients, write=write)
        except BaseException:
            self.cleanup()  # what was made so far; the run reports the error
            raise

    def _make(self, *, rows: int, clients: int, write) -> None:
        from django.db import close_old_connections

        from apps.datasets import services as dataset_services
        from apps.datasets.benchmarks import bench_spec, database_url
        from apps.generation.engine.bench_specs import BENCH_PERSONS, BENCH_REFERENCE_TIME
        from apps.tenants import services as tenant_services

        dataset = dataset_services.dataset_create(tenant=self.tenant, actor=self.owner, name="bench-persons",
                                                  spec=bench_spec(rows))
        version, _ = dataset_services.version_create(dataset=dataset, actor=self.owner, seed=BENCH_PERSONS["seed"],
                                                     reference_time=BENCH_REFERENCE_TIME)
        close_old_connections()
        generated = run_in_child(_generate_child, database_url(), version.pk, name="bench-api-generate")
        write(f"  stored {rows:,} bench-persons rows as a ready version in {generated['seconds']:.1f} s "
              "(engine, COPY, GIN index, ANALYZE)")
        self.small = dataset_services.dataset_create(tenant=self.tenant, actor=self.owner, name="bench-small",
                                                     spec=bench_spec(SMALL_ROWS))
        self.small_spec = bench_spec(SMALL_ROWS)
        self.dataset, self.version, self.rows = dataset, version, rows
        self.tokens = [tenant_services.token_create(user=self.owner, name=f"bench-api-{n}")[1]
                       for n in range(clients)]
        base = f"/api/v1/tenants/{self.tenant.slug}"
        self.base = base
        self.records_url = f"{base}/datasets/{dataset.pk}/versions/{version.number}/records/"
        self.samples = self._sample_rows(200)

    def _sample_rows(self, count: int) -> list[dict]:
        from apps.datasets.models import Record

        picker = random.Random(20261128)  # noqa: S311 -- a benchmark's sample, not a secret
        positions = [picker.randrange(self.rows) for _ in range(count)]
        return list(Record.objects.filter(version=self.version, table_name=TABLE, row_index__in=positions)
                    .values_list("data", flat=True))

    def cursor_paths(self, count: int, seed: int) -> list[str]:
        """Records page URLs at random cursors, built by the paginator itself (as a client following `next`)."""
        from rest_framework.pagination import Cursor

        from apps.datasets.api.views import RecordPagination

        paginator = RecordPagination()
        paginator.base_url = f"{self.records_url}?table={TABLE}&page_size={PAGE_SIZE}"
        picker = random.Random(seed)  # noqa: S311 -- a benchmark's sample, not a secret
        return [paginator.encode_cursor(Cursor(offset=0, reverse=False,
                                               position=str(picker.randrange(self.rows - PAGE_SIZE) - 1)))
                for _ in range(count)]

    def cleanup(self) -> None:
        from django.db import close_old_connections
        from django_q.models import OrmQ

        from apps.datasets.benchmarks import bench_cleanup
        from apps.generation.models import GenerationJob

        close_old_connections()
        groups = {f"job-{pk}" for pk in GenerationJob.objects.filter(tenant=self.tenant).values_list("pk", flat=True)}
        # The generates' chunk tasks, queued with no worker to run them (their chunks are deleted below).
        for queued in OrmQ.objects.all().iterator():
            if queued.task.get("group") in groups:  # (a payload it cannot read decodes to a dict without one)
                queued.delete()
        bench_cleanup(self.tenant, self.owner)


def request_makers(fixture: Fixture, phase: str):
    """phase -> a function of the client number giving that client's request source."""
    base = fixture.base
    records_base = f"{fixture.records_url}?table={TABLE}&page_size={PAGE_SIZE}"
    samples = fixture.samples
    spec = json.dumps(fixture.small_spec).encode()

    def for_client(n: int):
        picker = random.Random(1000 + n)  # noqa: S311 -- a benchmark's sample, not a secret
        cursors = fixture.cursor_paths(500, seed=2000 + n)
        counter = iter(range(10**9))
        sequence = iter(MIX_CYCLE[(7 * n + i) % len(MIX_CYCLE)] for i in range(10**9))

        def ceiling():
            after = picker.randrange(fixture.rows - PAGE_SIZE) - 1
            return Request("ceiling page", "GET", f"/bench/ceiling/records/?version={fixture.version.pk}"
                                                  f"&table={TABLE}&page_size={PAGE_SIZE}&after={after}")

        def records():
            return Request("records page", "GET", picker.choice(cursors))

        def mix():
            kind = next(sequence)
            if kind == "records page":
                return Request(kind, "GET", picker.choice(cursors))
            if kind == "filter data__email":
                return Request(kind, "GET", f"{records_base}&data__email={quote(picker.choice(samples)['email'])}")
            if kind == "filter data__city+department":
                data = picker.choice(samples)
                return Request(kind, "GET", f"{records_base}&data__city={quote(data['city'])}"
                                            f"&data__department={quote(data['department'])}")
            if kind == "dataset list":
                return Request(kind, "GET", f"{base}/datasets/")
            if kind == "job list":
                return Request(kind, "GET", f"{base}/jobs/")
            if kind == "dataset create":
                name = f"bench-{n}-{next(counter)}-{picker.randrange(10**9)}"
                return Request(kind, "POST", f"{base}/datasets/",
                               b'{"name": "' + name.encode() + b'", "spec": ' + spec + b"}", expected=201)
            return Request(kind, "POST", f"{base}/datasets/{fixture.small.pk}/generate/", b"{}", expected=202)

        return {"ceiling": ceiling, "records": records, "mix": mix}[phase]

    return for_client


# ----- the run -----


def _check_answers(port: int, key: str, fixture: Fixture) -> None:
    """One request of each kind, answers read and compared, before anything is timed: the ceiling's page is
    the API's page, and each endpoint answers its success."""
    headers = {"Authorization": f"Token {fixture.tokens[0]}", "Host": "127.0.0.1"}

    def get(path: str, auth: bool = True) -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
        connection.request("GET", path, headers=headers if auth else {"Host": "127.0.0.1", "X-Bench-Key": key})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}: {body[:300]!r}")
        return json.loads(body)

    api = get(fixture.cursor_paths(1, seed=1)[0])
    first = api["results"][0]["row_index"]
    ceiling = get(f"/bench/ceiling/records/?version={fixture.version.pk}&table={TABLE}&page_size={PAGE_SIZE}"
                  f"&after={first - 1}", auth=False)
    if [(row["row_index"], row["data"]) for row in ceiling["results"]] != \
            [(row["row_index"], row["data"]) for row in api["results"]]:
        raise RuntimeError(f"the ceiling view's page at row {first} is not the records API's page")


def run(options: dict, write) -> dict:
    from django.db import close_old_connections

    from apps.datasets.benchmarks import database_url, require_postgresql

    require_postgresql("api")
    rows, clients, seconds, warmup = options["rows"], options["clients"], options["seconds"], options["warmup"]
    phases = [phase.strip() for phase in options.get("phases", "ceiling,records,mix").split(",") if phase.strip()]
    if rows < 2 * PAGE_SIZE:
        raise ValueError(f"--rows must be at least {2 * PAGE_SIZE}, got {rows}")
    if not 1 <= clients <= 200:
        raise ValueError(f"--clients must be between 1 and 200, got {clients}")
    if not 0 < seconds <= 300 or not 0 <= warmup <= 60:
        raise ValueError("--seconds must be in (0, 300] and --warmup in [0, 60]")
    unknown = set(phases) - {"ceiling", "records", "mix"}
    if unknown or not phases:
        raise ValueError(f"--phases takes ceiling, records, mix; got {options.get('phases')!r}")

    write(f"API benchmark: {clients} clients on loopback, {seconds:g} s per phase after {warmup:g} s of warm-up, "
          f"a {rows:,}-row bench-persons version on PostgreSQL, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    fixture = Fixture(rows=rows, clients=clients, write=write)
    server = None
    results = {}
    try:
        close_old_connections()
        server = Server(db_url=database_url())
        server.wait_ready()
        env = server.env
        write(f"  gunicorn: {_server_line(env)}; user throttle {THROTTLE_USER_RATE} (counted, never reached); "
              f"cache {env.get('SYNTHHUB_CACHE_URL') or 'local memory'}")
        _check_answers(server.port, server.key, fixture)
        for phase in phases:
            makers = request_makers(fixture, phase)
            results[phase] = summarise(drive(port=server.port, key=server.key, tokens=fixture.tokens,
                                             make_request=makers, seconds=seconds, warmup=warmup))
        if any(figures["all"]["errors"] for figures in results.values()):
            write("  the server's log, last lines:")
            for line in server.errors().splitlines()[-12:]:
                write(f"    {line}")
    finally:
        if server is not None:
            server.stop()
        fixture.cleanup()
    return report(results, clients=clients, write=write)


def _server_line(env: dict) -> str:
    from importlib.util import module_from_spec, spec_from_file_location

    from django.conf import settings

    spec = spec_from_file_location("_gunicorn_conf", Path(settings.BASE_DIR) / "synthhub" / "gunicorn.conf.py")
    conf = module_from_spec(spec)
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        spec.loader.exec_module(conf)
        conn = os.environ.get("DATABASE_CONN_MAX_AGE") or "0"  # the file may set its default
    finally:
        os.environ.clear()
        os.environ.update(saved)
    threads = f" x {conf.threads} threads" if conf.worker_class == "gthread" else ""
    return f"{conf.workers} {conf.worker_class} workers{threads}, DATABASE_CONN_MAX_AGE={conn}"


def report(results: dict, *, clients: int, write) -> dict:
    header = f"  {'':<34}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    labels = {"ceiling": "ceiling: plain Django view, raw query", "records": "records API at random cursors",
              "mix": "mixed load"}
    for phase, figures in results.items():
        write("")
        write(f"  {labels[phase]}")
        write(header)
        kinds = [kind for kind in figures if kind not in ("all", "error_samples")]
        for kind in [*kinds, "all"] if len(kinds) > 1 else ["all"]:
            f = figures[kind]
            name = "all" if kind == "all" else kind
            write(f"  {'  ' + name:<34}{f['requests']:>9,}{f['rps']:>9.1f}{f['p50']:>9.1f}{f['p95']:>9.1f}"
                  f"{f['p99']:>9.1f}{f['errors']:>8}")
        for sample in figures["error_samples"]:
            write(f"    error: {sample}")
    out = {"clients": clients, "phases": {phase: {k: v for k, v in f.items() if k != "error_samples"}
                                          for phase, f in results.items()}}
    ceiling = results.get("ceiling", {}).get("all")
    if ceiling and ceiling["rps"]:
        write("")
        for phase in ("records", "mix"):
            if phase in results:
                ratio = results[phase]["all"]["rps"] / ceiling["rps"]
                out[f"{phase}_ceiling_ratio"] = round(ratio, 2)
                write(f"  {labels[phase] + ' / ceiling':<58}{ratio:>6.2f}x req/s  "
                      f"(p99 {results[phase]['all']['p99'] / max(ceiling['p99'], 0.001):.2f}x)")
    mix = results.get("mix", {}).get("all")
    if mix:
        passed = {"rps": mix["rps"] >= TARGET_RPS, "p99": mix["p99"] < TARGET_P99_MS, "errors": mix["errors"] == 0}
        out["passed"] = passed
        write("")
        write(f"  {'target (mixed load, ' + str(clients) + ' clients)':<40}{'measured':>12}  result")
        write(f"  {'>= 150 requests/s':<40}{mix['rps']:>12.1f}  {verdict(passed['rps'])}")
        write(f"  {'p99 < 500 ms':<40}{mix['p99']:>9.1f} ms  {verdict(passed['p99'])}")
        write(f"  {'0 errors':<40}{mix['errors']:>12}  {verdict(passed['errors'])}")
    return out
