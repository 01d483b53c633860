"""Generated versions: row counts, the records browser and column statistics (read-only; trash through the
version services)."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from apps.datasets import services
from apps.datasets.models import DatasetVersion

from .base import ConsoleModelAdmin
from .filters import TenantFilter, TrashFilter
from .site import console_site


@admin.register(DatasetVersion, site=console_site)
class VersionConsole(ConsoleModelAdmin):
    dataset_path = "dataset"
    list_display = ["__str__", "status", "seed", "rows", "created_at", "in_trash"]
    list_filter = [TrashFilter, "status", TenantFilter]
    list_select_related = ["dataset", "tenant"]
    search_fields = ["dataset__name"]
    actions = ["move_to_trash", "restore"]
    fields = ["dataset", "number", "status", "seed", "rows_scale", "reference_time", "tables_and_rows", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, DatasetVersion.all_objects.select_related("dataset", "tenant"))

    @admin.display(description="rows")
    def rows(self, obj) -> str:
        return f"{obj.total_rows:,}"

    @admin.display(boolean=True, description="in trash")
    def in_trash(self, obj) -> bool:
        return obj.deleted_at is not None

    @admin.display(description="Tables")
    def tables_and_rows(self, obj):
        rows = format_html_join("", '<tr><td><code>{}</code></td><td class="num">{}</td></tr>',
                                ((table, f"{count:,}") for table, count in obj.row_counts.items()))
        return format_html("<table><thead><tr><th>table</th><th>rows</th></tr></thead><tbody>{}</tbody></table>",
                           rows)

    @admin.action(description="Move selected versions to the trash")
    def move_to_trash(self, request, queryset):
        for version in queryset.filter(deleted_at__isnull=True):
            if not self.may(request, "delete", version):
                self.message_user(request, f"{version}: you do not have the 'delete' permission on it.", "error")
                continue
            self.run_service(request, lambda v=version: services.version_delete(version=v, actor=request.user),
                             f"{version} is in the trash.")

    @admin.action(description="Restore selected versions from the trash")
    def restore(self, request, queryset):
        for version in queryset.filter(deleted_at__isnull=False):
            if not self.may(request, "delete", version):
                self.message_user(request, f"{version}: you do not have the 'delete' permission on it.", "error")
                continue
            self.run_service(request, lambda v=version: services.version_restore(version=v, actor=request.user),
                             f"{version} is restored.")
