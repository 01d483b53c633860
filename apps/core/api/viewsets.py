"""Base viewsets for tenant-scoped endpoints.

The tenant named in the URL is resolved once, in `initial()`, from the caller's membership; a non-member or
an unknown slug gets 404. Subclasses supply `get_tenant_queryset()` and cannot replace the scoping methods,
so an endpoint cannot forget the tenant filter.
"""

from rest_framework import viewsets

from apps.tenants.selectors import membership_for

from ..permissions import IsTenantViewer

_SEALED = ("initial", "get_queryset")


class TenantScopedMixin:
    permission_classes = [IsTenantViewer]
    tenant_url_kwarg = "tenant"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _SEALED:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} must not override {name}(): it carries the tenant scope.")

    def initial(self, request, *args, **kwargs):
        # Authentication first (401 for anonymous), then the tenant (404), then roles (403).
        self.perform_authentication(request)
        if request.user and request.user.is_authenticated:
            membership = membership_for(user=request.user, tenant_slug=kwargs.get(self.tenant_url_kwarg, ""))
            request.tenant = membership.tenant
            request.membership = membership
        super().initial(request, *args, **kwargs)

    @property
    def tenant(self):
        return self.request.tenant

    @property
    def membership(self):
        return self.request.membership

    def get_tenant_queryset(self):
        raise NotImplementedError(f"{type(self).__name__} must define get_tenant_queryset()")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none() if self.queryset is not None else None
        return self.get_tenant_queryset()


class TenantScopedGenericViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    pass


class TenantScopedModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    pass
