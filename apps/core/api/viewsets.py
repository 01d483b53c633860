"""Base viewsets: the scope of every API route is the base's, never the route's own.

A tenant-scoped viewset declares its rows and how they are scoped, and writes no scoping of its own:

    queryset = Export.all_objects.all()   # the rows before scoping (soft-delete models: all_objects; the base
                                          # keeps the live rows, or the trashed ones on trash routes/actions)
    tenant_field = "tenant"               # path from the model to its Tenant (required)
    dataset_path = "dataset"              # path to the Dataset whose object permissions the rows inherit,
                                          # "" for Dataset itself, None for rows without object permissions
                                          # (required, and never None on a model that links to a Dataset)
    object_permission = {"destroy": "export"}   # the dataset action each view action needs ("view" otherwise);
                                                # or one string for every action
    trash = False / trash_actions = {"restore"} # the whole route, or these actions, read the trash
    parent_dataset_kwarg = "dataset_pk"   # nested routes: the dataset named in the URL, checked like an object
    def narrow(self, queryset): ...       # optional: select_related, order, a parent version, a table

The base builds every queryset as narrow(declared rows) and ANDs the tenant filter and the permission filter
on last, so nothing a subclass returns can widen the scope; `get_object` looks up inside that queryset
(missing, foreign or not viewable: 404; viewable without the action's permission: 403). A subclass that
overrides `initial`, `get_queryset`, `get_object` or `filter_queryset`, or omits a declaration, is a TypeError
when its class is created. Routes for the caller's own rows (tokens, tenants) use `UserOwnedGenericViewSet`
(`owner_field`), and tenant routes that read no rows use `TenantScopedAPIView`.
"""

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, viewsets
from rest_framework.views import APIView

from apps.tenants.selectors import membership_for

from ..permissions import IsTenantViewer
from .filters import ScopedFilterBackend

_UNSET = object()
_DATASET = "datasets.Dataset"
_TENANT = "tenants.Tenant"


def _model_at(model, path: str):
    """The model at the end of a `__` path from `model`; TypeError if the path does not resolve."""
    for part in path.split("__") if path else []:
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist as exc:
            raise TypeError(f"{model.__name__} has no field '{part}' (in '{path}')") from exc
        if field.related_model is None:
            raise TypeError(f"'{part}' in '{path}' is not a relation")
        model = field.related_model
    return model


def _dataset_links(model) -> list[str]:
    """Names of the model's foreign keys to Dataset."""
    return [
        field.name for field in model._meta.get_fields()
        if field.is_relation and field.many_to_one and field.related_model is not None
        and field.related_model._meta.label == _DATASET
    ]


def _backend_problems(cls) -> list[str]:
    return [
        f"{backend.__name__} lists unscoped filter choices; use apps.core.api.filters.ScopedFilterBackend"
        for backend in getattr(cls, "filter_backends", [])
        if isinstance(backend, type) and issubclass(backend, DjangoFilterBackend)
        and not issubclass(backend, ScopedFilterBackend)
    ]


def _filter_path(queryset, path: str, suffix: str, value):
    """queryset.filter(**{path + suffix: value}), but a path of several hops goes through `first__in=<subquery>`:
    the scope is then a filter on the rows' own foreign key, and an index scan in row order (records pages)
    stays one, instead of a join the planner may sort."""
    head, _, rest = path.partition("__")
    if not rest:
        return queryset.filter(**{f"{head}{suffix}": value})
    related = queryset.model._meta.get_field(head).related_model
    inner = _filter_path(related._base_manager.all(), rest, suffix, value)
    return queryset.filter(**{f"{head}__in": inner.values("pk")})


def _request_context(view, request, *args, **kwargs):
    """What APIView.initial does before authentication: format, content negotiation, versioning."""
    view.format_kwarg = view.get_format_suffix(**kwargs)
    request.accepted_renderer, request.accepted_media_type = view.perform_content_negotiation(request)
    request.version, request.versioning_scheme = view.determine_version(request, *args, **kwargs)


class SealedScope:
    """Refuses, at class creation, a subclass that replaces a scoping method or omits a declaration."""

    # name -> the one implementation a subclass may have (None: the name must not exist at all)
    _sealed: dict[str, object] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, impl in cls._sealed.items():
            if getattr(cls, name, None) is not impl:
                raise TypeError(f"{cls.__name__} must not override {name}(): the base owns the scope.")
        problems = _backend_problems(cls)
        if not cls.__dict__.get("_abstract", False):
            problems += cls._declaration_problems()
        if problems:
            raise TypeError(f"{cls.__name__}: " + "; ".join(problems))

    @classmethod
    def _declaration_problems(cls) -> list[str]:
        return []


class TenantScopedMixin(SealedScope):
    """Resolves the tenant in the URL from the caller's membership, once per request (non-members get 404)."""

    _abstract = True
    permission_classes = [IsTenantViewer]
    tenant_url_kwarg = "tenant"
    object_permission: str | dict[str, str] = "view"
    parent_dataset_kwarg: str | None = None

    def initial(self, request, *args, **kwargs):
        _request_context(self, request, *args, **kwargs)
        # Authentication (401), throttles (429) before anything is looked up, so probing slugs is
        # limited like any other request, then the tenant (404) and the roles (403).
        self.perform_authentication(request)
        self.check_throttles(request)
        if request.user and request.user.is_authenticated:
            membership = membership_for(user=request.user, tenant_slug=kwargs.get(self.tenant_url_kwarg, ""))
            request.tenant = membership.tenant
            request.membership = membership
        self.check_permissions(request)

    @property
    def tenant(self):
        return self.request.tenant

    @property
    def membership(self):
        return self.request.membership

    def required_permission(self) -> str:
        """The dataset action the current request needs: per view action, or one for the whole route."""
        declared = self.object_permission
        if isinstance(declared, str):
            return declared
        return declared.get(getattr(self, "action", None) or "", "view")

    @property
    def parent_dataset(self):
        """The dataset named in the URL of a nested route: 404 unless viewable, 403 without the action."""
        if self.parent_dataset_kwarg is None:
            raise AttributeError(f"{type(self).__name__} declares no parent_dataset_kwarg")
        cached = getattr(self, "_parent_dataset", None)
        if cached is None:
            from apps.datasets.selectors import dataset_for_action

            try:
                cached = dataset_for_action(user=self.request.user, tenant=self.tenant,
                                            pk=self.kwargs[self.parent_dataset_kwarg],
                                            action=self.required_permission())
            except (ValueError, TypeError, DjangoValidationError) as exc:
                raise Http404 from exc
            self._parent_dataset = cached
        return cached

    def datasets_allowed(self, action: str = "view"):
        """The request's datasets_allowed(user, tenant, action) as a queryset of datasets, built once per request
        and action, for routes that read the datasets themselves (scopes and choices use dataset_ids_allowed). A
        queryset is never changed in place (filter/values copy it), so every use gets the same rows."""
        from apps.datasets.selectors import datasets_allowed

        built = self.__dict__.setdefault("_datasets_allowed", {})
        if action not in built:
            built[action] = datasets_allowed(user=self.request.user, tenant=self.tenant, action=action)
        return built[action]

    def dataset_ids_allowed(self, action: str = "view", *, alive: bool = True):
        """The ids of this tenant's datasets (live ones unless `alive` is False) on which the caller holds
        `action`: a prepared subquery (datasets.selectors.dataset_ids_allowed) for `__in`, the scope of every
        list and filter choice, whose text is built once per process rather than a queryset per request."""
        from apps.datasets.selectors import dataset_ids_allowed

        return dataset_ids_allowed(user=self.request.user, tenant=self.tenant, action=action, alive=alive)

    def scope_choices(self, queryset):
        """Choices offered by this route's filters: the same tenant and dataset-permission rule as its rows."""
        model = queryset.model
        if model._meta.label == _DATASET:
            return queryset.filter(pk__in=self.dataset_ids_allowed())
        fields = {field.name for field in model._meta.get_fields()}
        if "tenant" not in fields:
            return queryset.none()  # no tenant path: offer nothing rather than everything
        queryset = queryset.filter(tenant=self.tenant)
        for name in _dataset_links(model):
            queryset = queryset.filter(**{f"{name}__in": self.dataset_ids_allowed()})
        return queryset


TenantScopedMixin._sealed = {"initial": TenantScopedMixin.initial}


class TenantScopedAPIView(TenantScopedMixin, APIView):
    """A tenant route that reads no rows of its own (preview, validation, starting a job)."""

    _abstract = True


TenantScopedAPIView._sealed = {**TenantScopedMixin._sealed, "get_queryset": None, "get_object": None}


class ScopedQuerysetMixin:
    """The one implementation of get_queryset/get_object/filter_queryset for the scoped bases below."""

    _abstract = True
    queryset = None
    trash = False
    trash_actions: frozenset[str] | set[str] = frozenset()

    def narrow(self, queryset):
        return queryset

    def _in_trash(self) -> bool:
        return self.trash or getattr(self, "action", None) in self.trash_actions

    def _rows(self):
        queryset = self.queryset.all()
        if hasattr(queryset, "trash"):
            queryset = queryset.trash() if self._in_trash() else queryset.alive()
        narrowed = self.narrow(queryset)
        if not isinstance(narrowed, models.QuerySet) or narrowed.model is not queryset.model:
            raise TypeError(f"{type(self).__name__}.narrow() must return a queryset of {queryset.model.__name__}")
        return narrowed

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.apply_scope(self._rows())

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset)

    def get_object(self):
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field
        queryset = self.get_queryset()
        try:
            obj = queryset.filter(**{self.lookup_field: self.kwargs[lookup_url_kwarg]}).first()
        except (ValueError, TypeError, DjangoValidationError) as exc:
            raise Http404 from exc  # a malformed id names nothing
        if obj is None:
            raise Http404
        self.check_action_permission(obj)
        self.check_object_permissions(self.request, obj)
        return obj

    def apply_scope(self, queryset):
        raise NotImplementedError

    def check_action_permission(self, obj) -> None:
        pass


class TenantScopedGenericViewSet(ScopedQuerysetMixin, TenantScopedMixin, viewsets.GenericViewSet):
    """Rows of the tenant in the URL, filtered by the dataset permissions they inherit (see module doc)."""

    _abstract = True
    tenant_field = _UNSET
    dataset_path = _UNSET

    @classmethod
    def _declaration_problems(cls) -> list[str]:
        problems = []
        queryset = cls.queryset
        if isinstance(queryset, models.Manager):
            queryset = queryset.all()
        if not isinstance(queryset, models.QuerySet):
            return ["declare `queryset` (the rows before scoping, e.g. Model.all_objects.all())"]
        model = queryset.model
        if not isinstance(cls.tenant_field, str) or not cls.tenant_field:
            problems.append("declare `tenant_field`, the path from the model to its tenant")
        elif _model_at(model, cls.tenant_field)._meta.label != _TENANT:
            problems.append(f"tenant_field '{cls.tenant_field}' does not lead to a tenant")
        if cls.dataset_path is _UNSET:
            problems.append("declare `dataset_path` (the dataset whose permissions the rows inherit, or None)")
        elif cls.dataset_path is None:
            if model._meta.label == _DATASET or _dataset_links(model):
                problems.append(f"{model.__name__} inherits a dataset's permissions: declare its dataset_path")
            if cls.object_permission != "view" or cls.parent_dataset_kwarg:
                problems.append("object_permission and parent_dataset_kwarg need a dataset_path")
        elif _model_at(model, cls.dataset_path)._meta.label != _DATASET:
            problems.append(f"dataset_path '{cls.dataset_path}' does not lead to a dataset")
        return problems

    def apply_scope(self, queryset):
        queryset = _filter_path(queryset, self.tenant_field, "", self.tenant)
        if self.dataset_path is None:
            return queryset
        if self.parent_dataset_kwarg:
            # The parent dataset was looked up among the datasets of this tenant the caller may view
            # (dataset_for_action, in this request): rows of that one dataset need no second permission
            # subquery, which cost more to build than the rest of a records page.
            return _filter_path(queryset, self.dataset_path or "pk", "", self.parent_dataset)
        return self.permission_scope(queryset, "view")

    def permission_scope(self, queryset, action: str):
        """Rows whose dataset the caller holds `action` on: one indexed subquery, never a loop. Datasets
        themselves, live or trashed as the route reads them, are the tenant's datasets the caller holds it on;
        rows that inherit a dataset's permissions follow live datasets only (a trashed dataset's rows are gone
        with it)."""
        if self.dataset_path == "":
            return queryset.filter(pk__in=self.dataset_ids_allowed(action, alive=False))
        return _filter_path(queryset, self.dataset_path, "__in", self.dataset_ids_allowed(action))

    def check_action_permission(self, obj) -> None:
        action = self.required_permission()
        if self.dataset_path is None or action == "view" or self.parent_dataset_kwarg:
            return  # a nested route's parent dataset was checked for this action already
        held = self.permission_scope(type(obj)._base_manager.filter(pk=obj.pk), action).exists()
        if not held:
            raise exceptions.PermissionDenied(f"You do not have the '{action}' permission on this dataset.")


class UserOwnedGenericViewSet(ScopedQuerysetMixin, SealedScope, viewsets.GenericViewSet):
    """The caller's own rows (tokens, the tenants they belong to): `owner_field` leads to the user."""

    _abstract = True
    owner_field = _UNSET

    @classmethod
    def _declaration_problems(cls) -> list[str]:
        queryset = cls.queryset
        if isinstance(queryset, models.Manager):
            queryset = queryset.all()
        if not isinstance(queryset, models.QuerySet):
            return ["declare `queryset` (the rows before scoping)"]
        if not isinstance(cls.owner_field, str) or not cls.owner_field:
            return ["declare `owner_field`, the path from the model to the user who owns the row"]
        from django.contrib.auth import get_user_model

        if _model_at(queryset.model, cls.owner_field) is not get_user_model():
            return [f"owner_field '{cls.owner_field}' does not lead to a user"]
        return []

    def initial(self, request, *args, **kwargs):
        _request_context(self, request, *args, **kwargs)
        self.perform_authentication(request)
        self.check_throttles(request)
        self.check_permissions(request)

    def apply_scope(self, queryset):
        user = self.request.user
        if not getattr(user, "is_authenticated", False):
            return queryset.none()
        return queryset.filter(**{self.owner_field: user})


_QUERYSET_SEALS = {
    "get_queryset": ScopedQuerysetMixin.get_queryset,
    "get_object": ScopedQuerysetMixin.get_object,
    "filter_queryset": ScopedQuerysetMixin.filter_queryset,
    "apply_scope": None,
}
TenantScopedGenericViewSet._sealed = {
    **TenantScopedMixin._sealed, **_QUERYSET_SEALS,
    "apply_scope": TenantScopedGenericViewSet.apply_scope,
    "permission_scope": TenantScopedGenericViewSet.permission_scope,
    "check_action_permission": TenantScopedGenericViewSet.check_action_permission,
}
UserOwnedGenericViewSet._sealed = {
    **_QUERYSET_SEALS,
    "initial": UserOwnedGenericViewSet.initial,
    "apply_scope": UserOwnedGenericViewSet.apply_scope,
}
