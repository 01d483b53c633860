"""Admin bases: a staff user who is not a superuser sees only the tenants they administer, and their rows."""

from django.contrib import admin, messages
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import ValidationError
from django.urls import path as url_path
from rest_framework.exceptions import APIException

from apps.core.errors import problems_of
from apps.tenants.selectors import tenants_administered_by


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A list filter on a relation whose choices are only the related rows the user may see in this admin.

    Django's own lists every row of the related model (every tenant, every dataset), which shows one tenant's
    staff the names of the others."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        visible = scoped_choices(request, field.related_model, admin_site=model_admin.admin_site)
        return field.get_choices(include_blank=False, ordering=ordering,
                                 limit_choices_to={"pk__in": visible.values("pk")})


def scoped_choices(request, model, *, admin_site):
    """The rows of `model` the acting user may pick or filter by: every row for a superuser; for other staff the
    rows of the tenants they administer, as the model's own tenant-scoped admin sees them, and none of a model
    that has no such admin (fail closed)."""
    manager = model._default_manager
    if request.user.is_superuser:
        return manager.all()
    model_admin = admin_site._registry.get(model)
    if not isinstance(model_admin, TenantScopedAdmin):
        return manager.none()
    return manager.filter(**model_admin._tenant_filter(request))


class OperatorOnly:
    """Pages for the platform's operators (active superusers) alone: accounts, groups, the task queue. A
    tenant's staff admin manages their members in the API and the console, with the role rules."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser


class ServiceProblemsMixin:
    """For admins whose saves go through a service."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A service that refuses what a valid form sent (a dataset name taken, a rule the form cannot see)
        rolls the whole save back; the page is then shown again with the service's problems on the form, as
        any invalid input is, instead of a 500."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (APIException, ValidationError) as exc:
            if request.method != "POST" or hasattr(request, "_service_problems"):
                raise
            request._service_problems = problems_of(exc)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        problems = getattr(request, "_service_problems", None)
        if not problems:
            return form

        describe = self.describe_problem

        class WithServiceProblems(form):
            def clean(self):
                data = super().clean()
                for path, message in problems:
                    field, text = describe(request, path, message)
                    self.add_error(field if field in self.fields else None, text)
                return data

        return WithServiceProblems

    def describe_problem(self, request, path: str, message: str) -> tuple[str | None, str]:
        """The form field a service's problem belongs to (None: the form as a whole), and its text."""
        return path or None, message


class TenantScopedAdmin(ServiceProblemsMixin, admin.ModelAdmin):
    """`tenant_path` is the lookup from this model to its Tenant ("" for the Tenant model itself).

    Lists, object pages, list filters and form choices of related rows are scoped to the tenants a non-superuser
    staff user administers. Nothing is added here: tenant rows are made by the apps' services (API, commands),
    which grant, audit and fill in what no admin form has; an admin that may add says so itself."""

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
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def get_urls(self):
        """Django's last pattern, kept from before its change pages ended in "change/", redirects any
        "<object_id>/..." path to a change page. Narrowed to one path segment, a path no view serves (like the
        object-permission pages this admin no longer has) answers 404 instead of a redirect."""
        urls = super().get_urls()
        legacy = urls[-1]
        if str(legacy.pattern) == "<path:object_id>/":
            urls[-1] = url_path("<str:object_id>/", legacy.callback)
        return urls

    def get_list_filter(self, request):
        """Every filter on a relation ("tenant", "dataset", or a path through relations) gets scoped choices."""
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                name, filter_class = entry, None
            elif isinstance(entry, tuple):
                name, filter_class = entry
            else:  # a SimpleListFilter, whose lookups() are its own
                name = None
            related = name is not None and (filter_class is None or issubclass(filter_class, RelatedFieldListFilter))
            if related and get_fields_from_path(self.model, name)[-1].is_relation:
                entry = (name, ScopedRelatedFieldListFilter)
            scoped.append(entry)
        return scoped

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and not request.user.is_superuser:
            kwargs["queryset"] = scoped_choices(request, db_field.related_model, admin_site=self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and not request.user.is_superuser:
            kwargs["queryset"] = scoped_choices(request, db_field.related_model, admin_site=self.admin_site)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


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
        # The autocomplete pages through this queryset as it is: without an order, a page may repeat rows.
        return queryset if queryset.ordered else queryset.order_by("-pk")

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
