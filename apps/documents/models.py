"""The validation report of a version's travel-document objects (one per version, replaced on each run)."""

from django.db import models

from apps.core.models import TenantOwnedModel


class DocumentReport(TenantOwnedModel):
    dataset = models.ForeignKey("datasets.Dataset", on_delete=models.CASCADE, related_name="document_reports")
    version = models.OneToOneField("datasets.DatasetVersion", on_delete=models.CASCADE,
                                   related_name="document_report")
    ok = models.BooleanField(help_text="Every object verified and every scenario refused for its labelled reason.")
    report = models.JSONField(help_text="What was checked and what failed (docs/documents.md \"Validation report\").")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"documents report of {self.version}"
