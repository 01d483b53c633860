from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.negotiation import FileDownloadNegotiation
from apps.core.api.viewsets import TenantScopedGenericViewSet
from apps.core.errors import ServiceValidationError
from apps.core.permissions import IsTenantAdmin, IsTenantViewer
from apps.generation.api.idempotency import IDEMPOTENCY_PARAMETER, IDEMPOTENCY_RESPONSES, respond_idempotently
from apps.observability.api.views import JobEventsMixin
from apps.observability.models import JobKind

from .. import services
from ..models import Export, Push, TargetConnection
from .serializers import (
    ExportCreateSerializer,
    ExportSerializer,
    PushCreateSerializer,
    PushSerializer,
    TargetConnectionSerializer,
)


class TenantSlugContextMixin:
    def get_serializer_context(self):
        return {**super().get_serializer_context(), "tenant_slug": self.kwargs.get("tenant", "")}


class ExportViewSet(JobEventsMixin, TenantSlugContextMixin, TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Exports of versions of the datasets the caller may view; files are made by a queued task."""

    events_kind = JobKind.EXPORT
    serializer_class = ExportSerializer
    queryset = Export.all_objects.select_related("dataset", "version", "requested_by")
    tenant_field = "tenant"
    dataset_path = "dataset"
    object_permission = {"destroy": "export", "restore": "export"}
    trash_actions = frozenset({"restore"})
    permission_classes = [IsTenantViewer]  # the dataset's object permissions decide the rest
    filterset_fields = ["status", "format", "dataset"]
    ordering_fields = ["id", "created_at"]
    ordering = "-id"

    @extend_schema(request=ExportCreateSerializer, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={202: ExportSerializer, **IDEMPOTENCY_RESPONSES})
    def create(self, request, *args, **kwargs):
        def respond():
            payload = ExportCreateSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            data = payload.validated_data
            export = services.export_create(tenant=self.tenant, actor=request.user, dataset_id=data["dataset"],
                                            version_number=data["version"], fmt=data["format"],
                                            tables=data.get("tables"), options=data.get("options"))
            return Response(self.get_serializer(export).data, status=status.HTTP_202_ACCEPTED)

        return respond_idempotently(request, tenant=self.tenant, route="export-create", respond=respond)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def destroy(self, request, *args, **kwargs):
        services.export_delete(export=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "*/*"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file, as an attachment, with its format's content type."),
        410: OpenApiResponse(description="The export expired and its file was removed.")})
    @action(detail=True, methods=["get"], content_negotiation_class=FileDownloadNegotiation)
    def download(self, request, *args, **kwargs):
        handle, filename, content_type = services.export_download(export=self.get_object(), actor=request.user)
        # Django builds Content-Disposition, quoting or RFC 5987-encoding whatever the dataset is called.
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)

    @extend_schema(request=None, responses={200: ExportSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, *args, **kwargs):
        export = services.export_restore(export=self.get_object(), actor=request.user)
        return Response(self.get_serializer(export).data)


class TrashExportViewSet(TenantSlugContextMixin, TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Exports in the trash (restore with POST .../exports/{id}/restore/ until they are purged)."""

    serializer_class = ExportSerializer
    queryset = Export.all_objects.select_related("dataset", "version", "requested_by")
    tenant_field = "tenant"
    dataset_path = "dataset"
    trash = True
    ordering = "-id"
    filter_backends = []


class TargetConnectionViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """PostgreSQL databases the tenant pushes versions into (admins and owners). Passwords are write-only."""

    serializer_class = TargetConnectionSerializer
    queryset = TargetConnection.objects.select_related("created_by")
    tenant_field = "tenant"
    dataset_path = None  # targets belong to the tenant, not to a dataset
    permission_classes = [IsTenantAdmin]
    pagination_class = None
    filter_backends = []

    @extend_schema(responses={201: TargetConnectionSerializer})
    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        target = services.target_create(tenant=self.tenant, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(target).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def partial_update(self, request, *args, **kwargs):
        target = self.get_object()
        payload = self.get_serializer(target, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        if "dsn" in changes:
            raise ServiceValidationError([("dsn", "a DSN is taken when creating a connection; to change one, "
                                                  "give the fields that change")])
        target = services.target_update(target=target, actor=request.user, **changes)
        return Response(self.get_serializer(target).data)

    def destroy(self, request, *args, **kwargs):
        services.target_delete(target=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PushCreateSerializer, responses={202: PushSerializer})
    @action(detail=True, methods=["post"])
    def push(self, request, *args, **kwargs):
        target = self.get_object()
        payload = PushCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        push = services.version_push(target=target, actor=request.user, dataset_id=data["dataset"],
                                     version_number=data["version"], tables=data.get("tables"),
                                     trust_service=data.get("trust_service"))
        return Response(PushSerializer(push).data, status=status.HTTP_202_ACCEPTED)


class PushViewSet(JobEventsMixin, TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Pushes into target databases (admins and owners), newest first: poll one for its status."""

    events_kind = JobKind.PUSH
    serializer_class = PushSerializer
    queryset = Push.objects.select_related("target", "dataset", "version", "requested_by")
    tenant_field = "tenant"
    dataset_path = "dataset"
    permission_classes = [IsTenantAdmin]
    filterset_fields = ["status", "target", "dataset"]
    ordering_fields = ["id", "created_at"]
    ordering = "-id"

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)
