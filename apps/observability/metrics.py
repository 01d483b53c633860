"""Prometheus metrics of the platform (prometheus_client).

Recorded where things happen (requests, chunks, jobs, exports, pushes, worker heartbeats) and exposed at
`/metrics` (synthhub.metrics), together with gauges read from the database at scrape time (queue depth, the age
of the oldest queued task, workers seen, rows by status).

Several processes: set PROMETHEUS_MULTIPROC_DIR to a directory every process of a deployment can write (gunicorn
workers, qcluster workers, the scheduler; docs/operations.md). Each process then writes its values to files of
its own there and `/metrics` adds them up, so counters keep what exited processes counted. The files are named
by host and pid, so containers sharing the directory through a volume never write to each other's files. Empty
the directory when the whole deployment restarts (`manage.py metrics_reset`, run by the compose `migrate` step).
"""

from __future__ import annotations

import os
import socket

from prometheus_client import values

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_HOST = socket.gethostname().replace("_", "-")[:60]


def process_identifier(pid: int | None = None) -> str:
    """What names a process's metric files: host and pid (pids repeat across containers sharing the directory)."""
    return f"{_HOST}_{os.getpid() if pid is None else pid}"


def multiprocess_dir() -> str:
    return os.environ.get(MULTIPROC_ENV, "").strip()


class _Discarded:
    """The value of a metric that records nothing (SYNTHHUB_METRICS_ENABLED=false)."""

    _multiprocess = False

    def __init__(self, *args, **kwargs):
        pass

    def inc(self, amount):
        pass

    def set(self, value, timestamp=None):
        pass

    def set_exemplar(self, exemplar):
        pass

    def get(self):
        return 0.0

    def get_exemplar(self):
        return None


def enabled() -> bool:
    return os.environ.get("SYNTHHUB_METRICS_ENABLED", "true").strip().lower() not in ("0", "false", "no", "off")


# Chosen before any metric exists.
if not enabled():
    # Recording off (`bench jobs` measures the cost of metrics with it): every value is discarded.
    values.ValueClass = _Discarded
elif multiprocess_dir():
    # Values live in per-process files named by host and pid (not by pid alone).
    os.makedirs(multiprocess_dir(), exist_ok=True)
    values.ValueClass = values.MultiProcessValue(process_identifier=lambda: process_identifier())

from prometheus_client import Counter, Histogram  # noqa: E402 - after the value class is chosen

# Requests: up to a minute (the gunicorn timeout).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# Jobs, exports and pushes: a second to hours.
JOB_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 10800)

REQUEST_DURATION = Histogram(
    "synthhub_http_request_duration_seconds", "Time to answer a request, by route pattern and method.",
    ["route", "method"], buckets=REQUEST_BUCKETS)
RESPONSES = Counter(
    "synthhub_http_responses", "Responses by route pattern, method and status code.", ["route", "method", "status"])
JOB_DURATION = Histogram(
    "synthhub_job_duration_seconds",
    "From claimed to finished: generation jobs, exports, pushes (kind), by final status.",
    ["kind", "status"], buckets=JOB_BUCKETS)
CHUNK_DURATION = Histogram(
    "synthhub_chunk_duration_seconds", "Time to generate and store one generation chunk, by outcome.",
    ["status"], buckets=JOB_BUCKETS)
GENERATED_ROWS = Counter(
    "synthhub_generated_rows", "Rows written by generation chunks (monotonic: purging jobs never lowers it).")
EXPORTED_ROWS = Counter("synthhub_exported_rows", "Rows written to export files and pushed into targets.", ["kind"])
WORKER_HEARTBEATS = Counter("synthhub_worker_heartbeats", "Heartbeats written by queue worker processes.")


def mark_process_dead(pid: int) -> None:
    """Called by gunicorn's master when a worker exits (synthhub/gunicorn.conf.py, child_exit): what only the live
    process could report goes with it; its counters and histograms stay in the sums."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(process_identifier(pid), multiprocess_dir())


def seconds_between(start, end) -> float | None:
    return None if start is None or end is None else max((end - start).total_seconds(), 0.0)


def observe_job(kind: str, status: str, seconds: float | None) -> None:
    if seconds is not None:
        JOB_DURATION.labels(kind=kind, status=status).observe(seconds)
