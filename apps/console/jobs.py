"""Generation jobs: the list, and a page per job with live progress, cancel and retry."""

from django.contrib import admin

from apps.generation.models import GenerationJob

from .base import ConsoleModelAdmin
from .filters import TenantFilter
from .site import console_site


@admin.register(GenerationJob, site=console_site)
class JobConsole(ConsoleModelAdmin):
    dataset_path = "dataset"
    list_display = ["__str__", "dataset", "status", "rows_done", "rows_total", "created_at"]
    list_filter = ["status", TenantFilter]
    list_select_related = ["dataset", "version"]
    fields = ["dataset", "version", "status", "rows_done", "rows_total", "chunks_done", "chunks_total", "started_at",
              "finished_at", "error", "attempts"]
    readonly_fields = fields
