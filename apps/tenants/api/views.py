from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.api.viewsets import TenantScopedGenericViewSet, UserOwnedGenericViewSet
from apps.core.permissions import IsTenantAdmin

from .. import services
from ..models import ApiToken, Membership, Tenant
from .serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    TenantCreateSerializer,
    TenantSerializer,
)


class TenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, UserOwnedGenericViewSet):
    """Tenants the caller belongs to, with the caller's role; who may start one is an operator setting."""

    serializer_class = TenantSerializer
    queryset = Tenant.objects.filter(is_active=True).order_by("slug")
    owner_field = "memberships__user"
    permission_classes = [IsAuthenticated]
    lookup_field = "slug"
    lookup_url_kwarg = "tenant"
    ordering = "slug"
    filter_backends = []

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and self.request.user.is_authenticated:
            context["roles"] = dict(self.request.user.memberships.values_list("tenant_id", "role"))
        return context

    @extend_schema(request=TenantCreateSerializer, responses={201: TenantSerializer})
    def create(self, request):
        payload = TenantCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tenant = services.tenant_create(owner=request.user, actor=request.user, self_service=True,
                                        **payload.validated_data)
        return Response(TenantSerializer(tenant, context={"roles": {tenant.pk: "owner"}}).data,
                        status=status.HTTP_201_CREATED)


class MembershipViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Members of the tenant and their roles; admins manage editors and viewers, owners everything."""

    serializer_class = MembershipSerializer
    permission_classes = [IsTenantAdmin]
    queryset = Membership.objects.select_related("user").order_by("id")
    tenant_field = "tenant"
    dataset_path = None  # memberships belong to the tenant
    filter_backends = []
    pagination_class = None

    @extend_schema(request=MembershipCreateSerializer, responses={201: MembershipSerializer})
    def create(self, request, *args, **kwargs):
        payload = MembershipCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            user, _ = services.user_get_or_create(email=payload.validated_data["email"])
            membership = services.membership_add(
                tenant=self.tenant, user=user, role=payload.validated_data["role"], actor=request.user
            )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipUpdateSerializer, responses={200: MembershipSerializer})
    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        payload = MembershipUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            membership=membership, role=payload.validated_data["role"], actor=request.user
        )
        return Response(MembershipSerializer(membership).data)

    def destroy(self, request, *args, **kwargs):
        services.membership_remove(membership=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenViewSet(mixins.ListModelMixin, UserOwnedGenericViewSet):
    """The caller's own API tokens: list, create (the secret is shown once), revoke."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.all()
    owner_field = "user"
    permission_classes = [IsAuthenticated]
    lookup_field = "token_key"
    filter_backends = []
    pagination_class = None

    def narrow(self, queryset):
        return queryset.exclude(expiry__lt=timezone.now())

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request):
        payload = ApiTokenCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        token, secret = services.token_create(user=request.user, **payload.validated_data)
        data = ApiTokenSerializer(token).data | {"token": secret}
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request, token_key=None):
        services.token_revoke(token=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
