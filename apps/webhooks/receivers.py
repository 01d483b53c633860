"""Job and export completions become webhook events, queued in the transaction that completes them."""

from django.dispatch import receiver

from apps.exports.signals import export_ready
from apps.generation.models import JobStatus
from apps.generation.signals import job_finished

from .models import WebhookEvent
from .services import webhook_emit


@receiver(job_finished, dispatch_uid="webhooks-job-finished")
def _job_finished(sender, job, **kwargs):
    event = WebhookEvent.JOB_SUCCEEDED if job.status == JobStatus.SUCCEEDED else WebhookEvent.JOB_FAILED
    webhook_emit(tenant_id=job.tenant_id, event=event, data={
        "job": job.pk, "dataset": job.dataset_id, "version": job.version.number, "status": job.status,
        "rows_done": job.rows_done, "rows_total": job.rows_total,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    })


@receiver(export_ready, dispatch_uid="webhooks-export-ready")
def _export_ready(sender, export, **kwargs):
    webhook_emit(tenant_id=export.tenant_id, event=WebhookEvent.EXPORT_READY, data={
        "export": export.pk, "dataset": export.dataset_id, "version": export.version.number,
        "format": export.format, "size_bytes": export.size_bytes, "sha256": export.sha256,
        "expires_at": export.expires_at.isoformat() if export.expires_at else None,
    })
