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
        return self.rows_done / self.rows_total if self.rows_total else (1.0 if self.chunks_done else 0.0)

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
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job_id", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "table_name", "start"], name="uniq_chunk_range")]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="chunk_lease")]

    def __str__(self) -> str:
        return f"{self.table_name}[{self.start}:{self.stop}]"

    @property
    def rows(self) -> int:
        return self.stop - self.start
