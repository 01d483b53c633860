"""Samples: upload a sample file for a team (editors and up), the list of samples the member may view (never
their rows), and trash (the sample's `delete` permission); every write through apps.profiling.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from rest_framework.exceptions import APIException

from apps.profiling import services
from apps.profiling.models import Sample, SampleFormat
from apps.profiling.permissions import sample_allowed_filter, user_may_sample
from apps.tenants.models import Role

from .base import ConsoleModelAdmin, problems_of
from .filters import TenantFilter
from .scoping import member_tenants
from .site import console_site


class SampleUploadForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None)
    table_name = forms.CharField(max_length=63, help_text="The table the sample stands for (an identifier).")
    file = forms.FileField(help_text="CSV with a header line, JSON Lines or Parquet; one table, 2 to 500 columns.")
    format = forms.ChoiceField(choices=[("", "from the file name"), *SampleFormat.choices], required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = member_tenants(user, at_least=Role.EDITOR)


@admin.register(Sample, site=console_site)
class SampleConsole(ConsoleModelAdmin):
    list_display = ["__str__", "table_name", "format", "row_count", "column_count", "created_at"]
    list_filter = ["format", TenantFilter]
    fields = ["table_name", "source", "format", "row_count", "columns", "original_size_bytes", "sha256",
              "source_table", "created_at"]
    readonly_fields = fields
    actions = ["move_to_trash"]

    def scoped(self, request, queryset):
        # Samples are real data: only those the member holds `view` on (their own object permissions).
        queryset = super().scoped(request, queryset)
        return queryset.filter(sample_allowed_filter(user=request.user, action="view"))

    def get_queryset(self, request):
        return self.scoped(request, Sample.objects.all())

    @admin.display(description="columns")
    def column_count(self, obj) -> int:
        return len(obj.columns)

    def has_add_permission(self, request) -> bool:
        return self.has_role(request, Role.EDITOR)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SampleUploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                sample = services.sample_upload(tenant=data["team"], actor=request.user, table_name=data["table_name"],
                                                uploaded=data["file"], fmt=data["format"] or None)
            except APIException as exc:
                for path_, message in problems_of(exc):
                    field = path_.split(".")[0]
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"{sample} is stored: {sample.row_count} rows, {len(sample.columns)} "
                                          "columns. Profile it next.")
                return redirect("console:profiling_sample_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form,
                   "title": "Upload a sample", "form_id": "sample-upload-form", "submit": "Upload",
                   "multipart": True}
        return TemplateResponse(request, "console/profiling/form.html", context)

    @admin.action(description="Move selected samples to the trash")
    def move_to_trash(self, request, queryset):
        for sample in queryset:
            if not user_may_sample(user=request.user, sample=sample, action="delete"):
                self.message_user(request, f"{sample}: you do not have the 'delete' permission on it.", "error")
                continue
            self.run_service(request, lambda s=sample: services.sample_delete(sample=s, actor=request.user),
                             f"{sample} is in the trash.")
