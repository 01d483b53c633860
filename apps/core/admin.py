"""Admin bases: a staff user who is not a superuser sees only the tenants they administer, and their rows."""

from django.contrib import admin

from apps.tenants.selectors import tenants_administered_by


class TenantScopedAdmin(admin.ModelAdmin):
    """`tenant_path` is the lookup from this model to its Tenant ("" for the Tenant model itself)."""

    tenant_path = "tenant"

    def _tenant_filter(self, request) -> dict:
        tenants = tenants_administered_by(user=request.user)
        return {f"{self.tenant_path}__in" if self.tenant_path else "pk__in": tenants.values("pk")}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**self._tenant_filter(request))

    def _administers(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        if not request.user.is_active or not request.user.is_staff:
            return False
        tenants = tenants_administered_by(user=request.user)
        if obj is None:
            return tenants.exists()
        tenant_id = obj.pk if not self.tenant_path else self._tenant_id_of(obj)
        return tenants.filter(pk=tenant_id).exists()

    def _tenant_id_of(self, obj):
        value = obj
        for part in self.tenant_path.split("__"):
            value = getattr(value, part)
        return value.pk

    def has_module_permission(self, request) -> bool:
        return self._administers(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._administers(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._administers(request, obj)

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tenant" and not request.user.is_superuser:
            kwargs["queryset"] = tenants_administered_by(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
