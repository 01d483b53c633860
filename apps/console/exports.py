"""Exports: the list with sizes, sha256 and expiry; downloads; trash and restore through the services."""

from django.contrib import admin

from apps.exports.models import Export

from .base import ConsoleModelAdmin
from .filters import TenantFilter, TrashFilter
from .site import console_site


@admin.register(Export, site=console_site)
class ExportConsole(ConsoleModelAdmin):
    dataset_path = "dataset"
    list_display = ["filename", "format", "status", "size_bytes", "sha256", "expires_at", "created_at"]
    list_filter = [TrashFilter, "format", "status", TenantFilter]
    list_select_related = ["dataset", "version"]
    fields = ["dataset", "version", "format", "tables", "options", "status", "filename", "size_bytes", "sha256",
              "expires_at", "error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, Export.all_objects.select_related("dataset", "version"))
