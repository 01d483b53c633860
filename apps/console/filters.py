"""List filters whose choices are only what the member may see."""

from django.contrib import admin

from .scoping import member_tenants


class TrashFilter(admin.SimpleListFilter):
    title = "trash"
    parameter_name = "trash"

    def lookups(self, request, model_admin):
        return [("alive", "Not in trash"), ("trash", "In trash")]

    def queryset(self, request, queryset):
        if self.value() == "trash":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "alive":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class TenantFilter(admin.SimpleListFilter):
    """The member's own teams only (a filter on the relation would name every tenant)."""

    title = "team"
    parameter_name = "team"

    def lookups(self, request, model_admin):
        tenants = member_tenants(request.user, at_least=model_admin.view_role)
        return [(str(t.pk), t.name) for t in tenants] if tenants.count() > 1 else []

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(**{f"{getattr(self, 'tenant_path', 'tenant')}_id": int(self.value())})
        return queryset


def tenant_filter(path: str):
    return type(f"TenantFilter_{path}", (TenantFilter,), {"tenant_path": path})
