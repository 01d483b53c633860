"""The column statistics page of a version's table."""

from django.http import Http404
from django.template.response import TemplateResponse

from apps.datasets.models import VersionStatus

from .stats import table_stats


def stats_view(request, model_admin, object_id, table):
    version = model_admin.get_queryset(request).filter(
        pk=int(object_id) if str(object_id).isdigit() else -1, deleted_at__isnull=True).first()
    if version is None or table not in version.row_counts:
        raise Http404
    ready = version.status == VersionStatus.READY
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "version": version,
               "table": table, "tables": list(version.row_counts), "title": f"{version}: {table} statistics",
               "ready": ready, "stats": table_stats(version, table) if ready else []}
    for entry in context["stats"]:
        pairs = entry.get("buckets") or entry.get("top") or []
        entry["labels"] = "\u001f".join(str(label) for label, _ in pairs)
        entry["values"] = ",".join(str(n) for _, n in pairs)
    return TemplateResponse(request, "console/versions/stats.html", context)
