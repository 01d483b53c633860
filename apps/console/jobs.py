"""Generation jobs: the list, and a page per job with live progress (an htmx fragment polled until the job
finishes), cancel and retry through apps.generation.services."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from apps.generation import services
from apps.generation.models import GenerationJob
from apps.observability.console import events_table
from apps.observability.models import JobKind

from .base import ConsoleModelAdmin
from .filters import TenantFilter
from .progress import job_progress
from .site import console_site

# htmx stops polling an element when the answer has this status.
HTMX_STOP_POLLING = 286


def htmx_redirect(request, url: str):
    """htmx buttons are told where to go next (a full page load); plain form posts are redirected."""
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


@admin.register(GenerationJob, site=console_site)
class JobConsole(ConsoleModelAdmin):
    dataset_path = "dataset"
    list_display = ["__str__", "dataset", "status", "rows_done", "rows_total", "created_at"]
    list_filter = ["status", TenantFilter]
    list_select_related = ["dataset", "version"]
    fields = ["dataset", "version", "status", "parameters", "attempts", "created_at", "started_at", "finished_at",
              "events"]
    readonly_fields = fields
    change_form_template = "console/jobs/change_form.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/progress/", wrap(self.progress_view), name=f"{prefix}_progress"),
            path("<path:object_id>/cancel/", wrap(require_POST(self.cancel_view)), name=f"{prefix}_cancel"),
            path("<path:object_id>/retry/", wrap(require_POST(self.retry_view)), name=f"{prefix}_retry"),
            *super().get_urls(),
        ]

    def _job(self, request, object_id) -> GenerationJob:
        job = self.get_queryset(request).select_related("version", "dataset").filter(
            pk=int(object_id) if str(object_id).isdigit() else None).first()
        if job is None:
            raise Http404
        return job

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(job_progress(obj))
            context["may_generate"] = self.may(request, "generate", obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def progress_view(self, request, object_id):
        job = self._job(request, object_id)
        context = {**job_progress(job), "may_generate": self.may(request, "generate", job)}
        response = TemplateResponse(request, "console/jobs/progress.html", context)
        if job.is_finished:
            response.status_code = HTMX_STOP_POLLING if request.headers.get("HX-Request") else 200
        return response

    def _act(self, request, object_id, service, done: str):
        job = self._job(request, object_id)
        if not self.may(request, "generate", job):
            raise PermissionDenied
        self.run_service(request, lambda: service(job=job, actor=request.user), done)
        return htmx_redirect(request, reverse("console:generation_generationjob_change", args=[job.pk]))

    def cancel_view(self, request, object_id):
        return self._act(request, object_id, services.job_cancel, "The job is cancelled; its partial rows are removed.")

    def retry_view(self, request, object_id):
        return self._act(request, object_id, services.job_retry, "The job's unfinished chunks are queued again.")

    @admin.display(description="Events")
    def events(self, obj):
        return events_table(kind=JobKind.GENERATION, job_id=obj.pk)
