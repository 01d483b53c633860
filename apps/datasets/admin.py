from django.contrib import admin
from django.utils.html import format_html, format_html_join

from apps.core.admin import SoftDeleteAdminMixin, TenantScopedAdmin, TrashFilter

from . import services
from .models import Dataset, DatasetVersion, Record


@admin.register(Dataset)
class DatasetAdmin(SoftDeleteAdminMixin, TenantScopedAdmin):
    """No add page (datasets are made by `dataset_create` through the API or the console, which parse the spec,
    grant the role defaults and audit) and no object-permission pages: a dataset's grants are edited through
    `dataset_permissions_set` (the API's permissions route and the console's page), which applies the role
    rules and audits. django-guardian's generic pages did neither."""

    list_display = ["name", "tenant", "template_name", "created_by", "created_at", "in_trash"]
    list_filter = [TrashFilter, "tenant", "template_name"]
    list_select_related = ["tenant", "created_by"]
    search_fields = ["name", "description"]
    readonly_fields = ["tenant", "spec", "spec_hash", "template_name", "created_by", "created_at", "deleted_at",
                       "deleted_by"]
    fields = ["name", "description", "default_seed", *readonly_fields]
    trash_service = staticmethod(services.dataset_delete)
    restore_service = staticmethod(services.dataset_restore)

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        obj.refresh_from_db()
        services.dataset_update(dataset=obj, actor=request.user, **changes)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # hard deletes happen only through the scheduled trash purge


@admin.register(DatasetVersion)
class DatasetVersionAdmin(SoftDeleteAdminMixin, TenantScopedAdmin):
    list_display = ["__str__", "tenant", "status", "seed", "total", "created_at", "in_trash"]
    list_filter = [TrashFilter, "status", "tenant"]
    list_select_related = ["dataset", "tenant"]
    search_fields = ["dataset__name"]
    readonly_fields = ["dataset", "tenant", "number", "status", "seed", "reference_time", "rows_scale", "tables",
                       "spec_hash", "row_counts", "manifest", "created_at", "deleted_at", "preview"]
    exclude = ["spec_snapshot", "created_by", "deleted_by"]
    trash_service = staticmethod(services.version_delete)
    service_keyword = "version"
    restore_service = staticmethod(services.version_restore)
    preview_rows = 10

    @admin.display(description="rows")
    def total(self, obj) -> int:
        return obj.total_rows

    @admin.display(description="First records per table")
    def preview(self, obj):
        sections = []
        for table in obj.row_counts:
            rows = list(Record.objects.filter(version=obj, table_name=table).order_by("row_index")
                        .values_list("row_index", "data")[: self.preview_rows])
            columns = list(rows[0][1]) if rows else []
            head = format_html_join("", "<th>{}</th>", ((c,) for c in ["#", *columns]))
            body = format_html_join(
                "", "<tr>{}</tr>",
                ((format_html_join("", "<td>{}</td>", ((v,) for v in [index, *data.values()])),)
                 for index, data in rows),
            )
            sections.append(format_html("<h4>{} ({} rows)</h4><table><thead><tr>{}</tr></thead><tbody>{}</tbody>"
                                        "</table>", table, obj.row_counts[table], head, body))
        return format_html_join("", "{}", ((s,) for s in sections)) or "No records."

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Record)
class RecordAdmin(SoftDeleteAdminMixin, TenantScopedAdmin):
    """Read-only browsing: pick a version and a table with the filters."""

    tenant_path = "version__tenant"
    trash_service = staticmethod(services.record_delete)
    restore_service = staticmethod(services.record_restore)
    list_display = ["row_index", "table_name", "version", "data", "in_trash"]
    list_filter = [TrashFilter, "table_name"]
    list_select_related = ["version__dataset"]
    search_fields = ["=version__id"]
    show_full_result_count = False  # counting a million-row table on every page is slow

    def get_readonly_fields(self, request, obj=None):
        return ["version", "table_name", "row_index", "data", "deleted_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
