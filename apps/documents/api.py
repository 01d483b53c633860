"""API: the documents validation report of a version (GET reads the stored one, POST validates again)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from apps.core.api.serializers import ModelSerializer
from apps.core.api.viewsets import TenantScopedGenericViewSet
from apps.datasets import selectors

from .models import DocumentReport
from .services import validate_version


class DocumentReportSerializer(ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    report = serializers.JSONField(read_only=True)

    class Meta:
        model = DocumentReport
        fields = ["version", "ok", "report", "created_at", "updated_at"]
        read_only_fields = fields


class DocumentReportViewSet(TenantScopedGenericViewSet):
    """The validation report of a version's travel-document objects (docs/documents.md)."""

    serializer_class = DocumentReportSerializer
    queryset = DocumentReport.objects.all()
    tenant_field = "tenant"
    dataset_path = "dataset"
    parent_dataset_kwarg = "dataset_pk"
    # Validating reads every stored row of the version: the dataset's generate permission (editors and up).
    object_permission = {"create": "generate"}
    filter_backends = []
    pagination_class = None

    def narrow(self, queryset):
        return queryset.select_related("version").filter(version__number=self.kwargs["number"],
                                                         version__deleted_at__isnull=True)

    @extend_schema(responses={200: DocumentReportSerializer})
    def list(self, request, *args, **kwargs):
        found = self.filter_queryset(self.get_queryset()).first()
        if found is None:
            raise Http404("This version has no documents report yet; POST to validate it.")
        return Response(DocumentReportSerializer(found).data)

    @extend_schema(request=None, responses={
        201: DocumentReportSerializer,
        400: OpenApiResponse(description="The version cannot be validated: it is not ready, or its spec has no "
                                         "document columns (the reason under `version`)."),
    })
    def create(self, request, *args, **kwargs):
        version = selectors.version_of(dataset=self.parent_dataset, number=self.kwargs["number"])
        return Response(DocumentReportSerializer(validate_version(version)).data, status=status.HTTP_201_CREATED)
