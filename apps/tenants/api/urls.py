from apps.core.api.routers import Router

from .views import ApiTokenViewSet, MembershipViewSet, TenantViewSet

tenant_router = Router()
tenant_router.register("tenants", TenantViewSet, basename="tenant")

auth_router = Router()
# Token keys are the public prefix of a token: letters, digits, `_` and `-` (a NUL byte or a slash is a 404).
auth_router.register("auth/tokens", ApiTokenViewSet, basename="api-token", lookup_value=r"[A-Za-z0-9_-]{1,64}")

scoped_router = Router()
scoped_router.register("members", MembershipViewSet, basename="membership")
