from django import forms
from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html
from rest_framework.exceptions import APIException

from apps.core.admin import SoftDeleteAdminMixin, TenantScopedAdmin, TrashFilter

from . import services
from .models import Export, Push, RunStatus, TargetConnection


@admin.register(Export)
class ExportAdmin(SoftDeleteAdminMixin, TenantScopedAdmin):
    list_display = ["id", "tenant", "dataset", "version_number", "format", "status", "size", "expires_at",
                    "download_link", "in_trash"]
    list_filter = [TrashFilter, "status", "format", "tenant"]
    list_select_related = ["tenant", "dataset", "version"]
    search_fields = ["dataset__name", "=id"]
    readonly_fields = ["tenant", "dataset", "version", "format", "tables", "options", "status", "filename",
                       "content_type", "size", "sha256", "row_counts", "error", "requested_by", "created_at",
                       "started_at", "finished_at", "expires_at", "download_link", "deleted_at"]
    exclude = ["file", "size_bytes", "deleted_by"]
    trash_service = staticmethod(services.export_delete)
    restore_service = staticmethod(services.export_restore)

    @admin.display(description="version")
    def version_number(self, obj) -> int:
        return obj.version.number

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj) -> str:
        return "" if obj.size_bytes is None else filesizeformat(obj.size_bytes)

    @admin.display(description="file")
    def download_link(self, obj):
        if obj.status != RunStatus.SUCCEEDED:
            return "-"
        if services.export_is_expired(obj) or not obj.file:
            return "expired"
        url = reverse("admin:exports_export_download", args=[obj.pk])
        return format_html('<a href="{}">download</a>', url)

    def get_urls(self):
        download = path("<path:object_id>/download/", self.admin_site.admin_view(self.download_view),
                        name="exports_export_download")
        return [download, *super().get_urls()]

    def download_view(self, request, object_id):
        export = self.get_object(request, object_id)
        if export is None or not self.has_view_permission(request, export):
            raise Http404
        try:
            handle, filename, content_type = services.export_download(export=export, actor=request.user)
        except APIException as exc:
            self.message_user(request, f"Export {export.pk}: {exc.detail}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:exports_export_change", args=[export.pk]))
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # files go when they expire, rows through the trash


class TargetConnectionForm(forms.ModelForm):
    """The password is write-only: never rendered back, kept when left empty. The service's checks (host
    allow-list, not the platform's database, test-looking names) show as field errors."""

    password = forms.CharField(required=False, strip=False, widget=forms.PasswordInput(render_value=False),
                               help_text="Stored encrypted and never shown. Leave empty to keep the stored one.")
    clear_password = forms.BooleanField(required=False, help_text="Remove the stored password.")

    class Meta:
        model = TargetConnection
        fields = ["tenant", "name", "host", "port", "dbname", "user", "sslmode"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        data = super().clean()
        if not self.errors:
            values = {key: data.get(key) for key in services.TARGET_FIELDS}
            for path, message in services.target_problems(values):
                self.add_error(path if path in self.fields else None, message)
        return data


@admin.register(TargetConnection)
class TargetConnectionAdmin(TenantScopedAdmin):
    form = TargetConnectionForm
    list_display = ["name", "tenant", "host", "port", "dbname", "user", "password_set"]
    list_filter = ["tenant"]
    search_fields = ["name", "host", "dbname"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithRequest(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return WithRequest

    def get_readonly_fields(self, request, obj=None):
        return ["tenant"] if obj is not None else []

    @admin.display(boolean=True, description="password set")
    def password_set(self, obj) -> bool:
        return obj.has_password

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        password = "" if data.get("clear_password") else (data.get("password") or None)
        fields = {key: data[key] for key in services.TARGET_FIELDS if key in data}
        if change:
            target = TargetConnection.objects.get(pk=obj.pk)
            target = services.target_update(target=target, actor=request.user, password=password, **fields)
        else:
            target = services.target_create(tenant=data["tenant"], actor=request.user, password=password, **fields)
        obj.__dict__.update(target.__dict__)

    def delete_model(self, request, obj):
        services.target_delete(target=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for target in queryset:
            services.target_delete(target=target, actor=request.user)

    def has_add_permission(self, request) -> bool:
        return self._administers(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._administers(request, obj)


@admin.register(Push)
class PushAdmin(TenantScopedAdmin):
    list_display = ["id", "tenant", "target", "dataset", "version", "status", "created_at", "finished_at"]
    list_filter = ["status", "tenant"]
    list_select_related = ["tenant", "target", "dataset", "version__dataset"]
    readonly_fields = ["tenant", "target", "dataset", "version", "tables", "status", "row_counts", "error",
                       "requested_by", "created_at", "started_at", "finished_at"]
    exclude = ["updated_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # no service deletes a push: a queued or running one is a worker's, a finished one is history
