"""Scheduled generation of a dataset, and each firing of a schedule (a run: the job, then its export and push)."""

from django.conf import settings
from django.db import models

from apps.core.models import TenantOwnedModel


class Schedule(TenantOwnedModel):
    dataset = models.ForeignKey("datasets.Dataset", on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=100)
    # Exactly one of the two: a cron expression (read in `timezone`) or a fixed interval.
    cron = models.CharField(max_length=200, blank=True)
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC",
                                help_text="The IANA time zone whose wall clock the cron fields read (an interval "
                                          "ignores it).")
    rows_scale = models.FloatField(default=1.0)
    export_format = models.CharField(max_length=10, blank=True, help_text="Export each new version (empty: no).")
    target = models.ForeignKey("exports.TargetConnection", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", help_text="Push each new version into this database.")
    keep_last = models.PositiveIntegerField(null=True, blank=True,
                                            help_text="Versions made by this schedule kept; older ones go to the "
                                                      "trash (empty: all are kept).")
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="Runs act as this user, with their permissions.")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="schedule_name_per_tenant")]

    def __str__(self) -> str:
        return f"schedule {self.name}"


class RunStatus(models.TextChoices):
    GENERATING = "generating", "Generating"
    DELIVERING = "delivering", "Exporting or pushing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ScheduleRun(TenantOwnedModel):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs")
    job = models.ForeignKey("generation.GenerationJob", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    export = models.ForeignKey("exports.Export", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    push = models.ForeignKey("exports.Push", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.GENERATING,
                              db_index=True)
    error = models.CharField(max_length=500, blank=True, help_text="Why it failed, in the platform's words.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"run {self.pk} of schedule {self.schedule_id}"
