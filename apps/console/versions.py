"""Generated versions: row counts, the records browser and column statistics (read-only; trash through the
version services)."""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from apps.datasets import services
from apps.datasets.models import DatasetVersion, VersionStatus
from apps.tenants.models import Role

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
    change_form_template = "console/versions/change_form.html"

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
        if obj.status != VersionStatus.READY or obj.deleted_at is not None:
            rows = format_html_join("", '<tr><td><code>{}</code></td><td class="num">{}</td><td></td></tr>',
                                    ((table, f"{count:,}") for table, count in obj.row_counts.items()))
        else:
            rows = format_html_join(
                "", '<tr><td><code>{}</code></td><td class="num">{}</td><td><a href="{}">Browse records</a> · '
                    '<a href="{}">Column statistics</a></td></tr>',
                ((table, f"{count:,}", reverse("console:datasets_datasetversion_records", args=[obj.pk, table]),
                  reverse("console:datasets_datasetversion_stats", args=[obj.pk, table]))
                 for table, count in obj.row_counts.items()))
        return format_html("<table><thead><tr><th>table</th><th>rows</th><th></th></tr></thead><tbody>{}</tbody>"
                           "</table>", rows)

    def get_urls(self):
        from .exports import export_form_view, push_form_view
        from .quality import quality_view
        from .records import records_view
        from .stats_view import stats_view

        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"

        def bound(view):
            return wrap(lambda request, **kwargs: view(request, self, **kwargs))

        return [
            path("<path:object_id>/records/<str:table>/", bound(records_view), name=f"{prefix}_records"),
            path("<path:object_id>/stats/<str:table>/", bound(stats_view), name=f"{prefix}_stats"),
            path("<path:object_id>/export/", bound(export_form_view), name=f"{prefix}_export"),
            path("<path:object_id>/push/", bound(push_form_view), name=f"{prefix}_push"),
            path("<path:object_id>/quality/", bound(quality_view), name=f"{prefix}_quality"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            ready = obj.status == VersionStatus.READY and obj.deleted_at is None
            context["may_export"] = ready and self.may(request, "export", obj)
            context["may_push"] = context["may_export"] and self.has_role(request, Role.ADMIN, obj)
            context["version"] = obj
        return super().render_change_form(request, context, add, change, form_url, obj)

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
