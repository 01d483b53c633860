"""Filter choices are scoped like the rows they filter: no other tenant's names or ids, no revoked datasets,
and another tenant's id answers exactly like an id that does not exist."""

import pytest

from apps.datasets import services as dataset_services
from apps.exports import services as export_services
from apps.exports.models import TargetConnection

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def world(tenant_a, tenant_b, make_dataset, make_version):
    tenant, users = tenant_a
    own = make_dataset(tenant, users["owner"], name="alpha-visible-ds")
    revoked = make_dataset(tenant, users["owner"], name="alpha-revoked-ds")
    dataset_services.dataset_permissions_set(dataset=revoked, actor=users["owner"],
                                             roles={"viewer": [], "editor": []}, members=[])
    foreign = make_dataset(tenant_b[0], tenant_b[1]["owner"], name="beta-secret-ds")
    for dataset in (own, revoked, foreign):
        make_version(dataset)
    TargetConnection.objects.create(tenant=tenant, name="alpha-target", host="localhost", dbname="a_test",
                                    user="u", created_by=users["owner"])
    TargetConnection.objects.create(tenant=tenant_b[0], name="beta-secret-target", host="localhost",
                                    dbname="b_test", user="u", created_by=tenant_b[1]["owner"])
    export_services.export_create(tenant=tenant, actor=users["owner"], dataset_id=own.pk, version_number=1,
                                  fmt="csv")
    return {"own": own, "revoked": revoked, "foreign": foreign, "users": users}


@pytest.mark.parametrize("route", ["exports", "jobs"])
def test_another_tenants_id_and_a_missing_id_get_the_same_answer(world, api_client_for, route):
    client = api_client_for(world["users"]["viewer"])
    own = client.get(f"{BASE}/{route}/", {"dataset": world["own"].pk})
    assert own.status_code == 200
    assert own.json()["results"] or route == "jobs"  # the fixture makes an export, no job
    foreign = client.get(f"{BASE}/{route}/", {"dataset": world["foreign"].pk})
    revoked = client.get(f"{BASE}/{route}/", {"dataset": world["revoked"].pk})
    missing = client.get(f"{BASE}/{route}/", {"dataset": 10**9})
    assert foreign.status_code == revoked.status_code == missing.status_code == 400
    assert foreign.json() == revoked.json() == missing.json()


def test_push_filters_offer_only_the_tenants_targets(world, api_client_for):
    client = api_client_for(world["users"]["admin"])
    foreign_target = TargetConnection.objects.get(name="beta-secret-target")
    own_target = TargetConnection.objects.get(name="alpha-target")
    assert client.get(f"{BASE}/pushes/", {"target": own_target.pk}).status_code == 200
    foreign = client.get(f"{BASE}/pushes/", {"target": foreign_target.pk})
    missing = client.get(f"{BASE}/pushes/", {"target": 10**9})
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()


@pytest.mark.parametrize("route, who", [("exports", "viewer"), ("jobs", "viewer"), ("pushes", "admin")])
def test_browsable_filter_forms_list_only_what_the_caller_may_see(world, api_client_for, route, who):
    client = api_client_for(world["users"][who])
    page = client.get(f"{BASE}/{route}/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Filters" in html and "alpha-visible-ds" in html  # the form is there, with the caller's dataset
    assert "beta-secret-ds" not in html and "beta-secret-target" not in html
    assert f'value="{world["foreign"].pk}"' not in html
    if who == "viewer":
        assert "alpha-revoked-ds" not in html and f'value="{world["revoked"].pk}"' not in html


def test_browsable_api_is_off_in_production(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "synthhub.settings.production", "SECRET_KEY": "x" * 60,
           "SYNTHHUB_VAR_DIR": str(tmp_path)}
    code = ("import django; django.setup(); from rest_framework.settings import api_settings; "
            "print([r.__name__ for r in api_settings.DEFAULT_RENDERER_CLASSES])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['JSONRenderer']"


def test_no_api_serializer_offers_related_choices():
    """The browsable API's HTML forms list the choices of writable related fields from a global queryset; the
    API takes related ids as plain values that services check in the tenant, so no serializer may have one."""
    import importlib
    import inspect

    from django.apps import apps as django_apps
    from rest_framework import relations, serializers

    offending = []
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.api.serializers")
        except ModuleNotFoundError:
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, serializers.Serializer) or cls.__module__ != module.__name__:
                continue
            if issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"):
                continue  # a base class (apps.core.api.serializers), not a serializer of a model
            for field_name, field in cls().fields.items():
                related = isinstance(field, (relations.RelatedField, relations.ManyRelatedField))
                if related and not field.read_only:
                    offending.append(f"{module.__name__}.{name}.{field_name}")
    assert offending == []
