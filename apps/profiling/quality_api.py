"""The API shape of a version's quality report: its state, the report when ready, or the HTML file."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.response import Response

from apps.core.api.serializers import Serializer
from apps.core.errors import ServiceValidationError

from .report_html import render

QUALITY_PARAMETERS = [OpenApiParameter(
    "download", str, enum=["html"], required=False,
    description="`html`: the ready report as one standalone HTML file (inline SVG charts, nothing fetched).")]


class QualityStateSerializer(Serializer):
    status = serializers.ChoiceField(choices=["queued", "running", "ready", "failed"], read_only=True)
    progress = serializers.FloatField(read_only=True, help_text="0..1")
    error = serializers.CharField(read_only=True, allow_blank=True)
    computed_at = serializers.CharField(read_only=True, allow_null=True, required=False)
    report = serializers.JSONField(read_only=True, allow_null=True, help_text=(
        "quality (overall, properties, details as SDMetrics defines them), tables (histograms, correlations, "
        "privacy: exact_copy_rate, dcr, pii_columns), relationships"))


def quality_response(request, version, state: dict):
    download = request.query_params.get("download", "")
    if download not in ("", "html"):
        raise ServiceValidationError([("download", "must be 'html' or absent")])
    body = {"status": state.get("status"), "progress": state.get("progress", 0.0), "error": state.get("error", ""),
            "computed_at": state.get("computed_at"), "report": state.get("report")}
    if download == "html":
        if state.get("status") != "ready":
            raise ServiceValidationError([("download", f"the report is {state.get('status')}; the HTML file "
                                                       "is there once it is ready")])
        title = f"{version.dataset.name} v{version.number}: quality and privacy"
        response = HttpResponse(render(state["report"], title=title), content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="quality-{version.dataset_id}-v{version.number}'
                                           '.html"')
        return response
    code = status.HTTP_200_OK if state.get("status") in ("ready", "failed") else status.HTTP_202_ACCEPTED
    return Response(QualityStateSerializer(body).data, status=code)
