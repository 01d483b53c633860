"""Schedules in the console: list, create, change, delete and each schedule's recent runs; every write through
apps.schedules.services (the same checks, limit and audit as the API)."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from apps.exports.models import ExportFormat
from apps.schedules import services
from apps.schedules.models import Schedule
from apps.tenants.models import Role

from .base import ConsoleModelAdmin, form_for_user
from .filters import TenantFilter
from .scoping import datasets_for
from .site import console_site

RUNS_SHOWN = 20
TIMING_HELP = ("Either a cron expression (minute hour day-of-month month day-of-week, on the time zone's wall clock) "
               "or an interval.")
ZONE_HELP = ("IANA time zone of the cron fields, e.g. Europe/Amsterdam. On a clock change a skipped time fires at the "
             "old offset (02:30 → 03:30), a repeated one fires once.")


class ScheduleForm(forms.ModelForm):
    export_format = forms.ChoiceField(required=False, choices=[("", "No export"), *ExportFormat.choices])

    class Meta:
        model = Schedule
        fields = ["dataset", "name", "cron", "interval_seconds", "timezone", "rows_scale", "export_format", "target",
                  "keep_last", "enabled"]
        help_texts = {"cron": TIMING_HELP, "interval_seconds": TIMING_HELP, "timezone": ZONE_HELP}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "timezone" in self.fields:
            self.fields["timezone"].required = False
        if "dataset" in self.fields:
            self.fields["dataset"].queryset = datasets_for(user, action="generate")
        if "target" in self.fields:
            from apps.exports.models import TargetConnection

            tenant_id = self.instance.tenant_id if self.instance.pk else None
            targets = TargetConnection.objects.filter(tenant__in=datasets_for(user).values("tenant"))
            self.fields["target"].queryset = targets.filter(tenant_id=tenant_id) if tenant_id else targets

    def _post_clean(self):
        """The service checks the schedule (with paths shown on the form); the model's own checks would only
        repeat them against a row that has no tenant yet."""


@admin.register(Schedule, site=console_site)
class ScheduleConsole(ConsoleModelAdmin):
    dataset_path = "dataset"
    form = ScheduleForm
    list_display = ["name", "dataset", "timing", "timezone", "export_format", "keep_last", "enabled", "next_run_at",
                    "last_run_at"]
    list_filter = ["enabled", TenantFilter]
    list_select_related = ["dataset"]
    actions = None

    def get_queryset(self, request):
        return self.scoped(request, Schedule.objects.select_related("dataset", "target", "created_by"))

    @admin.display(description="When")
    def timing(self, obj):
        return obj.cron or f"every {obj.interval_seconds} s"

    @admin.display(description="Recent runs")
    def recent_runs(self, obj):
        runs = obj.runs.select_related("job__version").order_by("-id")[:RUNS_SHOWN]
        if not runs:
            return "No runs yet."
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (run.created_at.strftime("%Y-%m-%d %H:%M"), run.get_status_display(),
             run.job.version.number if run.job else "", run.export_id or "", run.error) for run in runs))
        return format_html("<table><tr><th>Fired</th><th>Status</th><th>Version</th><th>Export</th><th>Error</th>"
                           "</tr>{}</table>", rows)

    # ----- permissions: the dataset's `generate`, as on the API
    def has_add_permission(self, request) -> bool:
        return self.has_role(request, Role.EDITOR) and datasets_for(request.user, action="generate").exists()

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        return self.may(request, "generate", obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    # ----- forms
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        return form_for_user(form, request.user)

    def get_fields(self, request, obj=None):
        editable = ["name", "cron", "interval_seconds", "timezone", "rows_scale", "export_format", "target",
                    "keep_last", "enabled"]
        if obj is None:
            return ["dataset", *editable]
        return [*editable, "dataset", "next_run_at", "last_run_at", "created_by", "recent_runs"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        shown = ["dataset", "next_run_at", "last_run_at", "created_by", "recent_runs"]
        if not self.has_change_permission(request, obj):
            return [*self.get_fields(request, obj)]
        return shown

    # ----- writes, through the services
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        rows_scale = data.get("rows_scale")
        values = {"name": data.get("name") or "", "cron": data.get("cron") or "",
                  "interval_seconds": data.get("interval_seconds"), "timezone": data.get("timezone") or "UTC",
                  "rows_scale": 1.0 if rows_scale is None else rows_scale,
                  "export_format": data.get("export_format") or "", "keep_last": data.get("keep_last"),
                  "enabled": bool(data.get("enabled"))}
        target = data.get("target")
        if not change:
            dataset = data["dataset"]
            created = services.schedule_create(tenant=dataset.tenant, actor=request.user, dataset_id=dataset.pk,
                                               target_id=target.pk if target else None, **values)
            obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
            return
        schedule = Schedule.objects.get(pk=obj.pk)
        services.schedule_update(schedule=schedule, actor=request.user, target_id=target.pk if target else None,
                                 **values)

    def save_related(self, request, form, formsets, change):
        """Nothing related is saved by the form: the service wrote everything."""

    def delete_model(self, request, obj):
        services.schedule_delete(schedule=obj, actor=request.user)
