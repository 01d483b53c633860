"""Datasets (a spec), their generated versions, and the records of each version."""

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.core.fields import OrderedJSONField
from apps.core.models import SoftDeleteModel, TenantOwnedModel

# The object permissions a dataset carries; versions, records, jobs and exports inherit them.
DATASET_ACTIONS = ("view", "change", "delete", "generate", "export")


def codename(action: str) -> str:
    return f"{action}_dataset"


class Dataset(TenantOwnedModel, SoftDeleteModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    spec = OrderedJSONField(help_text="The schema document as submitted (YAML is stored as its mapping).")
    spec_hash = models.CharField(max_length=64, help_text="sha256 of the normalised document.")
    template_name = models.CharField(max_length=100, blank=True, help_text="The built-in template it came from.")
    default_seed = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(SoftDeleteModel.Meta):
        permissions = [("generate_dataset", "Can generate versions"), ("export_dataset", "Can export versions")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], condition=models.Q(deleted_at__isnull=True), name="uniq_live_dataset_name"
            )
        ]
        indexes = [models.Index(fields=["tenant", "-id"], name="dataset_tenant_recent")]

    def __str__(self) -> str:
        return self.name


class DatasetUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign key (not a generic relation): lists scope with one indexed subquery."""

    content_object = models.ForeignKey(Dataset, on_delete=models.CASCADE)


class DatasetGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Dataset, on_delete=models.CASCADE)


class VersionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    GENERATING = "generating", "Generating"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class DatasetVersion(TenantOwnedModel, SoftDeleteModel):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    reference_time = models.DateTimeField(help_text="Relative dates resolve against this; reruns reproduce it.")
    rows_scale = models.FloatField(default=1.0)
    tables = models.JSONField(default=list, blank=True, help_text="Tables generated (empty: all).")
    rows = models.JSONField(default=dict, blank=True,
                            help_text="Absolute row counts requested per table; they win over rows_scale.")
    spec_snapshot = OrderedJSONField()
    spec_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=VersionStatus.choices, default=VersionStatus.PENDING)
    row_counts = models.JSONField(default=dict, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    # The quality and privacy report against the sample the dataset was inferred from (apps/profiling):
    # {"status": queued|running|ready|failed, "progress": 0..1, "error", "report", "computed_at"}.
    quality_report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(SoftDeleteModel.Meta):
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="uniq_version_number")]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.number}"

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


class Record(SoftDeleteModel):
    # Records are written a million at a time with COPY. A database-level foreign key would check every row
    # against the versions table at commit (seconds per million rows) and its own index would duplicate the
    # unique (version, table, row_index) index, which already serves every lookup by version. Deleting a
    # version still deletes its records (Django's CASCADE), and records are only written for a version
    # that exists, inside the transaction of the chunk that owns them.
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="records",
                                db_constraint=False, db_index=False)
    table_name = models.CharField(max_length=63)
    row_index = models.BigIntegerField()
    data = models.JSONField()
    # Records are written a million at a time: no extra indexes on the trash markers (the paging index
    # narrows to one version and table first, and trashed records are few).
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False, db_index=False, db_constraint=False,
    )

    class Meta(SoftDeleteModel.Meta):
        constraints = [
            # Also the paging index: (version, table, row_index) seeks straight to any cursor position.
            models.UniqueConstraint(fields=["version", "table_name", "row_index"], name="uniq_record_position")
        ]

    def __str__(self) -> str:
        return f"{self.table_name}[{self.row_index}]"
