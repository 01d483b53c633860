from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.viewsets import TenantScopedGenericViewSet, TenantScopedMixin
from apps.core.permissions import IsTenantViewer
from apps.datasets.selectors import dataset_for_action

from .. import selectors, services
from ..models import GenerationJob
from .serializers import GenerateSerializer, JobSerializer


class GenerateView(TenantScopedMixin, APIView):
    """Start generating a new version of the dataset; answers 202 with the queued job at once."""

    permission_classes = [IsTenantViewer]  # the dataset's `generate` object permission decides

    def get_tenant_queryset(self):
        return GenerationJob.objects.none()

    @extend_schema(request=GenerateSerializer, responses={202: JobSerializer})
    def post(self, request, *args, **kwargs):
        dataset = dataset_for_action(user=request.user, tenant=self.tenant, pk=kwargs["dataset_pk"],
                                     action="generate")
        payload = GenerateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = services.job_start(dataset=dataset, actor=request.user, **payload.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class JobViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Generation jobs on the datasets the caller may view, with progress."""

    serializer_class = JobSerializer
    queryset = GenerationJob.objects.none()
    filterset_fields = ["status", "dataset"]
    ordering_fields = ["id", "created_at"]
    ordering = "-id"

    def get_tenant_queryset(self):
        return selectors.jobs_visible(user=self.request.user, tenant=self.tenant)

    @extend_schema(request=None, responses={200: JobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, *args, **kwargs):
        job = selectors.job_for_action(user=request.user, tenant=self.tenant, pk=kwargs["pk"], action="generate")
        return Response(JobSerializer(services.job_cancel(job=job, actor=request.user)).data)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, *args, **kwargs):
        job = selectors.job_for_action(user=request.user, tenant=self.tenant, pk=kwargs["pk"], action="generate")
        job = services.job_retry(job=job, actor=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
