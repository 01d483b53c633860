from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins

from apps.core.api.viewsets import TenantScopedGenericViewSet
from apps.core.permissions import IsTenantAdmin

from ..models import AuditEvent
from ..selectors import audit_events_for_tenant
from .filters import AuditEventFilter
from .serializers import AuditEventSerializer


class AuditEventViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The tenant's audit trail, newest first (admins and owners)."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsTenantAdmin]
    queryset = AuditEvent.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilter

    def get_tenant_queryset(self):
        return audit_events_for_tenant(tenant=self.tenant)
