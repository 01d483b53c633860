"""The quality and privacy report page of a version: scores, privacy figures and the charts (inline SVG, the
same drawing as the standalone HTML file), or the report's progress while a task computes it."""

from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe
from rest_framework.exceptions import PermissionDenied

from apps.core.errors import ServiceValidationError
from apps.profiling import quality_service
from apps.profiling.report_html import render_body


def quality_view(request, model_admin, object_id):
    version = model_admin.get_queryset(request).filter(
        pk=int(object_id) if str(object_id).isdigit() else -1, deleted_at__isnull=True).first()
    if version is None:
        raise Http404
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "version": version,
               "title": f"{version}: quality and privacy", "refusal": "", "state": {}, "body": ""}
    try:
        state = quality_service.quality_request(version=version, user=request.user)
    except (ServiceValidationError, PermissionDenied) as exc:
        context["refusal"] = exc.problems[0][1] if isinstance(exc, ServiceValidationError) else str(exc.detail)
    else:
        context["state"] = state
        context["progress_percent"] = round(100 * (state.get("progress") or 0))
        if state.get("status") == "ready":
            # render_body escapes every text it draws (column names, labels); numbers are formatted by it.
            context["body"] = mark_safe(render_body(state["report"]))  # noqa: S308
    return TemplateResponse(request, "console/versions/quality.html", context)
