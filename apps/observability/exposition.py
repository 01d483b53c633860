"""What `/metrics` answers: the recorded metrics (this process's, or every process's in multiprocess mode) and
gauges read from the database at scrape time. Aggregates only: no tenant, dataset or user names."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from . import metrics


def _by_status(model) -> list[tuple[str, int]]:
    return sorted(model.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n").order_by())


class DatabaseCollector:
    """Gauges that are facts of the database, the same whichever process is scraped. A database that does not
    answer is `synthhub_database_up 0`, not a failed scrape: the recorded metrics still reach Prometheus."""

    def collect(self):
        try:
            families = list(self._collect())
        except DatabaseError:
            families = []
        yield GaugeMetricFamily("synthhub_database_up", "Whether the scrape could read the database (1) or not (0).",
                                value=1 if families else 0)
        yield from families

    def _collect(self):
        from apps.datasets.models import Dataset, DatasetVersion
        from apps.exports.models import Export, Push, RunStatus
        from apps.generation.heartbeat import oldest_waiting_enqueue
        from apps.generation.models import ChunkStatus, GenerationJob, JobChunk, JobStatus, WorkerHeartbeat
        from apps.tenants.models import Tenant

        now = timezone.now()
        yield GaugeMetricFamily("synthhub_tenants", "Active tenants.", value=Tenant.objects.filter(is_active=True)
                                .count())
        yield GaugeMetricFamily("synthhub_datasets", "Datasets not in the trash.", value=Dataset.objects.count())
        for name, help_text, model in (
                ("synthhub_versions", "Versions not in the trash, by status.", DatasetVersion),
                ("synthhub_jobs", "Generation jobs by status.", GenerationJob),
                ("synthhub_job_chunks", "Generation chunks by status.", JobChunk),
                ("synthhub_exports", "Exports not in the trash, by status.", Export),
                ("synthhub_pushes", "Pushes by status.", Push)):
            family = GaugeMetricFamily(name, help_text, labels=["status"])
            for status, count in _by_status(model):
                family.add_metric([status], count)
            yield family

        depth = GaugeMetricFamily("synthhub_queue_depth", "Tasks waiting for a worker (pending chunks of live jobs, "
                                  "queued exports and pushes).", labels=["kind"])
        depth.add_metric(["chunk"], JobChunk.objects.filter(
            status=ChunkStatus.PENDING, job__status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count())
        depth.add_metric(["export"], Export._base_manager.filter(status=RunStatus.QUEUED).count())
        depth.add_metric(["push"], Push._base_manager.filter(status=RunStatus.QUEUED).count())
        yield depth
        oldest = oldest_waiting_enqueue()
        yield GaugeMetricFamily("synthhub_queue_oldest_age_seconds",
                                "How long the longest-waiting task on the broker has waited (0: none waits).",
                                value=0 if oldest is None else max((now - oldest).total_seconds(), 0))

        recent = now - timedelta(seconds=max(settings.SYNTHHUB_WORKER_HEARTBEAT_SECONDS * 3, 30))
        yield GaugeMetricFamily("synthhub_workers_seen", "Worker processes whose heartbeat is recent (busy ones).",
                                value=WorkerHeartbeat.objects.filter(last_seen__gte=recent).count())
        newest = WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()
        yield GaugeMetricFamily("synthhub_worker_last_heartbeat_age_seconds",
                                "Seconds since any worker last wrote its heartbeat (-1: never).",
                                value=-1 if newest is None else max((now - newest).total_seconds(), 0))


def registry() -> CollectorRegistry:
    """This scrape's registry: every process's recorded metrics in multiprocess mode, else this process's."""
    scrape = CollectorRegistry(auto_describe=False)
    if metrics.multiprocess_dir():
        MultiProcessCollector(scrape, path=metrics.multiprocess_dir())
    else:
        for name in ("REQUEST_DURATION", "RESPONSES", "JOB_DURATION", "CHUNK_DURATION", "GENERATED_ROWS",
                     "EXPORTED_ROWS", "WORKER_HEARTBEATS"):
            scrape.register(_Only(getattr(metrics, name)))
    scrape.register(DatabaseCollector())
    return scrape


class _Only:
    """A metric of the default registry, collected into this scrape's registry (it belongs to the default one)."""

    def __init__(self, metric):
        self.metric = metric

    def collect(self):
        return self.metric.collect()


def render() -> bytes:
    return generate_latest(registry())


def machine_registry(path: str) -> CollectorRegistry:
    """The recorded metrics of every process that writes to `path` (one machine's multiprocess directory), and
    nothing read from the database: those gauges are the same from anywhere, and `/metrics` already has them."""
    scrape = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(scrape, path=path)
    return scrape


def scrape_refusal(authorization: str) -> int | None:
    """The token rule of every metrics endpoint: None when the scrape may have the metrics, else the status to
    answer. With SYNTHHUB_METRICS_TOKEN set, only `Authorization: Bearer <token>` passes (401 otherwise);
    without one, SYNTHHUB_METRICS_REQUIRE_TOKEN (on in production) hides the endpoint (404)."""
    token = settings.SYNTHHUB_METRICS_TOKEN
    if token:
        given = (authorization or "").removeprefix("Bearer ").strip()
        return None if hmac.compare_digest(given.encode(), token.encode()) else 401
    return 404 if settings.SYNTHHUB_METRICS_REQUIRE_TOKEN else None


__all__ = ["machine_registry", "registry", "render", "scrape_refusal"]
