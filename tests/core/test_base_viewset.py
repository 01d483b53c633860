"""The base viewsets own the scope: a view that tries to write its own, or declares none, fails at import."""

import pytest
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins
from rest_framework.test import APIRequestFactory, force_authenticate

from apps.core.api.viewsets import TenantScopedAPIView, TenantScopedGenericViewSet, UserOwnedGenericViewSet
from apps.datasets.models import Dataset, DatasetVersion, Record
from apps.exports.models import Export, TargetConnection
from apps.tenants.models import ApiToken


def scoped(**attrs):
    """Create (define) a tenant-scoped viewset class with these attributes."""
    return type("ProbeViewSet", (TenantScopedGenericViewSet, mixins.ListModelMixin), attrs)


DATASETS = {"queryset": Dataset.all_objects.all(), "tenant_field": "tenant", "dataset_path": ""}


@pytest.mark.parametrize("method", ["get_queryset", "get_object", "filter_queryset", "initial"])
def test_overriding_a_scoping_method_fails_at_class_creation(method):
    with pytest.raises(TypeError, match=method):
        scoped(**DATASETS, **{method: lambda self, *args, **kwargs: Dataset.objects.all()})


def test_a_mixin_in_front_of_the_base_cannot_replace_the_scope_either():
    class Unscoped:
        def get_object(self):
            return Dataset.objects.first()

    with pytest.raises(TypeError, match="get_object"):
        type("ProbeViewSet", (Unscoped, TenantScopedGenericViewSet), dict(DATASETS))


@pytest.mark.parametrize("attrs, message", [
    ({"queryset": Dataset.objects.all()}, "tenant_field"),
    ({"queryset": Dataset.objects.all(), "tenant_field": "tenant"}, "dataset_path"),
    ({"queryset": Dataset.objects.all(), "tenant_field": "tenant", "dataset_path": None}, "inherits"),
    ({"queryset": Export.objects.all(), "tenant_field": "tenant", "dataset_path": None}, "inherits"),
    ({"queryset": Record.objects.all(), "tenant_field": "version", "dataset_path": "version__dataset"},
     "does not lead to a tenant"),
    ({"queryset": DatasetVersion.objects.all(), "tenant_field": "tenant", "dataset_path": "created_by"},
     "does not lead to a dataset"),
    ({"queryset": TargetConnection.objects.all(), "tenant_field": "tenant", "dataset_path": None,
      "object_permission": {"destroy": "delete"}}, "need a dataset_path"),
    ({"tenant_field": "tenant", "dataset_path": ""}, "queryset"),
])
def test_a_view_without_a_complete_scoping_declaration_fails_at_class_creation(attrs, message):
    with pytest.raises(TypeError, match=message):
        scoped(**attrs)


def test_unscoped_filter_choices_fail_at_class_creation():
    with pytest.raises(TypeError, match="unscoped filter choices"):
        scoped(**DATASETS, filter_backends=[DjangoFilterBackend])


def test_user_owned_and_row_less_bases_are_sealed_too():
    with pytest.raises(TypeError, match="owner_field"):
        type("Tokens", (UserOwnedGenericViewSet,), {"queryset": ApiToken.objects.all()})
    with pytest.raises(TypeError, match="digest"):
        type("Tokens", (UserOwnedGenericViewSet,), {"queryset": ApiToken.objects.all(), "owner_field": "digest"})
    with pytest.raises(TypeError, match="get_queryset"):
        type("Tokens", (UserOwnedGenericViewSet,), {"queryset": ApiToken.objects.all(), "owner_field": "user",
                                                     "get_queryset": lambda self: ApiToken.objects.all()})
    with pytest.raises(TypeError, match="get_queryset"):
        type("Rowless", (TenantScopedAPIView,), {"get_queryset": lambda self: Dataset.objects.all()})


@pytest.mark.django_db
def test_whatever_narrow_returns_the_base_still_scopes_it(tenant_a, tenant_b, make_dataset):
    """A subclass's narrow() that returns every row of every tenant still lists only the caller's."""
    tenant, users = tenant_a
    own = make_dataset(tenant, users["owner"], name="own")
    hidden = make_dataset(tenant, users["owner"], name="hidden")
    foreign = make_dataset(tenant_b[0], tenant_b[1]["owner"], name="foreign")
    from apps.datasets import services

    services.dataset_permissions_set(dataset=hidden, actor=users["owner"],
                                     roles={"viewer": [], "editor": [], "admin": []}, members=[])
    from apps.datasets.api.serializers import DatasetSerializer

    view = scoped(**DATASETS, serializer_class=DatasetSerializer, filter_backends=[], pagination_class=None,
                  narrow=lambda self, queryset: Dataset.all_objects.all())
    request = APIRequestFactory().get("/")
    force_authenticate(request, user=users["viewer"])
    response = view.as_view({"get": "list"})(request, tenant="alpha")
    assert response.status_code == 200
    assert [row["id"] for row in response.data] == [own.pk]
    assert foreign.pk not in [row["id"] for row in response.data]


def test_narrow_must_keep_the_model():
    view = scoped(**DATASETS, narrow=lambda self, queryset: Export.objects.all())()
    view.action = "list"
    with pytest.raises(TypeError, match="narrow"):
        view._rows()
