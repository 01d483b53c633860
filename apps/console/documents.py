"""Documents validation reports: per version, whether every certificate, CRL, master list and SOD verified and
each negative scenario was refused for its labelled reason (read-only; reports are made by the API or
`validate_documents`)."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.documents.models import DocumentReport

from .base import ConsoleModelAdmin
from .filters import TenantFilter
from .site import console_site

_SIGNED = ("documents", "dtcs")  # report sections of signed documents: passports' SODs, DTC virtual components
_SCENARIO_HEAD = mark_safe(  # noqa: S308 - constant markup, no input
    "<tr><th>scenario</th><th>rows</th><th>share</th><th>expected</th><th>as labelled</th><th>rate ok</th></tr>")


@admin.register(DocumentReport, site=console_site)
class DocumentReportConsole(ConsoleModelAdmin):
    dataset_path = "dataset"
    list_display = ["__str__", "ok", "documents_checked", "mismatches", "updated_at"]
    list_filter = ["ok", TenantFilter]
    list_select_related = ["version", "version__dataset"]
    fields = ["version", "ok", "objects", "scenarios", "dtc_scenarios", "failures", "updated_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, DocumentReport.objects.select_related("version", "version__dataset"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="documents checked")
    def documents_checked(self, obj) -> str:
        return f"{sum(obj.report.get(s, {}).get('checked', 0) for s in _SIGNED):,}"

    @admin.display(description="not as labelled")
    def mismatches(self, obj) -> str:
        return f"{sum(obj.report.get(s, {}).get('mismatch_count', 0) for s in _SIGNED):,}"

    @admin.display(description="Objects")
    def objects(self, obj):
        rows = ((name, obj.report.get(name, {}).get("valid", 0), obj.report.get(name, {}).get("checked", 0))
                for name in ("certificates", "crls", "master_lists", "mdocs"))
        body = format_html_join("", "<tr><td>{}</td><td class=\"num\">{} of {} verified</td></tr>", rows)
        return format_html("<table>{}</table>", body)

    @admin.display(description="Scenarios")
    def scenarios(self, obj):
        return _scenario_table(obj.report.get("documents", {}).get("scenarios", {}))

    @admin.display(description="DTC scenarios")
    def dtc_scenarios(self, obj):
        return _scenario_table(obj.report.get("dtcs", {}).get("scenarios", {}))

    @admin.display(description="First failures")
    def failures(self, obj):
        listed = [(name, str(item)) for name in ("certificates", "crls", "master_lists", "mdocs")
                  for item in obj.report.get(name, {}).get("failures", [])]
        listed += [(name, str(item)) for name in _SIGNED for item in obj.report.get(name, {}).get("mismatches", [])]
        if not listed:
            return "none"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: <code>{}</code></li>", listed))


def _scenario_table(scenarios: dict):
    if not scenarios:
        return "none"
    rows = ((label, item.get("rows", 0), f"{item.get('share', 0):.2%}", item.get("expected_reason") or "accepted",
             item.get("rejected_as_labelled", 0), {True: "yes", False: "no", None: "-"}[item.get("rate_ok")])
            for label, item in scenarios.items())
    body = format_html_join("", "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                                "<td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>", rows)
    return format_html("<table>{}{}</table>", _SCENARIO_HEAD, body)
