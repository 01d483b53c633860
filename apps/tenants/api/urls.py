from rest_framework.routers import SimpleRouter

from .views import ApiTokenViewSet, MembershipViewSet, TenantViewSet

tenant_router = SimpleRouter()
tenant_router.register("tenants", TenantViewSet, basename="tenant")

auth_router = SimpleRouter()
auth_router.register("auth/tokens", ApiTokenViewSet, basename="api-token")

scoped_router = SimpleRouter()
scoped_router.register("members", MembershipViewSet, basename="membership")
