from apps.core.api.routers import Router

from .views import AuditEventViewSet

scoped_router = Router()
scoped_router.register("audit-events", AuditEventViewSet, basename="audit-event")
