"""Exports of a version's records to files, target databases to push versions into, and pushes."""

from django.conf import settings
from django.db import models

from apps.core.models import SoftDeleteModel, TenantOwnedModel


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"
    JSONL = "jsonl", "JSON Lines"
    PARQUET = "parquet", "Parquet"
    SQL = "sql", "SQL script"
    BUNDLE = "bundle", "Bundle (zip with manifest)"
    PKI = "pki", "PKI objects (tar.gz of DER and PEM files)"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class FailureReason(models.TextChoices):
    """Why an export or a push failed. Stored instead of the driver's or the library's text, which can name
    internal hosts, users or values."""

    REFUSED = "refused", "The target refused the connection"
    AUTH_FAILED = "auth_failed", "The target did not accept the user or password"
    TIMEOUT = "timeout", "The target did not answer in time"
    NOT_ALLOWED = "not_allowed", "Not allowed by the platform's rules for targets"
    DNS_FAILED = "dns_failed", "The target's host name could not be resolved"
    TLS_FAILED = "tls_failed", "The TLS handshake with the target failed"
    TARGET_ERROR = "target_error", "The target answered with an error"
    DATABASE_ERROR = "database_error", "Reading the version's records failed"
    STORAGE_ERROR = "storage_error", "Writing the file failed"
    STALLED = "stalled", "Its worker stopped before it finished"
    INTERNAL_ERROR = "internal_error", "An unexpected error (see the server log)"


class Export(TenantOwnedModel, SoftDeleteModel):
    dataset = models.ForeignKey("datasets.Dataset", on_delete=models.CASCADE, related_name="exports")
    version = models.ForeignKey("datasets.DatasetVersion", on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    tables = models.JSONField(default=list, help_text="Tables exported, parents first.")
    options = models.JSONField(default=dict, blank=True, help_text="Format options, with their defaults filled in.")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    # The storage name never contains user input; `filename` is what a download is called.
    file = models.FileField(upload_to="exports/", max_length=300, blank=True)
    filename = models.CharField(max_length=300, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    row_counts = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=20, choices=FailureReason.choices, blank=True)
    error = models.TextField(blank=True, help_text="Why it failed, in the platform's own words.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Run like a generation chunk (docs/jobs.md): claimed under a lease its worker renews, re-queued by the
    # reaper when the lease runs out (bounded by attempts), enqueued by the dispatcher from this row.
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                      help_text="After this the file is removed and downloads answer 410.")

    class Meta(SoftDeleteModel.Meta):
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "-id"], name="export_tenant_recent")]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format} of {self.version})" if self.version_id else f"export {self.pk}"


class TargetConnection(TenantOwnedModel):
    """A PostgreSQL database a tenant pushes versions into. The password is stored encrypted, never shown."""

    name = models.CharField(max_length=100)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=5432)
    dbname = models.CharField(max_length=63)
    user = models.CharField(max_length=63)
    password_encrypted = models.TextField(blank=True, editable=False,
                                          help_text="Fernet token of the password (empty: no password).")
    sslmode = models.CharField(max_length=12, default="prefer", choices=[
        ("disable", "disable"), ("allow", "allow"), ("prefer", "prefer"), ("require", "require"),
        ("verify-ca", "verify-ca"), ("verify-full", "verify-full"),
    ])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="uniq_target_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    @property
    def dsn_display(self) -> str:
        """The connection as a URL without its password (safe to show)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}?sslmode={self.sslmode}"


class Push(TenantOwnedModel):
    """One push of a version into a target database: queued, run by a task, polled through the API."""

    target = models.ForeignKey(TargetConnection, on_delete=models.CASCADE, related_name="pushes")
    dataset = models.ForeignKey("datasets.Dataset", on_delete=models.CASCADE, related_name="pushes")
    version = models.ForeignKey("datasets.DatasetVersion", on_delete=models.CASCADE, related_name="pushes")
    tables = models.JSONField(default=list)
    trust_service = models.JSONField(default=dict, blank=True, help_text=(
        "A trust-service mapping (docs/documents.md): when set, the push writes the mapped trust tables only."))
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    row_counts = models.JSONField(default=dict, blank=True, help_text="Rows written (inserted or updated) per table.")
    error_code = models.CharField(max_length=20, choices=FailureReason.choices, blank=True)
    error = models.TextField(blank=True, help_text="Why it failed, in the platform's own words.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"push {self.pk} to {self.target}"
