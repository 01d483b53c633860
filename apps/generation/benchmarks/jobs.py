"""`bench jobs`: a bench-persons version generated end to end through the queue, against the raw COPY ceiling.

Each measured run starts fresh `qcluster` processes (real django-q2 clusters, on this database and the
broker the settings choose: the ORM broker by default, Redis when SYNTHHUB_BROKER_URL names one), waits
until they serve tasks, then sends `POST .../datasets/{id}/generate/` through the API test client in this
process and polls the job's row until it has succeeded. The wall time runs from just before the request to
the poll that sees the job finished (polled every 50 ms), so it includes the request, the enqueueing, the
queue's hand-over, every chunk and the job's completion.

Runs, in this order: the raw COPY ceiling of the same rows (`bench persist`'s, in a spawned process), one
worker at --rows, two workers at --rows, two workers at --small-rows. Two workers are one cluster with
SYNTHHUB_WORKERS=2 (workers share the cluster's task queue), or with --two-clusters two clusters with one
worker each (as two machines would).

Peak memory per worker is each worker process's VmHWM (/proc/<pid>/status), read before its cluster is
stopped; the worker processes are the ones named in the job's chunks (JobChunk.worker is "host:pid").
django-q2 forks workers from a cluster process that has Django loaded, so the figure includes that.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from apps.core.benchmarking import peak_rss_mb, verdict
from apps.datasets.benchmarks import (
    api_client,
    bench_cleanup,
    bench_spec,
    bench_tenant,
    checkpoint,
    database_url,
    measure_copy_ceiling,
    require_postgresql,
)

from . import fairness

HELP = "end-to-end job throughput (API, queue, qcluster workers, PostgreSQL) beside the raw COPY ceiling"

TARGET_CEILING_RATIO = 0.5
TARGET_PEAK_MB = 400.0
FLAT_GROWTH = 1.10  # "flat": ten times the rows may cost at most 10% more memory per worker
POLL_SECONDS = 0.05
CLUSTER_READY_SECONDS = 60


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the measured jobs (default 1,000,000)")
    parser.add_argument("--small-rows", type=int, default=100_000,
                        help="rows of the two-worker job that shows memory stays flat (default 100,000)")
    parser.add_argument("--two-clusters", action="store_true",
                        help="run the two workers as two qcluster processes with one worker each "
                             "(default: one qcluster with two workers)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds a job may take (default 1800)")
    parser.add_argument("--fairness-rows", type=int, default=1_000_000,
                        help="rows of tenant A's job in the fairness runs (default 1,000,000; 0 skips them)")
    parser.add_argument("--fairness-only", action="store_true", help="run only the fairness runs")
    parser.add_argument("--observability-rounds", type=int, default=1,
                        help="pairs of two-worker jobs at --rows with logging and metrics off and on, in the order "
                             "off, on, on, off, ... (default 1; 0 skips them)")
    parser.add_argument("--observability-only", action="store_true",
                        help="run only the logging-and-metrics comparison")


def broker_name() -> str:
    from django.conf import settings

    if "redis" in settings.Q_CLUSTER:
        return f"Redis ({settings.SYNTHHUB_BROKER_URL})"
    return "ORM (the database's django_q_ormq table)"


class Clusters:
    """`qcluster` processes for one measured run, each in a session of its own so that stopping it reaches
    its whole process tree."""

    def __init__(self, *, processes: int, workers_each: int, extra_env: dict | None = None):
        from django.conf import settings

        env = {
            **os.environ,
            # (under overridden settings, as in tests, SETTINGS_MODULE is unset: the environment has it)
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE,
            "DATABASE_URL": database_url(),
            "SYNTHHUB_WORKERS": str(workers_each),
            "SYNTHHUB_Q_SYNC": "false",  # the test settings run tasks in-process unless told otherwise
            **(extra_env or {}),
        }
        if settings.SYNTHHUB_BROKER_URL:
            env["SYNTHHUB_BROKER_URL"] = settings.SYNTHHUB_BROKER_URL
        root = Path(settings.BASE_DIR)
        self.processes = [
            subprocess.Popen([sys.executable, str(root / "manage.py"), "qcluster"], cwd=root, env=env,
                             start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(processes)
        ]
        self.workers = processes * workers_each

    def wait_ready(self) -> None:
        """Until the clusters take tasks: a cluster forks its workers before it starts pulling from the
        broker, so one answered task per worker means every worker exists and Django is loaded."""
        from django_q.models import Task
        from django_q.tasks import async_task

        ids = [async_task("os.getpid", task_name=f"bench-ready-{n}") for n in range(self.workers)]
        deadline = time.monotonic() + CLUSTER_READY_SECONDS
        try:
            while Task.objects.filter(id__in=ids).count() < len(ids):
                for process in self.processes:
                    if process.poll() is not None:
                        raise RuntimeError(f"a qcluster process exited with code {process.returncode} at start-up")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the qcluster processes answered no task within {CLUSTER_READY_SECONDS} s")
                time.sleep(0.1)
        finally:
            Task.objects.filter(id__in=ids).delete()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def vm_hwm_mb(pid: int) -> float | None:
    """The peak resident set size of a live process (Linux), or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_job(*, client, tenant, dataset, rows: int, processes: int, workers_each: int, timeout: int,
            env: dict | None = None) -> dict:
    """One measured job on fresh clusters: wall time, rows/s and each worker's peak memory."""
    from django_q.models import Task

    from apps.generation.engine.bench_specs import BENCH_PERSONS
    from apps.generation.models import GenerationJob, JobStatus

    clusters = Clusters(processes=processes, workers_each=workers_each, extra_env=env)
    try:
        clusters.wait_ready()
        checkpoint()
        url = f"/api/v1/tenants/{tenant.slug}/datasets/{dataset.pk}/generate/"
        started = time.perf_counter()
        response = client.post(url, {"seed": BENCH_PERSONS["seed"]}, format="json")
        request_seconds = time.perf_counter() - started
        if response.status_code != 202:
            raise RuntimeError(f"POST {url} answered {response.status_code}: {response.content[:300]!r}")
        job_id = response.json()["id"]
        deadline = time.monotonic() + timeout
        while True:
            status = GenerationJob.objects.filter(pk=job_id).values_list("status", flat=True).get()
            if status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"job {job_id} still {status} after {timeout} s")
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - started
        job = GenerationJob.objects.get(pk=job_id)
        if job.status != JobStatus.SUCCEEDED:
            raise RuntimeError(f"job {job_id} ended {job.status}: {job.error}")
        if job.rows_done != rows:
            raise RuntimeError(f"job {job_id} wrote {job.rows_done:,} rows, not {rows:,}")
        # Read before the clusters stop: a worker's VmHWM goes with its process.
        chunks_by_pid: dict[int, int] = {}
        for worker in job.chunks.values_list("worker", flat=True):
            pid = int(worker.rsplit(":", 1)[1])
            chunks_by_pid[pid] = chunks_by_pid.get(pid, 0) + 1
        workers = {pid: {"chunks": count, "peak_rss_mb": vm_hwm_mb(pid)} for pid, count in chunks_by_pid.items()}
        # Where the wall time goes: each chunk's claim-to-done-mark time, summed over workers, against the
        # workers' capacity over the wall time. The rest is the request, the queue's hand-over, waits for the
        # job's row lock, and each chunk's commit (which comes after the mark and is where PostgreSQL runs
        # the records' deferred foreign-key checks).
        chunk_seconds = sum((finished - started).total_seconds()
                            for started, finished in job.chunks.values_list("started_at", "finished_at"))
    finally:
        clusters.stop()
    Task.objects.filter(group=f"job-{job_id}").delete()  # the queue's result log of this run
    peaks = [w["peak_rss_mb"] for w in workers.values() if w["peak_rss_mb"] is not None]
    return {"rows": rows, "workers": processes * workers_each, "seconds": seconds, "request_seconds": request_seconds,
            "rows_per_second": rows / seconds, "chunks": job.chunks_total, "worker_peaks": workers,
            "chunk_seconds": chunk_seconds, "busy": chunk_seconds / (seconds * processes * workers_each),
            "peak_rss_mb": max(peaks) if peaks else None}


def run(options: dict, write) -> dict:
    from django.conf import settings
    from django.db import close_old_connections
    from django_q.conf import Conf

    from apps.datasets import services as dataset_services

    require_postgresql("jobs")
    # django-q logs every enqueue at INFO; twenty lines per job would bury the report.
    logging.getLogger("django-q").setLevel(logging.WARNING)
    rows, small, timeout = options["rows"], options["small_rows"], options["timeout"]
    fairness_rows, fairness_only = options.get("fairness_rows", 0), options.get("fairness_only", False)
    for name, value in (("--rows", rows), ("--small-rows", small), ("--timeout", timeout)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if Conf.SYNC:
        raise ValueError("Q_CLUSTER runs tasks synchronously here (sync mode): bench jobs measures the queue and "
                         "real workers; run it with settings whose queue is asynchronous")
    two = (1, 2) if options["two_clusters"] else (2, 1)  # (processes, workers each)
    layout = ("two qcluster processes with 1 worker each" if options["two_clusters"]
              else "one qcluster process with 2 workers")
    chunk_rows = settings.SYNTHHUB_CHUNK_ROWS

    write(f"Jobs benchmark: table bench-persons (12 columns) on PostgreSQL, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    write(f"  broker: {broker_name()}; chunks of {chunk_rows:,} rows; two workers = {layout}; "
          f"{os.cpu_count()} CPUs shared with PostgreSQL")
    if fairness_only:
        figures = {"fairness": _fairness(fairness_rows or rows, timeout, two)}
        fairness.report(figures["fairness"], big_rows=fairness_rows or rows, write=write)
        return figures
    rounds = options.get("observability_rounds", 1)
    if options.get("observability_only"):
        figures = {"observability": _observability(rows, timeout, two, max(rounds, 1))}
        report_observability(figures["observability"], write=write)
        return figures
    tenant, owner = bench_tenant("bench-jobs", max(rows, small))
    try:
        datasets = {size: dataset_services.dataset_create(tenant=tenant, actor=owner, name=f"bench-persons-{size}",
                                                          spec=bench_spec(size))
                    for size in {rows, small}}
        client = api_client(owner)
        close_old_connections()
        write(f"  this process holds {peak_rss_mb():.1f} MB when it starts the ceiling process")
        ceiling = measure_copy_ceiling(rows, chunk_rows)
        common = {"client": client, "tenant": tenant, "timeout": timeout}
        one = run_job(dataset=datasets[rows], rows=rows, processes=1, workers_each=1, **common)
        both = run_job(dataset=datasets[rows], rows=rows, processes=two[0], workers_each=two[1], **common)
        both_small = run_job(dataset=datasets[small], rows=small, processes=two[0], workers_each=two[1], **common)
    finally:
        bench_cleanup(tenant, owner)
    fair = _fairness(fairness_rows, timeout, two) if fairness_rows else None
    observed = _observability(rows, timeout, two, rounds) if rounds > 0 else None

    ceiling_rate = ceiling["rows_per_second"]
    ratio = both["rows_per_second"] / ceiling_rate
    speedup = both["rows_per_second"] / one["rows_per_second"]
    peak = max(run["peak_rss_mb"] or 0.0 for run in (one, both, both_small))
    flat = (both["peak_rss_mb"] is not None and both_small["peak_rss_mb"] is not None
            and both["peak_rss_mb"] <= FLAT_GROWTH * both_small["peak_rss_mb"])
    growth = (both["peak_rss_mb"] or 0.0) - (both_small["peak_rss_mb"] or 0.0)
    figures = {
        "broker": broker_name(), "layout": layout, "chunk_rows": chunk_rows,
        "ceiling_rows_per_second": round(ceiling_rate), "ceiling_seconds": round(ceiling["seconds"], 2),
        "runs": [one, both, both_small],
        "two_workers_rows_per_second": round(both["rows_per_second"]),
        "one_worker_rows_per_second": round(one["rows_per_second"]),
        "ratio": round(ratio, 2), "speedup": round(speedup, 2), "peak_rss_mb": round(peak, 1),
        "passed": {"ceiling_ratio": ratio >= TARGET_CEILING_RATIO, "peak_memory": 0 < peak < TARGET_PEAK_MB,
                   "flat_memory": flat},
    }

    write(f"  {f'raw COPY ceiling, {rows:,} rows pre-serialised':<44}{ceiling_rate:>10,.0f} rows/s  "
          f"({ceiling['seconds']:.2f} s)")
    for run in (one, both, both_small):
        label = f"job, {run['workers']} worker{'s' if run['workers'] > 1 else ''}, {run['rows']:,} rows"
        write(f"  {label:<44}{run['rows_per_second']:>10,.0f} rows/s  ({run['seconds']:.2f} s from request to "
              f"succeeded; {run['chunks']} chunks; the request {run['request_seconds'] * 1000:.0f} ms)")
        write(f"      {run['chunk_seconds']:.2f} s from claim to done-mark, summed: {run['busy']:.0%} of the "
              "workers' time (the rest: queue, locks, commits)")
        for pid, worker in sorted(run["worker_peaks"].items()):
            shown = "unreadable" if worker["peak_rss_mb"] is None else f"{worker['peak_rss_mb']:.1f} MB"
            write(f"      worker pid {pid}: {worker['chunks']} chunks, peak {shown} RSS (VmHWM)")
    write(f"  {'two workers / ceiling':<44}{ratio:>10.2f}x")
    write(f"  {'two workers / one worker':<44}{speedup:>10.2f}x")
    write("")
    write(f"  {'target':<46}{'measured':>12}  result")
    passed = figures["passed"]
    write(f"  {'two workers >= 0.5x the raw COPY ceiling':<46}{ratio:>11.2f}x  {verdict(passed['ceiling_ratio'])}")
    write(f"  {'peak memory per worker < 400 MB':<46}{peak:>9.1f} MB  {verdict(passed['peak_memory'])}")
    write(f"  {f'flat: {small:,} -> {rows:,} rows adds <= 10%':<46}{growth:>+9.1f} MB  {verdict(flat)}")
    if fair is not None:
        figures["fairness"] = fair
        fairness.report(fair, big_rows=fairness_rows, write=write)
    if observed is not None:
        figures["observability"] = observed
        report_observability(observed, write=write)
    return figures


TARGET_OBSERVABILITY_COST = 0.05


def observability_env(on: bool, metrics_dir: str) -> dict:
    """The workers' logging and metrics: on as in production (JSON lines at INFO, every chunk logged, metrics in
    multiprocess files), or off (WARNING: nothing logged on success; metric values discarded)."""
    if on:
        return {"LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "SYNTHHUB_METRICS_ENABLED": "true",
                "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    return {"LOG_FORMAT": "console", "LOG_LEVEL": "WARNING", "SYNTHHUB_METRICS_ENABLED": "false",
            "PROMETHEUS_MULTIPROC_DIR": ""}


# What a worker adds per chunk when logging and metrics are on: the chunk's JSON log line (with the job's context
# bound) and its metric updates, in a process of its own in multiprocess mode, as a worker runs them.
PER_CHUNK_WORK = """
import io, logging, sys, time
from apps.observability import metrics
from apps.observability.logs import formatter, job_context
entry = formatter("json"); make = entry.pop("()")
handler = logging.StreamHandler(io.StringIO()); handler.setFormatter(make(**entry))
log = logging.getLogger("apps.generation.services"); log.addHandler(handler); log.setLevel(logging.INFO)
log.propagate = False
count = int(sys.argv[1])
started = time.perf_counter()
for n in range(count):
    with job_context(job_kind="generation", job_id=1, chunk_id=n, tenant="bench"):
        log.info("chunk %s done", "people[0:50000]", extra={"rows": 50000, "seconds": 1.5})
        metrics.GENERATED_ROWS.inc(50000)
        metrics.CHUNK_DURATION.labels(status="done").observe(1.5)
        metrics.JOB_DURATION.labels(kind="generation", status="succeeded").observe(30.0)
print((time.perf_counter() - started) / count)
"""


def per_chunk_seconds(metrics_dir: str, count: int = 20_000) -> float:
    """Seconds of logging and metrics work per chunk, measured in a child process (multiprocess metrics on)."""
    from django.conf import settings

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics_dir, "SYNTHHUB_METRICS_ENABLED": "true",
           "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE}
    result = subprocess.run([sys.executable, "-c", PER_CHUNK_WORK, str(count)], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=300, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def _observability(rows: int, timeout: int, two: tuple[int, int], rounds: int) -> dict:
    """Two-worker jobs of `rows` rows with logging and metrics off and on, `rounds` times, in the order off, on, on,
    off, off, on, ... so that a machine getting steadily busier or quieter does not favour one side."""
    import tempfile

    from apps.datasets import services as dataset_services

    tenant, owner = bench_tenant("bench-jobs-obs", rows)
    runs = {"off": [], "on": []}
    try:
        dataset = dataset_services.dataset_create(tenant=tenant, actor=owner, name="bench-persons-obs",
                                                  spec=bench_spec(rows))
        client = api_client(owner)
        with tempfile.TemporaryDirectory(prefix="synthhub-bench-metrics-") as metrics_dir:
            for round_number in range(rounds):
                for side in ("off", "on") if round_number % 2 == 0 else ("on", "off"):
                    runs[side].append(run_job(client=client, tenant=tenant, dataset=dataset, rows=rows,
                                              processes=two[0], workers_each=two[1], timeout=timeout,
                                              env=observability_env(side == "on", metrics_dir)))
            metric_files = len(list(Path(metrics_dir).glob("*.db")))
        with tempfile.TemporaryDirectory(prefix="synthhub-bench-metrics-") as metrics_dir:
            work = per_chunk_seconds(metrics_dir)
    finally:
        bench_cleanup(tenant, owner)
    rate = {side: sum(run["rows"] for run in done) / sum(run["seconds"] for run in done)
            for side, done in runs.items()}
    cost = 1 - rate["on"] / rate["off"]
    done = [run for side in runs.values() for run in side]
    chunk_seconds = sum(run["chunk_seconds"] for run in done) / sum(run["chunks"] for run in done)
    return {"rows": rows, "rounds": rounds, "off_rows_per_second": round(rate["off"]),
            "per_chunk_us": round(work * 1e6, 1), "chunk_seconds": round(chunk_seconds, 3),
            "per_chunk_share": work / chunk_seconds,
            "on_rows_per_second": round(rate["on"]), "cost": round(cost, 4), "metric_files": metric_files,
            "runs": {side: [round(run["rows_per_second"]) for run in done] for side, done in runs.items()},
            "passed": cost <= TARGET_OBSERVABILITY_COST}


def report_observability(figures: dict, *, write) -> None:
    write("")
    write(f"  Logging and metrics: two workers, {figures['rows']:,} rows, {figures['rounds']} round(s) of off and on "
          "(off, on, on, off, ...)")
    write(f"  {'off (WARNING logs, metrics discarded)':<44}{figures['off_rows_per_second']:>10,} rows/s  "
          f"(runs: {', '.join(f'{rate:,}' for rate in figures['runs']['off'])})")
    write(f"  {'on (JSON logs at INFO, multiprocess metrics)':<44}{figures['on_rows_per_second']:>10,} rows/s  "
          f"(runs: {', '.join(f'{rate:,}' for rate in figures['runs']['on'])}; "
          f"{figures['metric_files']} metric files written)")
    write(f"  {'their work per chunk (log line, metric updates)':<44}{figures['per_chunk_us']:>10,.1f} us     "
          f"({figures['per_chunk_share']:.4%} of a chunk's {figures['chunk_seconds']:.2f} s claim-to-done)")
    write(f"  {'throughput lost to logging and metrics <= 5%':<46}{figures['cost']:>11.1%}  "
          f"{verdict(figures['passed'])}")


def _fairness(big_rows: int, timeout: int, two: tuple[int, int]) -> dict:
    """Tenant B's time to first row beside tenant A's big job, without and with the per-tenant cap."""
    from django.conf import settings

    from apps.datasets import services as dataset_services

    cap = settings.SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS or 4
    tenant_a, owner_a = bench_tenant("bench-jobs-a", big_rows)
    tenant_b, owner_b = bench_tenant("bench-jobs-b", fairness.SMALL_ROWS)
    try:
        big = dataset_services.dataset_create(tenant=tenant_a, actor=owner_a, name="bench-persons-big",
                                              spec=bench_spec(big_rows))
        small = dataset_services.dataset_create(tenant=tenant_b, actor=owner_b, name="bench-persons-small",
                                                spec=bench_spec(fairness.SMALL_ROWS))
        return fairness.measure(
            clusters_for=lambda env: Clusters(processes=two[0], workers_each=two[1], extra_env=env),
            big_dataset=big, small_dataset=small, cap=cap, timeout=timeout)
    finally:
        bench_cleanup(tenant_a, owner_a)
        bench_cleanup(tenant_b, owner_b)
