from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import TenantScopedAPIView, TenantScopedGenericViewSet
from apps.core.pagination import PAGING_PARAMETERS
from apps.core.permissions import IsTenantViewer
from apps.observability.api.views import JobEventsMixin
from apps.observability.models import JobKind

from .. import selectors, services
from ..models import GenerationJob
from ..selectors import JOB_LIST_COLUMNS
from .idempotency import IDEMPOTENCY_PARAMETER, IDEMPOTENCY_RESPONSES, respond_idempotently
from .serializers import GenerateSerializer, JobSerializer, job_rows


class GenerateView(TenantScopedAPIView):
    """Start generating a new version of the dataset; answers 202 with the queued job at once."""

    permission_classes = [IsTenantViewer]  # the dataset's `generate` object permission decides
    parent_dataset_kwarg = "dataset_pk"
    object_permission = "generate"

    @extend_schema(request=GenerateSerializer, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={202: JobSerializer, **IDEMPOTENCY_RESPONSES})
    def post(self, request, *args, **kwargs):
        dataset = self.parent_dataset

        def respond():
            payload = GenerateSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            job = services.job_start(dataset=dataset, actor=request.user, **payload.validated_data)
            return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

        return respond_idempotently(request, tenant=dataset.tenant, route="generate", respond=respond)


class JobViewSet(JobEventsMixin, TenantScopedGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Generation jobs on the datasets the caller may view, with progress and their timeline of events."""

    events_kind = JobKind.GENERATION
    serializer_class = JobSerializer
    queryset = GenerationJob.objects.select_related("version", "dataset", "requested_by")
    tenant_field = "tenant"
    dataset_path = "dataset"
    object_permission = {"cancel": "generate", "retry": "generate"}
    filterset_fields = ["status", "dataset"]
    ordering_fields = ["id", "created_at"]
    ordering = "-id"

    def list(self, request, *args, **kwargs):
        # The page reads the columns JobSerializer shows, as dicts (the version's number and the requester's
        # name by joins), and job_rows represents them as the serializer does: a page of 50 jobs as model
        # instances through DRF's field walk cost more than the rest of the request. With no filter or ordering
        # asked for, the rows are one prepared statement (selectors.job_list_page: get_queryset()'s rows, tested
        # to be the same); otherwise get_queryset() and the filters as for every list.
        if request.query_params.keys() <= PAGING_PARAMETERS:
            rows = selectors.job_list_page(user=request.user, tenant=self.tenant)
        else:
            rows = self.filter_queryset(self.get_queryset()).values(*JOB_LIST_COLUMNS)
        return self.get_paginated_response(job_rows(self.paginate_queryset(rows)))

    @extend_schema(request=None, responses={200: JobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, *args, **kwargs):
        return Response(JobSerializer(services.job_cancel(job=self.get_object(), actor=request.user)).data)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, *args, **kwargs):
        job = services.job_retry(job=self.get_object(), actor=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
