from rest_framework import mixins

from apps.core.api.filters import ScopedFilterBackend
from apps.core.api.viewsets import TenantScopedGenericViewSet
from apps.core.permissions import IsTenantAdmin

from ..models import AuditEvent
from .filters import AuditEventFilter
from .serializers import AuditEventSerializer


class AuditEventViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The tenant's audit trail, newest first (admins and owners)."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsTenantAdmin]
    queryset = AuditEvent.objects.select_related("actor")
    tenant_field = "tenant"
    dataset_path = None  # the tenant's whole trail, for its admins and owners
    filter_backends = [ScopedFilterBackend]
    filterset_class = AuditEventFilter
