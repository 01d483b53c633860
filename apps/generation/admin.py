from django.contrib import admin, messages
from django.utils.html import format_html

from apps.core.admin import TenantScopedAdmin

from . import services
from .models import GenerationJob, JobChunk, JobStatus


class JobChunkInline(admin.TabularInline):
    model = JobChunk
    extra = 0
    can_delete = False
    fields = ["table_name", "start", "stop", "status", "attempts", "worker", "started_at", "finished_at", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GenerationJob)
class GenerationJobAdmin(TenantScopedAdmin):
    list_display = ["id", "tenant", "dataset", "version_number", "status", "progress_bar", "rows_done",
                    "rows_total", "created_at", "finished_at"]
    list_filter = ["status", "tenant"]
    list_select_related = ["tenant", "dataset", "version"]
    search_fields = ["dataset__name", "=id"]
    readonly_fields = ["tenant", "dataset", "version", "requested_by", "parameters", "status", "progress_bar",
                       "rows_done", "rows_total", "chunks_done", "chunks_total", "started_at", "finished_at",
                       "last_heartbeat", "attempts", "error"]
    exclude = ["updated_at"]
    inlines = [JobChunkInline]
    actions = ["cancel_jobs", "retry_jobs"]

    @admin.display(description="version")
    def version_number(self, obj) -> int:
        return obj.version.number

    @admin.display(description="progress")
    def progress_bar(self, obj):
        percent = round(obj.progress * 100, 1)
        return format_html('<progress max="100" value="{}" title="{}%"></progress> {}%', percent, percent, percent)

    @admin.action(description="Cancel selected queued or running jobs")
    def cancel_jobs(self, request, queryset):
        self._each(request, queryset.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]), services.job_cancel,
                   "cancelled")

    @admin.action(description="Retry selected failed jobs")
    def retry_jobs(self, request, queryset):
        self._each(request, queryset.filter(status=JobStatus.FAILED), services.job_retry, "queued again")

    def _each(self, request, queryset, service, verb: str) -> None:
        done = 0
        for job in queryset:
            try:
                service(job=job, actor=request.user)
                done += 1
            except Exception as exc:  # noqa: BLE001 - report per job, go on with the rest
                self.message_user(request, f"Job {job.pk}: {getattr(exc, 'detail', exc)}", messages.ERROR)
        self.message_user(request, f"{done} job(s) {verb}.")

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # No service deletes a job: its chunks may be in a worker's hands, and its rows are the record of the
        # work. Cancel it with the action instead.
        return False
from . import admin_queue  # noqa: E402,F401 - replaces django-q's pages with read-only ones
