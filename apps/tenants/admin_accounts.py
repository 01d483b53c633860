"""The operators' pages for accounts and groups, replacing django.contrib.auth's, which saved and deleted rows
directly: every save goes through the account services (audited), nothing is deleted, and groups and
permissions are not edited here (a user's groups follow their memberships; object permissions are edited
through `dataset_permissions_set`)."""

from contextvars import ContextVar

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.utils.html import format_html_join

from apps.core.admin import OperatorOnly, ServiceProblemsMixin

from . import services

User = get_user_model()

# The operator whose password form is being saved: Django's view builds the form without the request.
_acting_operator: ContextVar = ContextVar("acting_operator", default=None)


class ServicePasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit=True):
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        return services.user_set_password(user=self.user, actor=_acting_operator.get(), password=password)


class AccountAdmin(OperatorOnly, ServiceProblemsMixin, UserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Operator rights", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Memberships", {"fields": ("memberships_held",)}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["memberships_held", "last_login", "date_joined"]
    change_password_form = ServicePasswordChangeForm
    list_filter = ["is_staff", "is_superuser", "is_active"]

    @admin.display(description="memberships")
    def memberships_held(self, obj):
        rows = obj.memberships.select_related("tenant").order_by("tenant__name")
        return format_html_join(", ", "{} ({})", ((m.tenant.name, m.role) for m in rows)) or "none"

    def has_add_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting an account would cascade its memberships (a tenant's last owner among them) and tokens,
        # unaudited. An operator deactivates it instead (`is_active`, through `user_update`).
        return False

    def save_model(self, request, obj, form, change):
        if change:
            changes = {field: form.cleaned_data[field] for field in form.changed_data
                       if field in services.USER_FIELDS}
            fresh = User.objects.get(pk=obj.pk)
            saved = services.user_update(user=fresh, actor=request.user, **changes)
        else:
            password = form.cleaned_data.get("password1") if form.cleaned_data.get("set_usable_password", True) \
                else None
            saved = services.user_create(username=form.cleaned_data["username"], actor=request.user,
                                         password=password)
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request, form, formsets, change):
        pass  # no groups or permissions are set here

    def user_change_password(self, request, id, form_url=""):
        token = _acting_operator.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _acting_operator.reset(token)


class RoleGroupAdmin(OperatorOnly, GroupAdmin):
    """Read only: every group is a tenant's role group, made by `tenant_create`, holding the object
    permissions the dataset services grant; renaming, editing or deleting one would break its tenant."""

    list_display = ["name", "tenant_and_role"]

    @admin.display(description="tenant and role")
    def tenant_and_role(self, obj) -> str:
        role = getattr(obj, "tenant_role", None)
        return f"{role.tenant.name}: {role.role}" if role else "-"

    def get_readonly_fields(self, request, obj=None):
        return ["name", "permissions"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


for model, model_admin in ((User, AccountAdmin), (Group, RoleGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
