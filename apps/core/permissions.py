"""Role permissions for tenant-scoped endpoints: the base viewset has resolved `request.membership`."""

from rest_framework.permissions import BasePermission

from apps.tenants.models import Role


def role_at_least(required: Role):
    class RoleAtLeast(BasePermission):
        message = f"This action needs the {required.label.lower()} role or higher in this tenant."

        def has_permission(self, request, view) -> bool:
            membership = getattr(request, "membership", None)
            return membership is not None and membership.role_enum.at_least(required)

    RoleAtLeast.__name__ = f"RoleAtLeast{required.label}"
    return RoleAtLeast


IsTenantViewer = role_at_least(Role.VIEWER)
IsTenantEditor = role_at_least(Role.EDITOR)
IsTenantAdmin = role_at_least(Role.ADMIN)
IsTenantOwner = role_at_least(Role.OWNER)
