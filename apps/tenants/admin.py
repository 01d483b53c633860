from django.contrib import admin, messages
from rest_framework.exceptions import APIException

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
        return request.user.is_superuser  # the role only; TenantAdmin.save_formset saves it through the service


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

    def save_formset(self, request, form, formset, change):
        """A role changed in the members inline goes through `membership_change_role`, which syncs the role
        groups, withdraws personal grants the new role does not deserve and audits; a refusal (the last owner)
        is shown as a message and the role is kept."""
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # What formset.save() would record, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline in formset.forms:
            if not inline.instance.pk or "role" not in inline.changed_data:
                continue
            membership = Membership.objects.select_related("tenant", "user").get(pk=inline.instance.pk)
            try:
                services.membership_change_role(membership=membership, role=inline.cleaned_data["role"],
                                                actor=request.user)
                formset.changed_objects.append((membership, ["role"]))
            except APIException as exc:
                self.message_user(request, f"{membership.user}: {exc.detail}", messages.ERROR)
        return None

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # No service deletes a tenant (the cascade would leave its export files behind, unaudited). An operator
        # deactivates one instead: `is_active`, saved through `tenant_update`.
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["token_key", "name", "user", "created", "expiry"]
    search_fields = ["token_key", "name", "user__username"]
    readonly_fields = ["token_key", "name", "user", "created", "expiry"]
    exclude = ["digest"]

    def has_add_permission(self, request) -> bool:
        return False  # a secret shown in an admin message would linger in logs; use `token_create`

    def save_model(self, request, obj, form, change):
        pass  # every field is read-only: a change page has nothing to save

    def delete_model(self, request, obj):
        services.token_revoke(token=obj, actor=request.user)  # audited, like a revocation through the API

    def delete_queryset(self, request, queryset):
        for token in queryset:
            services.token_revoke(token=token, actor=request.user)
