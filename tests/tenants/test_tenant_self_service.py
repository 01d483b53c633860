"""Who may create a tenant (and become its owner) is the operator's call: SYNTHHUB_TENANT_SELF_SERVICE."""

import pytest
from django.core.management import call_command

from apps.tenants.models import Membership, Tenant
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db


def test_with_self_service_off_only_staff_create_tenants(make_user, api_client_for, settings):
    settings.SYNTHHUB_TENANT_SELF_SERVICE = False
    user = make_user("anyone@x.test")
    assert_error_shape(api_client_for(user).post("/api/v1/tenants/", {"name": "Mine"}, format="json"), 403)
    assert not Tenant.objects.exists() and not Membership.objects.exists()
    operator = make_user("operator@x.test", is_staff=True)
    response = api_client_for(operator).post("/api/v1/tenants/", {"name": "Ops"}, format="json")
    assert response.status_code == 201, response.content
    assert Membership.objects.get(tenant__slug=response.json()["slug"]).user == operator


def test_with_self_service_on_any_user_creates_a_tenant(make_user, api_client_for, settings):
    settings.SYNTHHUB_TENANT_SELF_SERVICE = True
    response = api_client_for(make_user("founder@x.test")).post("/api/v1/tenants/", {"name": "Team"},
                                                                format="json")
    assert response.status_code == 201, response.content


def test_the_operators_command_is_not_gated(make_user, settings):
    settings.SYNTHHUB_TENANT_SELF_SERVICE = False
    make_user("owner@cmd.test")
    call_command("tenant_create", "--name", "Command Team", "--owner-email", "owner@cmd.test")
    assert Tenant.objects.filter(name="Command Team").exists()


def test_the_shared_defaults_are_closed(monkeypatch):
    """What production gets when the operator sets nothing: no self-service tenants, no target hosts, no
    production-looking database names."""
    import importlib

    from synthhub.settings import base

    for name in ("SYNTHHUB_TENANT_SELF_SERVICE", "SYNTHHUB_TARGET_ALLOWED_HOSTS",
                 "SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES"):
        monkeypatch.delenv(name, raising=False)
    fresh = importlib.reload(base)
    assert fresh.SYNTHHUB_TENANT_SELF_SERVICE is False
    assert fresh.SYNTHHUB_TARGET_ALLOWED_HOSTS == []
    assert fresh.SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES is False
