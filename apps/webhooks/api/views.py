from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import TenantScopedGenericViewSet
from apps.core.permissions import IsTenantAdmin

from .. import services
from ..models import WebhookDelivery, WebhookEndpoint
from .serializers import (
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookInputSerializer,
    WebhookSerializer,
)


class WebhookViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """HTTPS endpoints the tenant's events are sent to, signed (admins and owners)."""

    serializer_class = WebhookSerializer
    queryset = WebhookEndpoint.objects.select_related("created_by")
    tenant_field = "tenant"
    dataset_path = None  # endpoints belong to the tenant, not to a dataset
    permission_classes = [IsTenantAdmin]
    pagination_class = None
    filter_backends = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request=WebhookInputSerializer, responses={201: WebhookCreatedSerializer})
    def create(self, request, *args, **kwargs):
        payload = WebhookInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        endpoint, secret = services.webhook_create(tenant=self.tenant, actor=request.user, url=data["url"],
                                                   events=data["events"], description=data.get("description", ""))
        if data.get("active") is False:
            endpoint = services.webhook_update(endpoint=endpoint, actor=request.user, active=False)
        endpoint.secret = secret
        return Response(WebhookCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookInputSerializer(partial=True), responses={200: WebhookSerializer})
    def partial_update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        payload = WebhookInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        endpoint = services.webhook_update(endpoint=endpoint, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(endpoint).data)

    def destroy(self, request, *args, **kwargs):
        services.webhook_delete(endpoint=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: WebhookCreatedSerializer},
                   description="A new signing secret, shown in this answer once; the old one stops signing at once.")
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, *args, **kwargs):
        endpoint, secret = services.webhook_rotate_secret(endpoint=self.get_object(), actor=request.user)
        endpoint.secret = secret
        return Response(WebhookCreatedSerializer(endpoint).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer},
                   description="Queue a signed `webhook.test` delivery to this endpoint (whatever events it takes); "
                               "follow it in the delivery log. 409 when the endpoint is disabled, or while its "
                               "previous test delivery is still pending.")
    @action(detail=True, methods=["post"])
    def test(self, request, *args, **kwargs):
        delivery = services.webhook_test(endpoint=self.get_object(), actor=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """The delivery log of one endpoint, newest first: status, attempts, and per attempt the status code,
    duration and error category (never the payload, and at most a short excerpt of the answer)."""

    serializer_class = WebhookDeliverySerializer
    queryset = WebhookDelivery.objects.prefetch_related("attempt_log")
    tenant_field = "tenant"
    dataset_path = None
    permission_classes = [IsTenantAdmin]
    ordering = "-id"
    filter_backends = []

    def narrow(self, queryset):
        return queryset.filter(endpoint_id=self.kwargs["webhook_pk"])

    def list(self, request, *args, **kwargs):
        if not WebhookEndpoint.objects.filter(tenant=self.tenant, pk=kwargs["webhook_pk"]).exists():
            raise Http404
        return super().list(request, *args, **kwargs)
