"""Samples of real data (one table each), and profiles computed over them with the spec inferred from them.

A sample is real data: its rows are read only by the profiler (and by the quality reports), never shown or
exported to anyone without `view` on the sample (its own object permissions below), and purged with the
profiles made from it. Stored file names are random tokens: they reveal neither the tenant, the table nor the
uploaded file's name.
"""

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.core.models import SoftDeleteModel, TenantOwnedModel

# The object permissions a sample carries; a profile is visible to whoever may view all of its samples.
SAMPLE_ACTIONS = ("view", "delete")


def sample_codename(action: str) -> str:
    return f"{action}_sample"


class SampleFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSONL = "jsonl", "JSON Lines"
    PARQUET = "parquet", "Parquet"


class SampleSource(models.TextChoices):
    UPLOAD = "upload", "Uploaded file"
    TARGET = "target", "Table of a target database"


class Sample(TenantOwnedModel, SoftDeleteModel):
    table_name = models.CharField(max_length=63, help_text="The table the sample stands for.")
    source = models.CharField(max_length=10, choices=SampleSource.choices, default=SampleSource.UPLOAD)
    format = models.CharField(max_length=10, choices=SampleFormat.choices)
    # Always a Parquet copy in storage (uploads are converted once they are read in full, target tables are
    # copied), under a random name: readers stream it in record batches whatever the original format was.
    file = models.FileField(upload_to="samples/", max_length=300, blank=True)
    original_size_bytes = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, help_text="Of the uploaded bytes.")
    row_count = models.BigIntegerField(default=0)
    columns = models.JSONField(default=list, help_text="Column names, in file order.")
    target = models.ForeignKey("exports.TargetConnection", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    source_table = models.CharField(max_length=200, blank=True, help_text="schema.table read from the target.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(SoftDeleteModel.Meta):
        default_permissions = ("view", "delete")
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "-id"], name="sample_tenant_recent")]

    def __str__(self) -> str:
        return f"sample {self.pk} ({self.table_name})"


class SampleUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Sample, on_delete=models.CASCADE)


class SampleGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Sample, on_delete=models.CASCADE)


class ProfileStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = (ProfileStatus.SUCCEEDED, ProfileStatus.FAILED, ProfileStatus.CANCELLED)


class Profile(TenantOwnedModel, SoftDeleteModel):
    samples = models.ManyToManyField(Sample, related_name="profiles")
    status = models.CharField(max_length=10, choices=ProfileStatus.choices, default=ProfileStatus.QUEUED,
                              db_index=True)
    progress = models.FloatField(default=0.0, help_text="Share of the samples' rows read, 0..1.")
    # Statistics per table and column, key and foreign-key candidates, child counts, PII findings. They hold
    # values of the samples (min/max, top values), so they are shown only to viewers of every sample.
    result = models.JSONField(default=dict, blank=True)
    # The inferred schema-language document: no value of the samples except approved category lists.
    spec = models.JSONField(default=dict, blank=True)
    approved_categories = models.JSONField(default=list, blank=True,
                                           help_text="'table.column' whose category values the user approved.")
    error = models.TextField(blank=True, help_text="Why it failed, in the platform's own words.")
    # The dataset made from the reviewed spec, by id: the dataset has its own permissions and lifetime, and a
    # profile is scoped by its samples' permissions, not by a dataset's.
    created_dataset_id = models.BigIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(SoftDeleteModel.Meta):
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "-id"], name="profile_tenant_recent")]

    def __str__(self) -> str:
        return f"profile {self.pk}"
