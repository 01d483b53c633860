from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.html import format_html, format_html_join
from guardian.admin import GuardedModelAdminMixin

from apps.core.admin import SoftDeleteAdminMixin, TenantScopedAdmin, TrashFilter

from . import services
from .models import Dataset, DatasetVersion, Record


@admin.register(Dataset)
class DatasetAdmin(SoftDeleteAdminMixin, GuardedModelAdminMixin, TenantScopedAdmin):
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

    # guardian's permission pages show a dataset's grants. They do not save: its forms would grant without the
    # role rules, the withdrawal on demotion and the audit of `dataset_permissions_set` (use the API's
    # permissions route). Users and groups outside the dataset's tenant are missing ones (404), so their names
    # never show on another tenant's page, and the pickers find only the tenant's members and role groups (no
    # oracle for the platform's usernames and group names).
    def obj_perms_manage_view(self, request, object_pk):
        if request.method == "POST" and "submit_manage_user" not in request.POST \
                and "submit_manage_group" not in request.POST:
            raise PermissionDenied
        request._permissions_tenant = self._dataset_or_404(request, object_pk).tenant
        return super().obj_perms_manage_view(request, object_pk)

    def get_obj_perms_user_select_form(self, request):
        tenant = getattr(request, "_permissions_tenant", None)

        class TenantMember(super().get_obj_perms_user_select_form(request)):
            def clean_user(self):
                user = super().clean_user()
                if tenant is None or not tenant.memberships.filter(user=user).exists():
                    raise forms.ValidationError(self.fields["user"].error_messages["does_not_exist"])
                return user

        return TenantMember

    def get_obj_perms_group_select_form(self, request):
        tenant = getattr(request, "_permissions_tenant", None)

        class TenantRoleGroup(super().get_obj_perms_group_select_form(request)):
            def clean_group(self):
                group = super().clean_group()
                if tenant is None or not tenant.role_groups.filter(group=group).exists():
                    raise forms.ValidationError(self.fields["group"].error_messages["does_not_exist"])
                return group

        return TenantRoleGroup

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        if request.method == "POST":
            raise PermissionDenied
        dataset = self._dataset_or_404(request, object_pk)
        if not dataset.tenant.memberships.filter(user_id=self._int_or_404(user_id)).exists():
            raise Http404
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        if request.method == "POST":
            raise PermissionDenied
        dataset = self._dataset_or_404(request, object_pk)
        if not dataset.tenant.role_groups.filter(group_id=self._int_or_404(group_id)).exists():
            raise Http404
        return super().obj_perms_manage_group_view(request, object_pk, group_id)

    def _dataset_or_404(self, request, object_pk) -> Dataset:
        dataset = self.get_queryset(request).select_related("tenant").filter(pk=self._int_or_404(object_pk)).first()
        if dataset is None:
            raise Http404
        return dataset

    @staticmethod
    def _int_or_404(value) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise Http404 from None


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
