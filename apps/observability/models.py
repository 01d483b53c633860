"""The timeline of a job: what happened to it, in the platform's own words, never a generated or sample value.

Generic over the kinds of job (generation, export, push, and the profile and masking jobs to come): an event
names its job by kind and id, not by a foreign key, so one table and one API shape serve every kind.
"""

from django.db import models


class JobKind(models.TextChoices):
    GENERATION = "generation", "Generation job"
    EXPORT = "export", "Export"
    PUSH = "push", "Push"
    PROFILE = "profile", "Profile job"
    MASKING = "masking", "Masking job"


class EventType(models.TextChoices):
    QUEUED = "queued", "Queued"
    CLAIMED = "claimed", "Claimed by a worker"
    CHUNK_DONE = "chunk_done", "Chunk done"
    RETRIED = "retried", "Retried"
    REQUEUED = "requeued", "Re-queued"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class JobEvent(models.Model):
    """One event of one job. `seq` counts the job's events from 1 and never repeats, so the events a full
    timeline dropped are `last seq - events kept` (apps.observability.events)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=JobKind.choices)
    job_id = models.BigIntegerField()
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    type = models.CharField(max_length=12, choices=EventType.choices)
    message = models.CharField(max_length=500)
    worker = models.CharField(max_length=200, blank=True)
    chunk = models.CharField(max_length=100, blank=True, help_text="table[start:stop] of a generation chunk.")
    rows = models.BigIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    attempt = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "job_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["kind", "job_id", "seq"], name="uniq_job_event_seq")]

    def __str__(self) -> str:
        return f"{self.kind} {self.job_id} #{self.seq} {self.type}"
