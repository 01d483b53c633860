"""Exports: ask for one from a ready version (format, tables, options), the list with sizes, sha256 and
expiry, downloads, trash and restore, and pushes to a target database; every write through
apps.exports.services."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from rest_framework.exceptions import APIException

from apps.datasets.models import VersionStatus
from apps.exports import services
from apps.exports.models import Export, ExportFormat, Push, RunStatus, TargetConnection
from apps.observability.console import events_table
from apps.observability.models import JobKind
from apps.tenants.models import Role

from .base import ConsoleModelAdmin, problems_of, refusal_message
from .filters import TenantFilter, TrashFilter
from .site import console_site


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=ExportFormat.choices, initial=ExportFormat.CSV)
    tables = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False,
                                       help_text="None ticked: every table (parents first).")
    options = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                              help_text='JSON, e.g. {"neutralise_formulas": false} for CSV, {"dialect": "mysql"} '
                                        'for SQL, {"inner_format": "parquet"} for a bundle.')

    def __init__(self, *args, tables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tables"].choices = [(t, t) for t in tables]

    def clean_options(self):
        raw = (self.cleaned_data.get("options") or "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(f"not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("must be a JSON object")
        return value


class PushForm(forms.Form):
    target = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="A test database of your team.")
    tables = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False,
                                       help_text="None ticked: every table.")

    def __init__(self, *args, tenant=None, tables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = TargetConnection.objects.filter(tenant=tenant)
        self.fields["tables"].choices = [(t, t) for t in tables]


def _ready_version(request, model_admin, object_id):
    version = model_admin.get_queryset(request).select_related("dataset", "tenant").filter(
        pk=int(object_id) if str(object_id).isdigit() else -1, deleted_at__isnull=True).first()
    if version is None:
        raise Http404
    if not model_admin.may(request, "export", version):
        raise PermissionDenied
    return version


def _show_problems(form, exc) -> None:
    for path_, message in problems_of(exc):
        field = path_.split(".")[0]
        form.add_error(field if field in form.fields else None, f"{path_}: {message}" if path_ else message)


def export_form_view(request, model_admin, object_id):
    version = _ready_version(request, model_admin, object_id)
    form = ExportForm(request.POST or None, tables=list(version.row_counts))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            export = services.export_create(tenant=version.tenant, actor=request.user, dataset_id=version.dataset_id,
                                            version_number=version.number, fmt=data["format"],
                                            tables=data["tables"] or None, options=data["options"])
        except APIException as exc:
            _show_problems(form, exc)
        else:
            messages.success(request, f"Export {export.filename} is queued; this page updates when it is ready.")
            return redirect("console:exports_export_change", export.pk)
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "version": version,
               "form": form, "title": f"Export {version}", "ready": version.status == VersionStatus.READY,
               "form_id": "export-form", "submit": "Export"}
    return TemplateResponse(request, "console/versions/run_form.html", context)


def push_form_view(request, model_admin, object_id):
    version = _ready_version(request, model_admin, object_id)
    if not model_admin.has_role(request, Role.ADMIN, version):
        raise PermissionDenied
    form = PushForm(request.POST or None, tenant=version.tenant, tables=list(version.row_counts))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            push = services.version_push(target=data["target"], actor=request.user, dataset_id=version.dataset_id,
                                         version_number=version.number, tables=data["tables"] or None)
        except APIException as exc:
            _show_problems(form, exc)
        else:
            messages.success(request, f"Push {push.pk} to {data['target']} is queued.")
            return redirect("console:exports_push_change", push.pk)
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "version": version,
               "form": form, "title": f"Push {version} to a test database", "ready": True,
               "form_id": "push-form", "submit": "Push",
               "empty_targets": not form.fields["target"].queryset.exists()}
    return TemplateResponse(request, "console/versions/run_form.html", context)


@admin.register(Export, site=console_site)
class ExportConsole(ConsoleModelAdmin):
    dataset_path = "dataset"
    list_display = ["filename", "format", "status", "size", "sha256_short", "expires_at", "created_at", "download"]
    list_filter = [TrashFilter, "format", "status", TenantFilter]
    list_select_related = ["dataset", "version"]
    fields = ["dataset", "version", "format", "tables", "options", "status", "filename", "size_bytes", "sha256",
              "expires_at", "error", "download", "events"]
    readonly_fields = fields
    actions = ["move_to_trash", "restore"]
    change_form_template = "console/exports/change_form.html"

    def get_queryset(self, request):
        return self.scoped(request, Export.all_objects.select_related("dataset", "version"))

    @admin.display(description="size")
    def size(self, obj) -> str:
        if obj.size_bytes is None:
            return "-"
        return f"{obj.size_bytes / 2**20:.1f} MiB" if obj.size_bytes >= 2**20 else f"{obj.size_bytes:,} B"

    @admin.display(description="sha256")
    def sha256_short(self, obj) -> str:
        return f"{obj.sha256[:12]}…" if obj.sha256 else "-"

    @admin.display(description="file")
    def download(self, obj):
        if obj.status != RunStatus.SUCCEEDED or obj.deleted_at is not None or services.export_is_expired(obj):
            return "-"
        from django.urls import reverse

        return format_html('<a class="console-download" href="{}">Download</a>',
                           reverse("console:exports_export_download", args=[obj.pk]))

    @admin.display(description="Events")
    def events(self, obj):
        return events_table(kind=JobKind.EXPORT, job_id=obj.pk)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [path("<path:object_id>/download/", self.admin_site.admin_view(self.download_view),
                     name=f"{prefix}_download"), *super().get_urls()]

    def download_view(self, request, object_id):
        export = self.get_queryset(request).filter(pk=int(object_id) if str(object_id).isdigit() else -1,
                                                   deleted_at__isnull=True).first()
        if export is None:
            raise Http404
        try:
            handle, filename, content_type = services.export_download(export=export, actor=request.user)
        except APIException as exc:
            self.message_user(request, refusal_message(exc), messages.ERROR)
            return redirect("console:exports_export_change", export.pk)
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["export"] = obj
        context["running"] = obj is not None and obj.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _trash(self, request, queryset, service, done: str, alive: bool):
        for export in queryset.filter(deleted_at__isnull=alive):
            if not self.may(request, "export", export):
                self.message_user(request, f"{export}: you do not have the 'export' permission on it.", "error")
                continue
            self.run_service(request, lambda e=export: service(export=e, actor=request.user), f"{export} {done}")

    @admin.action(description="Move selected exports to the trash")
    def move_to_trash(self, request, queryset):
        self._trash(request, queryset, services.export_delete, "is in the trash.", alive=True)

    @admin.action(description="Restore selected exports from the trash")
    def restore(self, request, queryset):
        self._trash(request, queryset, services.export_restore, "is restored.", alive=False)


@admin.register(Push, site=console_site)
class PushConsole(ConsoleModelAdmin):
    """Pushes into target databases, read only with their timeline: admins and owners, as on the API (a push
    names a target connection)."""

    dataset_path = "dataset"
    view_role = Role.ADMIN
    list_display = ["__str__", "dataset", "version", "status", "created_at", "finished_at"]
    list_filter = ["status", TenantFilter]
    list_select_related = ["dataset", "version", "target"]
    fields = ["target", "dataset", "version", "tables", "status", "row_counts", "error_code", "error", "attempts",
              "worker", "created_at", "started_at", "finished_at", "events"]
    readonly_fields = fields
    change_form_template = "console/exports/push_change_form.html"

    def get_queryset(self, request):
        return self.scoped(request, Push.objects.select_related("dataset", "version", "target"))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["push"] = obj
        context["running"] = obj is not None and obj.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="Events")
    def events(self, obj):
        return events_table(kind=JobKind.PUSH, job_id=obj.pk)
