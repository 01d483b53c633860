from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import TenantScopedAPIView, TenantScopedGenericViewSet
from apps.core.errors import ServiceValidationError
from apps.core.permissions import IsTenantAdmin, IsTenantEditor, IsTenantViewer
from apps.generation.api.serializers import JobSerializer
from apps.generation.models import GenerationJob

from .. import jobs, selectors, services
from ..models import MaskingRuleSet
from .serializers import (
    MaskingCreateSerializer,
    MaskingKeyCreatedSerializer,
    MaskingKeySerializer,
    MaskingRuleSetSerializer,
    MaskingSuggestionSerializer,
    MaskingSuggestSerializer,
)


class MaskingRuleSetViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Saved masking rules documents: every member reads them, editors and up write them."""

    serializer_class = MaskingRuleSetSerializer
    queryset = MaskingRuleSet.objects.select_related("created_by")
    tenant_field = "tenant"
    dataset_path = None
    filter_backends = []

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [IsTenantViewer()]
        return [IsTenantEditor()]

    def narrow(self, queryset):
        return queryset.order_by("name")

    @extend_schema(responses={201: MaskingRuleSetSerializer})
    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rule_set = services.rule_set_create(tenant=self.tenant, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(rule_set).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        rule_set = self.get_object()
        payload = self.get_serializer(rule_set, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        rule_set = services.rule_set_update(rule_set=rule_set, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(rule_set).data)

    def destroy(self, request, *args, **kwargs):
        services.rule_set_delete(rule_set=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MaskingSuggestSerializer, responses={200: MaskingSuggestionSerializer})
    @action(detail=False, methods=["post"])
    def suggest(self, request, *args, **kwargs):
        """A draft rules document from a profile's PII findings and keys, for review: nothing is saved."""
        payload = MaskingSuggestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        document, columns = selectors.rules_suggested(tenant=self.tenant, user=request.user,
                                                      profile=payload.validated_data["profile"],
                                                      locale=payload.validated_data["locale"])
        return Response(MaskingSuggestionSerializer({"document": document, "columns": columns}).data)


class MaskingKeyView(TenantScopedAPIView):
    """The tenant's masking key (admins and owners): its id, never its secret; POST makes a new one (a rotation
    when one exists) and shows its secret this once."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={200: MaskingKeySerializer(many=True)})
    def get(self, request, *args, **kwargs):
        keys = selectors.keys(tenant=self.tenant)
        return Response(MaskingKeySerializer(keys, many=True).data)

    @extend_schema(request=None, responses={201: MaskingKeyCreatedSerializer})
    def post(self, request, *args, **kwargs):
        key, secret = services.masking_key_rotate(tenant=self.tenant, actor=request.user)
        return Response(MaskingKeyCreatedSerializer(key, context={"secret": secret}).data,
                        status=status.HTTP_201_CREATED)


class MaskingViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Masking jobs (admins and owners: they read a target connection). POST starts one: 202 with the job,
    followed like any job under .../jobs/{id}/ (progress, cancel, retry)."""

    serializer_class = JobSerializer
    queryset = GenerationJob.objects.select_related("version", "dataset", "requested_by")
    tenant_field = "tenant"
    dataset_path = "dataset"
    permission_classes = [IsTenantAdmin]
    filter_backends = []

    def narrow(self, queryset):
        return queryset.filter(parameters__kind=jobs.KIND).order_by("-id")

    @extend_schema(request=MaskingCreateSerializer, responses={202: JobSerializer})
    def create(self, request, *args, **kwargs):
        payload = MaskingCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        rules = data.get("rules")
        if "rule_set" in data:
            rule_set = selectors.rule_sets(tenant=self.tenant).filter(pk=data["rule_set"]).first()
            if rule_set is None:
                raise ServiceValidationError([("rule_set", "no such rules document in this tenant")])
            rules = rule_set.document
        job = jobs.masking_job_start(tenant=self.tenant, actor=request.user, rules=rules, source=data["source"],
                                     name=data.get("name", ""))
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
