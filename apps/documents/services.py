"""Validating a version's travel-document objects and keeping the report on the version."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.core.errors import ServiceValidationError
from apps.datasets.models import DatasetVersion, Record, VersionStatus
from apps.datasets.services import parse_or_400

from .models import DocumentReport
from .report import build_report

READ_BATCH = 2_000
DOCUMENT_TYPES = frozenset({"x509_certificate", "crl", "master_list", "sod", "mdoc", "dtc"})


def has_documents(doc: dict) -> bool:
    return any(spec["type"] in DOCUMENT_TYPES for table in doc["tables"].values() for spec in table["columns"].values())


def validate_version(version: DatasetVersion) -> DocumentReport:
    """Verify the stored rows of a ready version and keep the report (replacing an earlier one)."""
    if version.status != VersionStatus.READY:
        raise ServiceValidationError([("version", f"version {version.number} is {version.status}; only a ready "
                                                  "version can be validated")])
    doc = parse_or_400(version.spec_snapshot).doc
    if not has_documents(doc):
        raise ServiceValidationError([("version", "the version's spec has no document columns (x509_certificate, "
                                                  "crl, master_list, sod, mdoc, dtc)")])

    def rows(table: str, columns: tuple[str, ...]):
        records = (Record.objects.filter(version=version, table_name=table).order_by("row_index")
                   .values_list("data", flat=True))
        for data in records.iterator(chunk_size=READ_BATCH):
            yield {name: data.get(name) for name in columns} if isinstance(data, dict) else {}

    report = build_report(doc, rows)
    report["validated_at"] = timezone.now().isoformat()
    with transaction.atomic():
        found, _ = DocumentReport.objects.update_or_create(
            version=version, defaults={"tenant_id": version.tenant_id, "dataset_id": version.dataset_id,
                                       "ok": report["ok"], "report": report})
    return found
