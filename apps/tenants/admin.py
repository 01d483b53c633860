from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from rest_framework.exceptions import APIException

from apps.core.admin import SoftDeleteAdminMixin, TenantScopedAdmin, TrashFilter

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
class TenantAdmin(SoftDeleteAdminMixin, TenantScopedAdmin):
    """Operators (superusers) trash and restore tenants, through `tenant_delete` and `tenant_restore`: the
    delete page and the actions move a tenant to the trash, never delete it. A tenant's staff admin edits its
    name and members' roles."""

    tenant_path = ""
    list_display = ["name", "slug", "is_active", "max_rows_per_version", "member_count", "created_at", "in_trash"]
    list_filter = [TrashFilter, "is_active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug", "created_at", "updated_at", "deleted_at", "deleted_by"]
    inlines = [MembershipInline]
    trash_service = staticmethod(services.tenant_delete)
    restore_service = staticmethod(services.tenant_restore)

    def get_queryset(self, request):
        from django.db.models import Count

        # An aggregate drops the model's ordering; the autocomplete pages through this queryset as it is.
        return super().get_queryset(request).annotate(_members=Count("memberships")).order_by("name", "pk")

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
        return request.user.is_superuser  # operators only; `delete_model` moves to the trash

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            for name in ("move_to_trash", "restore", "delete_selected"):
                actions.pop(name, None)
        return actions

    def get_deleted_objects(self, objs, request):
        """The delete page lists the tenants only: nothing cascades, they go to the trash with all they hold."""
        objs = list(objs)
        return [f"{obj} (to the trash, restorable)" for obj in objs], {"tenants": len(objs)}, set(), []

    def delete_model(self, request, obj):
        services.tenant_delete(tenant=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        self._apply(request, queryset, services.tenant_delete)  # a refusal is a message per tenant

    def delete_view(self, request, object_id, extra_context=None):
        """A refusal (jobs still running, already trashed) is a message on the tenant's page, not a 500."""
        try:
            return super().delete_view(request, object_id, extra_context)
        except APIException as exc:
            self.message_user(request, f"{exc.detail}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:tenants_tenant_change", args=[object_id]))


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
from . import admin_accounts  # noqa: E402,F401 - replaces django.contrib.auth's user and group pages
