from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.core.api.viewsets import TenantScopedGenericViewSet
from apps.core.errors import ServiceValidationError
from apps.core.parsers import BoundedJSONParser
from apps.core.permissions import IsTenantEditor, IsTenantViewer
from apps.datasets.api.serializers import DatasetSerializer
from apps.observability.api.views import JobEventsMixin
from apps.observability.models import JobKind
from apps.tenants.models import Role

from .. import services
from ..models import Profile, Sample
from ..permissions import profiles_allowed, sample_allowed_filter, user_may_sample
from ..selectors import samples_visible
from .serializers import (
    ProfileCreateSerializer,
    ProfileDatasetSerializer,
    ProfileDetailSerializer,
    ProfileReviewSerializer,
    ProfileSerializer,
    SampleFromTargetSerializer,
    SampleSerializer,
    SampleUploadSerializer,
)


class SampleViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Samples of real data (one table each) that the caller may view; upload needs the editor role, reading a
    target's table the admin role. Their rows are never returned here: only what the upload was."""

    serializer_class = SampleSerializer
    queryset = Sample.all_objects.all()
    tenant_field = "tenant"
    dataset_path = None  # samples carry their own object permissions (narrow below)
    parser_classes = [MultiPartParser, BoundedJSONParser]
    filter_backends = []
    ordering = "-id"

    def get_permissions(self):
        return [IsTenantEditor()] if self.action == "create" else [IsTenantViewer()]

    def narrow(self, queryset):
        return queryset.filter(sample_allowed_filter(user=self.request.user, action="view")).select_related(
            "created_by").order_by("-id")

    @extend_schema(
        request={"multipart/form-data": SampleUploadSerializer, "application/json": SampleFromTargetSerializer},
        responses={201: SampleSerializer, 400: OpenApiResponse(description="The file was refused (the reason "
                                                                          "names the field); nothing was kept.")})
    def create(self, request, *args, **kwargs):
        if request.content_type.startswith("multipart/"):
            payload = SampleUploadSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            data = payload.validated_data
            sample = services.sample_upload(tenant=self.tenant, actor=request.user, table_name=data["table_name"],
                                            uploaded=data["file"], fmt=data.get("format"))
        else:
            if not self.membership.role_enum.at_least(Role.ADMIN):
                raise exceptions.PermissionDenied("Reading a target database's table needs the admin role.")
            payload = SampleFromTargetSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            data = payload.validated_data
            from apps.exports.models import TargetConnection

            target = TargetConnection.objects.filter(tenant=self.tenant, pk=data["target"]).first()
            if target is None:
                raise ServiceValidationError([("target", "no target connection of this tenant has this id")])
            sample = services.sample_from_target(tenant=self.tenant, actor=request.user, target=target,
                                                 table_name=data["table_name"], source_table=data["source_table"],
                                                 rows=data["rows"], seed=data["seed"])
        return Response(SampleSerializer(sample).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def destroy(self, request, *args, **kwargs):
        sample = self.get_object()
        if not user_may_sample(user=request.user, sample=sample, action="delete"):
            raise exceptions.PermissionDenied("You do not have the 'delete' permission on this sample.")
        services.sample_delete(sample=sample, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileViewSet(JobEventsMixin, TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Profiles of samples: visible to whoever may view every one of their samples (they hold the samples'
    statistics). Creating, reviewing and making a dataset need the editor role; purging a profile (with its
    samples) needs `delete` on each of its samples."""

    serializer_class = ProfileSerializer
    queryset = Profile.all_objects.all()
    tenant_field = "tenant"
    dataset_path = None  # scoped by its samples' permissions (narrow below)
    filter_backends = []
    ordering = "-id"
    events_kind = JobKind.PROFILE

    def get_permissions(self):
        if self.action in ("create", "partial_update", "dataset", "cancel"):
            return [IsTenantEditor()]
        return [IsTenantViewer()]

    def narrow(self, queryset):
        return profiles_allowed(queryset, user=self.request.user, tenant=self.tenant).prefetch_related(
            "samples").order_by("-id")

    @extend_schema(request=ProfileCreateSerializer, responses={202: ProfileSerializer})
    def create(self, request, *args, **kwargs):
        payload = ProfileCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(payload.validated_data["samples"]))
        found = {s.pk: s for s in samples_visible(user=request.user, tenant=self.tenant).filter(pk__in=ids)}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise ServiceValidationError([("samples", f"sample {missing[0]} does not exist or you may not view it")])
        profile = services.profile_create(tenant=self.tenant, actor=request.user, samples=[found[pk] for pk in ids])
        profile.refresh_from_db()
        return Response(ProfileSerializer(profile).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: ProfileDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        return Response(ProfileDetailSerializer(self.get_object()).data)

    @extend_schema(request=ProfileReviewSerializer, responses={200: ProfileDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        profile = self.get_object()
        payload = ProfileReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        spec = data.get("spec")
        if spec is not None and not isinstance(spec, dict):
            raise ServiceValidationError([("spec", "must be a mapping (a schema-language document)")])
        profile = services.profile_review(profile=profile, actor=request.user,
                                          approved_categories=data.get("approved_categories"), spec=spec)
        return Response(ProfileDetailSerializer(profile).data)

    def destroy(self, request, *args, **kwargs):
        profile = self.get_object()
        for sample in profile.samples.all():
            if not user_may_sample(user=request.user, sample=sample, action="delete"):
                raise exceptions.PermissionDenied("Purging a profile purges its samples: it needs the 'delete' "
                                                  "permission on each of them.")
        services.profile_purge(profile=profile, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ProfileSerializer},
                   description="Stop a queued or running profile (409 once it has finished); a running one stops at "
                               "its next progress step.")
    @action(detail=True, methods=["post"])
    def cancel(self, request, *args, **kwargs):
        profile = services.profile_cancel(profile=self.get_object(), actor=request.user)
        return Response(ProfileSerializer(profile).data)

    @extend_schema(request=ProfileDatasetSerializer, responses={201: DatasetSerializer})
    @action(detail=True, methods=["post"])
    def dataset(self, request, *args, **kwargs):
        profile = self.get_object()
        payload = ProfileDatasetSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        spec = data.get("spec")
        if spec is not None and not isinstance(spec, dict | str):
            raise ServiceValidationError([("spec", "must be a mapping or YAML/JSON text")])
        with transaction.atomic():
            dataset = services.profile_dataset(profile=profile, actor=request.user, name=data.get("name", ""),
                                               spec=spec)
        return Response(DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)
