from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from guardian.admin import GuardedModelAdminMixin

from apps.core.admin import TenantScopedAdmin

from . import services
from .models import Dataset, DatasetVersion, Record


class TrashFilter(admin.SimpleListFilter):
    title = "trash"
    parameter_name = "trash"

    def lookups(self, request, model_admin):
        return [("alive", "Not in trash"), ("trash", "In trash")]

    def queryset(self, request, queryset):
        if self.value() == "trash":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "alive":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class SoftDeleteAdminMixin:
    """Lists show live and trashed rows (with a filter); delete moves to the trash, restore brings back."""

    def get_queryset(self, request):
        queryset = self.model.all_objects.get_queryset()
        if not request.user.is_superuser:
            queryset = queryset.filter(**self._tenant_filter(request))
        return queryset

    @admin.display(boolean=True, description="in trash")
    def in_trash(self, obj) -> bool:
        return obj.deleted_at is not None


@admin.register(Dataset)
class DatasetAdmin(SoftDeleteAdminMixin, GuardedModelAdminMixin, TenantScopedAdmin):
    list_display = ["name", "tenant", "template_name", "created_by", "created_at", "in_trash"]
    list_filter = [TrashFilter, "tenant", "template_name"]
    search_fields = ["name", "description"]
    readonly_fields = ["tenant", "spec", "spec_hash", "template_name", "created_by", "created_at", "deleted_at",
                       "deleted_by"]
    fields = ["name", "description", "default_seed", *readonly_fields]
    actions = ["move_to_trash", "restore"]

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        obj.refresh_from_db()
        services.dataset_update(dataset=obj, actor=request.user, **changes)

    @admin.action(description="Move selected datasets to the trash")
    def move_to_trash(self, request, queryset):
        for dataset in queryset.filter(deleted_at__isnull=True):
            services.dataset_delete(dataset=dataset, actor=request.user)

    @admin.action(description="Restore selected datasets from the trash")
    def restore(self, request, queryset):
        for dataset in queryset.filter(deleted_at__isnull=False):
            try:
                services.dataset_restore(dataset=dataset, actor=request.user)
            except Exception as exc:  # noqa: BLE001 - report per dataset, go on with the rest
                self.message_user(request, f"{dataset}: {getattr(exc, 'detail', exc)}", messages.ERROR)

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
    actions = ["move_to_trash", "restore"]
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

    @admin.action(description="Move selected versions to the trash")
    def move_to_trash(self, request, queryset):
        for version in queryset.filter(deleted_at__isnull=True):
            services.version_delete(version=version, actor=request.user)

    @admin.action(description="Restore selected versions from the trash")
    def restore(self, request, queryset):
        for version in queryset.filter(deleted_at__isnull=False):
            services.version_restore(version=version, actor=request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Record)
class RecordAdmin(SoftDeleteAdminMixin, TenantScopedAdmin):
    """Read-only browsing: pick a version and a table with the filters."""

    tenant_path = "version__tenant"
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
