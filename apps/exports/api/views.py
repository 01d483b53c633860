from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import TenantScopedGenericViewSet
from apps.core.errors import ServiceValidationError
from apps.core.permissions import IsTenantAdmin, IsTenantViewer

from .. import selectors, services
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


class ExportViewSet(TenantSlugContextMixin, TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Exports of versions of the datasets the caller may view; files are made by a queued task."""

    serializer_class = ExportSerializer
    queryset = Export.objects.none()
    permission_classes = [IsTenantViewer]  # the dataset's object permissions decide the rest
    filterset_fields = ["status", "format", "dataset"]
    ordering_fields = ["id", "created_at"]
    ordering = "-id"

    def get_tenant_queryset(self):
        return selectors.exports_visible(user=self.request.user, tenant=self.tenant)

    def _export(self, action_name: str = "view", trash: bool = False) -> Export:
        return selectors.export_for_action(user=self.request.user, tenant=self.tenant, pk=self.kwargs["pk"],
                                           action=action_name, trash=trash)

    @extend_schema(request=ExportCreateSerializer, responses={202: ExportSerializer})
    def create(self, request, *args, **kwargs):
        payload = ExportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        export = services.export_create(tenant=self.tenant, actor=request.user, dataset_id=data["dataset"],
                                        version_number=data["version"], fmt=data["format"],
                                        tables=data.get("tables"), options=data.get("options"))
        return Response(self.get_serializer(export).data, status=status.HTTP_202_ACCEPTED)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self._export()).data)

    def destroy(self, request, *args, **kwargs):
        services.export_delete(export=self._export("export"), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file, as an attachment."),
        410: OpenApiResponse(description="The export expired and its file was removed.")})
    @action(detail=True, methods=["get"])
    def download(self, request, *args, **kwargs):
        handle, filename, content_type = services.export_download(export=self._export(), actor=request.user)
        # Django builds Content-Disposition, quoting or RFC 5987-encoding whatever the dataset is called.
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)

    @extend_schema(request=None, responses={200: ExportSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, *args, **kwargs):
        export = services.export_restore(export=self._export("export", trash=True), actor=request.user)
        return Response(self.get_serializer(export).data)


class TrashExportViewSet(TenantSlugContextMixin, TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Exports in the trash (restore with POST .../exports/{id}/restore/ until they are purged)."""

    serializer_class = ExportSerializer
    queryset = Export.objects.none()
    ordering = "-id"
    filter_backends = []

    def get_tenant_queryset(self):
        return selectors.exports_visible(user=self.request.user, tenant=self.tenant, trash=True)


class TargetConnectionViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """PostgreSQL databases the tenant pushes versions into (admins and owners). Passwords are write-only."""

    serializer_class = TargetConnectionSerializer
    queryset = TargetConnection.objects.none()
    permission_classes = [IsTenantAdmin]
    pagination_class = None
    filter_backends = []

    def get_tenant_queryset(self):
        return selectors.targets_of(tenant=self.tenant)

    def _target(self) -> TargetConnection:
        return selectors.target_of(tenant=self.tenant, pk=self.kwargs["pk"])

    @extend_schema(responses={201: TargetConnectionSerializer})
    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        target = services.target_create(tenant=self.tenant, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(target).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self._target()).data)

    def partial_update(self, request, *args, **kwargs):
        target = self._target()
        payload = self.get_serializer(target, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        if "dsn" in changes:
            raise ServiceValidationError([("dsn", "a DSN is taken when creating a connection; to change one, "
                                                  "give the fields that change")])
        target = services.target_update(target=target, actor=request.user, **changes)
        return Response(self.get_serializer(target).data)

    def destroy(self, request, *args, **kwargs):
        services.target_delete(target=self._target(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PushCreateSerializer, responses={202: PushSerializer})
    @action(detail=True, methods=["post"])
    def push(self, request, *args, **kwargs):
        target = self._target()
        payload = PushCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        push = services.version_push(target=target, actor=request.user, dataset_id=data["dataset"],
                                     version_number=data["version"], tables=data.get("tables"))
        return Response(PushSerializer(push).data, status=status.HTTP_202_ACCEPTED)


class PushViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Pushes into target databases (admins and owners), newest first: poll one for its status."""

    serializer_class = PushSerializer
    queryset = Push.objects.none()
    permission_classes = [IsTenantAdmin]
    filterset_fields = ["status", "target", "dataset"]
    ordering_fields = ["id", "created_at"]
    ordering = "-id"

    def get_tenant_queryset(self):
        return selectors.pushes_visible(user=self.request.user, tenant=self.tenant)

    def retrieve(self, request, *args, **kwargs):
        push = selectors.push_of(user=request.user, tenant=self.tenant, pk=kwargs["pk"])
        return Response(self.get_serializer(push).data)
