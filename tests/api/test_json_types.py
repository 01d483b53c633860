"""Request bodies are read as the OpenAPI document types them: no coercion across JSON types.

DRF would take `{"name": 0}` as the name "0" and `{"seed": "5"}` as 5; the API refuses both with a 400 naming
the field, and writes nothing.
"""

import importlib
import inspect

import pytest

from apps.core.api.serializers import StrictTypesMixin, json_type_errors
from apps.datasets.models import Dataset
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"
SPEC = {"version": 1, "name": "typed", "tables": {"t": {"rows": 3, "columns": {"id": {"type": "sequence"}}}}}


@pytest.fixture
def owner_client(tenant_a, api_client_for):
    return api_client_for(tenant_a[1]["owner"])


@pytest.mark.parametrize(("body", "path"), [
    ({"name": 0, "spec": SPEC}, "name"),
    ({"name": True, "spec": SPEC}, "name"),
    ({"name": ["x"], "spec": SPEC}, "name"),
    ({"name": "typed", "spec": SPEC, "default_seed": "5"}, "default_seed"),
    ({"name": "typed", "spec": SPEC, "default_seed": True}, "default_seed"),
    ({"name": "typed", "spec": SPEC, "default_seed": 1.5}, "default_seed"),
])
def test_a_value_of_another_json_type_is_a_400_naming_the_field(owner_client, body, path):
    response = owner_client.post(f"{BASE}/datasets/", body, format="json")
    assert_error_shape(response, 400, paths={path})
    assert not Dataset.all_objects.exists()


def test_values_of_the_declared_types_are_accepted(owner_client):
    response = owner_client.post(f"{BASE}/datasets/", {"name": "typed", "spec": SPEC, "default_seed": 5},
                                 format="json")
    assert response.status_code == 201, response.content


def test_null_is_left_to_the_field():
    from apps.exports.api.serializers import TargetConnectionSerializer

    assert json_type_errors(TargetConnectionSerializer(), {"name": None}) == {}


def test_every_api_serializer_reads_json_types_strictly():
    from rest_framework import serializers

    loose = []
    for app in ("audit", "datasets", "exports", "generation", "tenants"):
        module = importlib.import_module(f"apps.{app}.api.serializers")
        for name, value in inspect.getmembers(module, inspect.isclass):
            if (value.__module__ == module.__name__ and issubclass(value, serializers.Serializer)
                    and not issubclass(value, StrictTypesMixin)):
                loose.append(f"{module.__name__}.{name}")
    assert loose == [], "derive these from apps.core.api.serializers.Serializer/ModelSerializer"


def test_a_mistyped_field_is_reported_with_every_other_problem(owner_client):
    response = owner_client.post(f"{BASE}/datasets/", {"name": 0, "default_seed": -1, "spec": SPEC}, format="json")
    assert_error_shape(response, 400, paths={"name", "default_seed"})
