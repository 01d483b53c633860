"""Generation jobs and their chunks. Progress, cancellation and errors live here, not in the queue."""

from django.conf import settings
from django.db import models

from apps.core.models import TenantOwnedModel


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_JOB_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class ChunkStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class GenerationJob(TenantOwnedModel):
    dataset = models.ForeignKey("datasets.Dataset", on_delete=models.CASCADE, related_name="jobs")
    version = models.OneToOneField("datasets.DatasetVersion", on_delete=models.CASCADE, related_name="job")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    rows_done = models.BigIntegerField(default=0)
    rows_total = models.BigIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1, help_text="1, plus one per retry.")
    last_heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "-id"], name="job_tenant_recent")]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.dataset_id} v{self.version.number if self.version_id else '?'})"

    @property
    def progress(self) -> float:
        return self.progress_of(rows_done=self.rows_done, rows_total=self.rows_total, chunks_done=self.chunks_done)

    @staticmethod
    def progress_of(*, rows_done: int, rows_total: int, chunks_done: int) -> float:
        return rows_done / rows_total if rows_total else (1.0 if chunks_done else 0.0)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_JOB_STATUSES


class JobChunk(models.Model):
    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="chunks")
    table_name = models.CharField(max_length=63)
    start = models.BigIntegerField()
    stop = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # The outbox: a pending chunk with no enqueued_at is waiting for the dispatcher; one enqueued long ago and
    # still pending was lost by the broker or by a dead cluster, and the dispatcher enqueues it again.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # When the broker was first handed this pending chunk (kept through re-enqueues): how long it has waited.
    waiting_since = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job_id", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "table_name", "start"], name="uniq_chunk_range")]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="chunk_lease"),
                   models.Index(fields=["status", "enqueued_at"], name="chunk_outbox")]

    def __str__(self) -> str:
        return f"{self.table_name}[{self.start}:{self.stop}]"

    @property
    def rows(self) -> int:
        return self.stop - self.start


class ChunkProgress(models.Model):
    """Rows a running chunk has written so far, inside the one transaction that writes them all.

    Written by the chunk on a connection of its own, in autocommit, at most once per
    SYNTHHUB_PROGRESS_REPORT_MS (`apps/generation/live.py`), so readers see it while the chunk's rows are
    still uncommitted. No database foreign key: the write locks nothing but this row, whatever the chunk's
    transaction holds. `attempt` is the chunk's attempt that wrote it; a row of an earlier attempt is ignored.
    On SQLite the chunk's transaction holds the database's write lock, so these rows live in a file of their
    own beside it instead (same columns)."""

    chunk = models.OneToOneField(JobChunk, primary_key=True, on_delete=models.CASCADE, db_constraint=False,
                                 related_name="live")
    attempt = models.PositiveIntegerField()
    rows_done = models.BigIntegerField()
    rows_expected = models.BigIntegerField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"chunk {self.chunk_id}: {self.rows_done} of {self.rows_expected}"


class WorkerHeartbeat(models.Model):
    """A queue worker process that is doing work, seen from the database (not from the queue).

    A worker writes its row when it starts a task and every few seconds while it runs one; an idle worker
    writes nothing. Work that waits while no worker has written recently means the workers are gone or
    wedged: the readiness probe and the worker supervisor act on that."""

    cluster = models.CharField(max_length=100, blank=True, help_text="SYNTHHUB_CLUSTER_ID of its cluster.")
    host = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    tasks = models.PositiveIntegerField(default=0, help_text="Tasks started by this process.")

    class Meta:
        ordering = ["-last_seen"]
        constraints = [models.UniqueConstraint(fields=["host", "pid"], name="uniq_worker_process")]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an Idempotency-Key header, replayed to its retries for a day.

    Scoped by tenant, user and route, so one client's key never answers another's request; the request's
    fingerprint (method, path, body) tells a retry from a different request reusing the key."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    route = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "route", "key"], name="uniq_idempotency")]

    def __str__(self) -> str:
        return f"{self.route} {self.key}"
