from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from apps.core.api.viewsets import TenantScopedGenericViewSet
from apps.core.errors import ServiceValidationError
from apps.core.permissions import IsTenantViewer

from .. import services
from ..models import Schedule, ScheduleRun
from .serializers import ScheduleInputSerializer, ScheduleRunSerializer, ScheduleSerializer


def _service_kwargs(data: dict) -> dict:
    kwargs = dict(data)
    if "target" in kwargs:
        kwargs["target_id"] = kwargs.pop("target")
    return kwargs


class ScheduleViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Scheduled generation of the datasets the caller may view; changing one needs the dataset's `generate`."""

    serializer_class = ScheduleSerializer
    queryset = Schedule.objects.select_related("dataset", "target", "created_by")
    tenant_field = "tenant"
    dataset_path = "dataset"
    object_permission = {"partial_update": "generate", "destroy": "generate"}
    permission_classes = [IsTenantViewer]  # the dataset's object permissions decide the rest
    filterset_fields = ["dataset"]
    ordering_fields = ["id", "name", "next_run_at"]
    ordering = "id"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request=ScheduleInputSerializer, responses={201: ScheduleSerializer})
    def create(self, request, *args, **kwargs):
        payload = ScheduleInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = _service_kwargs(payload.validated_data)
        schedule = services.schedule_create(tenant=self.tenant, actor=request.user, dataset_id=data.pop("dataset"),
                                            **data)
        return Response(self.get_serializer(schedule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScheduleInputSerializer(partial=True), responses={200: ScheduleSerializer})
    def partial_update(self, request, *args, **kwargs):
        schedule = self.get_object()
        payload = ScheduleInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = _service_kwargs(payload.validated_data)
        if "dataset" in data and data["dataset"] != schedule.dataset_id:
            raise ServiceValidationError([("dataset", "a schedule's dataset cannot change; create another one")])
        data.pop("dataset", None)
        schedule = services.schedule_update(schedule=schedule, actor=request.user, **data)
        return Response(self.get_serializer(schedule).data)

    def destroy(self, request, *args, **kwargs):
        services.schedule_delete(schedule=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScheduleRunViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """The runs of one schedule, newest first: the job, export and push each firing made, or why it failed."""

    serializer_class = ScheduleRunSerializer
    queryset = ScheduleRun.objects.select_related("job__version")
    tenant_field = "tenant"
    dataset_path = "schedule__dataset"
    permission_classes = [IsTenantViewer]
    ordering = "-id"
    filter_backends = []

    def narrow(self, queryset):
        return queryset.filter(schedule_id=self.kwargs["schedule_pk"])

    def list(self, request, *args, **kwargs):
        visible = Schedule.objects.filter(tenant=self.tenant, pk=kwargs["schedule_pk"],
                                          dataset__in=self.datasets_allowed().values("pk"))
        if not visible.exists():
            raise Http404
        return super().list(request, *args, **kwargs)
