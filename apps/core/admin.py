"""Admin bases: a staff user who is not a superuser sees only the tenants they administer, and their rows."""

from django.contrib import admin, messages

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


class SoftDeleteAdminMixin:
    """Lists show live and trashed rows (with a filter); the actions move to the trash and restore through
    the app's services, named by `trash_service` and `restore_service` (keyword-only: the object, `actor`)."""

    trash_service = None
    restore_service = None
    service_keyword = None  # the services' keyword for the object; the model's name unless set
    actions = ["move_to_trash", "restore"]

    def get_queryset(self, request):
        queryset = self.model.all_objects.get_queryset()
        if not request.user.is_superuser:
            queryset = queryset.filter(**self._tenant_filter(request))
        return queryset

    @admin.display(boolean=True, description="in trash")
    def in_trash(self, obj) -> bool:
        return obj.deleted_at is not None

    def _apply(self, request, objects, service) -> None:
        name = self.service_keyword or self.model._meta.model_name
        for obj in objects:
            try:
                service(**{name: obj, "actor": request.user})
            except Exception as exc:  # noqa: BLE001 - report per object, go on with the rest
                self.message_user(request, f"{obj}: {getattr(exc, 'detail', exc)}", messages.ERROR)

    @admin.action(description="Move selected to the trash")
    def move_to_trash(self, request, queryset):
        self._apply(request, queryset.filter(deleted_at__isnull=True), type(self).trash_service)

    @admin.action(description="Restore selected from the trash")
    def restore(self, request, queryset):
        self._apply(request, queryset.filter(deleted_at__isnull=False), type(self).restore_service)
