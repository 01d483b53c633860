from rest_framework.routers import SimpleRouter

from .views import AuditEventViewSet

scoped_router = SimpleRouter()
scoped_router.register("audit-events", AuditEventViewSet, basename="audit-event")
