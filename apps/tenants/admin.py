from django.contrib import admin

from apps.core.admin import TenantScopedAdmin

from . import services
from .models import ApiToken, Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["user", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # members are added through the API or `member_add`, which apply the role rules

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    tenant_path = ""
    list_display = ["name", "slug", "is_active", "max_rows_per_version", "member_count", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug", "created_at", "updated_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_members=Count("memberships"))

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj) -> int:
        return obj._members

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["max_rows_per_version", "is_active"]  # quotas are the platform operators' call
        return fields

    def save_model(self, request, obj, form, change):
        if change:
            services.tenant_update(tenant=obj, actor=request.user,
                                   **{field: form.cleaned_data[field] for field in form.changed_data})
        else:
            raise PermissionError("Create tenants with `manage.py tenant_create` or the API.")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["token_key", "name", "user", "created", "expiry"]
    search_fields = ["token_key", "name", "user__username"]
    readonly_fields = ["token_key", "name", "user", "created", "expiry"]
    exclude = ["digest"]

    def has_add_permission(self, request) -> bool:
        return False  # a secret shown in an admin message would linger in logs; use `token_create`
