"""Gunicorn settings for the API: `gunicorn -c synthhub/gunicorn.conf.py synthhub.wsgi:application`.

Used by docker/compose.yaml (the web service) and by `manage.py bench api`, which measured the choice on
two cores shared with PostgreSQL (docs/benchmarks.md, "API"). Each value can be overridden from the
environment; command-line options override this file.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


# Each worker thread keeps its database connection between requests (Django's CONN_MAX_AGE, in seconds):
# opening one per request costs PostgreSQL a process start and the app a connect and authentication.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")

bind = os.environ.get("SYNTHHUB_WEB_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("SYNTHHUB_WEB_WORKER_CLASS", "gthread")
# One process per core this process may run on (the affinity mask: a container's or a taskset's cores).
workers = _int("SYNTHHUB_WEB_WORKERS", len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else multiprocessing.cpu_count())
threads = _int("SYNTHHUB_WEB_THREADS", 4)
# Keep-alive lets a client reuse its connection (gthread; sync workers close after every response).
keepalive = _int("SYNTHHUB_WEB_KEEPALIVE", 5)
# The app is imported once in the master and the workers fork from it: faster start, shared pages.
# Django opens no database connection at import, so no connection is shared across the fork.
preload_app = True
# A request that takes longer than this is killed with its worker (exports and pushes are tasks, not requests).
timeout = _int("SYNTHHUB_WEB_TIMEOUT", 60)
graceful_timeout = _int("SYNTHHUB_WEB_GRACEFUL_TIMEOUT", 30)
# Recycle workers now and then so that slow growth of a long-lived process cannot accumulate.
max_requests = _int("SYNTHHUB_WEB_MAX_REQUESTS", 20_000)
max_requests_jitter = _int("SYNTHHUB_WEB_MAX_REQUESTS_JITTER", 2_000)
accesslog = os.environ.get("SYNTHHUB_WEB_ACCESS_LOG") or None
errorlog = "-"


# Metrics of several workers (PROMETHEUS_MULTIPROC_DIR, docs/operations.md): a worker that exits is marked dead
# so that what only a live process reports goes with it; its counters and histograms stay in the sums.
def child_exit(server, worker):
    from apps.observability.metrics import mark_process_dead

    mark_process_dead(worker.pid)
