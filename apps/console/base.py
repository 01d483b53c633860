"""The base of every console page: rows scoped to the member's tenants and dataset permissions, writes only
through services, and a service's refusal shown on the form or as a message."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework.exceptions import APIException

from apps.core.admin import ServiceProblemsMixin
from apps.core.errors import problems_of
from apps.tenants.models import Role

from .scoping import datasets_for, member_tenants, role_in


def form_for_user(form, user):
    """The form class with the member bound: console forms list only what that member may choose."""

    class ForUser(form):
        def __init__(self, *args, **inner):
            super().__init__(*args, user=user, **inner)

    return ForUser


def refusal_message(exc) -> str:
    return "; ".join(f"{path}: {message}" if path else message for path, message in problems_of(exc))


class ConsoleModelAdmin(ServiceProblemsMixin, admin.ModelAdmin):
    """`tenant_path`: the lookup to the row's Tenant. `dataset_path`: the lookup to the Dataset whose object
    permissions the row inherits ("" for a dataset itself, None when the row has none). `view_role`: the role
    a member needs in the row's tenant to see it at all (the API's role gate)."""

    tenant_path = "tenant"
    dataset_path: str | None = None
    view_role = Role.VIEWER
    list_per_page = 50
    show_full_result_count = False

    # ----- scoping
    def scoped(self, request, queryset):
        user = request.user
        queryset = queryset.filter(**{f"{self.tenant_path}__in": member_tenants(user, at_least=self.view_role)})
        if self.dataset_path is not None:
            key = f"{self.dataset_path}__in" if self.dataset_path else "pk__in"
            queryset = queryset.filter(**{key: datasets_for(user, trash=None).values("pk")})
        return queryset

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another tenant's row and a missing one look alike, and both are a plain 404.
        raise Http404

    def tenant_id_of(self, obj):
        value = obj
        for part in self.tenant_path.split("__"):
            value = getattr(value, part)
        return value.pk

    def role_for(self, request, obj) -> Role | None:
        return role_in(request.user, self.tenant_id_of(obj))

    def has_role(self, request, role: str, obj=None) -> bool:
        if obj is None:
            return member_tenants(request.user, at_least=role).exists()
        held = self.role_for(request, obj)
        return held is not None and held.at_least(role)

    def dataset_of(self, obj):
        if self.dataset_path is None:
            return None
        value = obj
        for part in filter(None, self.dataset_path.split("__")):
            value = getattr(value, part)
        return value

    def may(self, request, action: str, obj) -> bool:
        """The member holds `action` on the dataset the row inherits its permissions from."""
        dataset = self.dataset_of(obj)
        return dataset is not None and datasets_for(request.user, action=action, trash=None).filter(
            pk=dataset.pk).exists()

    # ----- permissions: nothing is added, changed or deleted unless an area says so
    def has_module_permission(self, request) -> bool:
        return self.has_role(request, self.view_role)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_role(request, self.view_role, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # ----- refusals from services (ServiceProblemsMixin shows them on the form)
    def describe_problem(self, request, path: str, message: str) -> tuple[str | None, str]:
        """The form field a service's problem belongs to, and its text (the rest of the path leads it)."""
        field, _, rest = (path or "").partition(".")
        return field or None, f"{rest}: {message}" if rest else message

    def run_service(self, request, call, success: str | None = None) -> bool:
        """Call a service from an action or button; a refusal becomes an error message, never a 500."""
        try:
            call()
        except (APIException, ValidationError, PermissionDenied, Http404) as exc:
            self.message_user(request, refusal_message(exc), messages.ERROR)
            return False
        if success:
            self.message_user(request, success, messages.SUCCESS)
        return True


class AdminRoleWrites:
    """Pages that admins and owners of the row's team write to, as on the API; viewing follows `view_role`."""

    def has_add_permission(self, request) -> bool:
        return self.has_role(request, Role.ADMIN)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_role(request, Role.ADMIN, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_role(request, Role.ADMIN, obj)
