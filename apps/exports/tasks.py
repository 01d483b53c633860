"""django-q2 entry points: they take ids and call a service. Each writes the worker's heartbeat while it runs."""

from apps.generation.heartbeat import working
from apps.observability.logs import job_context

from . import services
from .models import Export, Push


def _tenant_of(model, pk: int) -> str | None:
    return model._base_manager.filter(pk=pk).values_list("tenant__slug", flat=True).first()


def run_export(export_id: int) -> str:
    with working(), job_context(job_kind="export", job_id=export_id, tenant=_tenant_of(Export, export_id)):
        return services.export_run(export_id=export_id)


def run_push(push_id: int) -> str:
    with working(), job_context(job_kind="push", job_id=push_id, tenant=_tenant_of(Push, push_id)):
        return services.push_run(push_id=push_id)


def expire_exports() -> dict:
    with working():
        return services.exports_expire()
