import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.tenants.models import Membership, Tenant
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db


def members_url(slug, member_id=None):
    if member_id is None:
        return reverse("membership-list", kwargs={"tenant": slug})
    return reverse("membership-detail", kwargs={"tenant": slug, "pk": member_id})


def test_tenant_list_shows_only_callers_tenants_with_role(tenant_a, tenant_b, api_client_for):
    tenant, users = tenant_a
    response = api_client_for(users["editor"]).get("/api/v1/tenants/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(row["slug"], row["role"]) for row in results] == [("alpha", "editor")]


def test_anonymous_gets_401_in_error_shape(tenant_a):
    from rest_framework.test import APIClient

    client = APIClient()
    urls = ["/api/v1/tenants/", members_url("alpha"), "/api/v1/tenants/alpha/audit-events/", "/api/v1/auth/tokens/"]
    for url in urls:
        error = assert_error_shape(client.get(url), 401)
        assert error["code"] == "not_authenticated"


def test_member_of_another_tenant_gets_404_on_every_tenant_route(tenant_a, tenant_b, api_client_for):
    tenant, users = tenant_a
    _, outsiders = tenant_b
    member = Membership.objects.get(tenant=tenant, user=users["viewer"])
    client = api_client_for(outsiders["owner"])
    requests = [
        ("get", "/api/v1/tenants/alpha/", None),
        ("get", members_url("alpha"), None),
        ("post", members_url("alpha"), {"email": "x@y.test", "role": "viewer"}),
        ("get", members_url("alpha", member.pk), None),
        ("patch", members_url("alpha", member.pk), {"role": "editor"}),
        ("delete", members_url("alpha", member.pk), None),
        ("get", "/api/v1/tenants/alpha/audit-events/", None),
        ("get", "/api/v1/tenants/does-not-exist/members/", None),
    ]
    for method, url, data in requests:
        response = getattr(client, method)(url, data, format="json")
        assert_error_shape(response, 404)
    member.refresh_from_db()
    assert member.role == "viewer"
    assert not Membership.objects.filter(user__email="x@y.test").exists()


def test_create_tenant_makes_caller_owner_and_audits(make_user, api_client_for):
    user = make_user("founder@x.test")
    response = api_client_for(user).post("/api/v1/tenants/", {"name": "Data Team"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "owner"
    tenant = Tenant.objects.get(slug=response.json()["slug"])
    assert Membership.objects.get(tenant=tenant, user=user).role == "owner"
    assert AuditEvent.objects.filter(tenant=tenant, action="tenant.create").exists()


def test_bad_tenant_input_is_400_with_paths_and_creates_nothing(make_user, api_client_for, tenant_a):
    client = api_client_for(make_user("founder@x.test"))
    before = Tenant.objects.count()
    assert_error_shape(client.post("/api/v1/tenants/", {"name": ""}, format="json"), 400, paths={"name"})
    assert_error_shape(client.post("/api/v1/tenants/", {"name": "X", "slug": "alpha"}, format="json"), 400,
                       paths={"slug"})
    assert_error_shape(client.post("/api/v1/tenants/", {"name": "X", "slug": "No Spaces"}, format="json"), 400,
                       paths={"slug"})
    assert Tenant.objects.count() == before


@pytest.mark.parametrize("slug", ["0", "42", "7-up", "-team"])
def test_a_slug_starts_with_a_letter_so_a_number_never_names_a_tenant(make_user, api_client_for, slug):
    client = api_client_for(make_user("founder@x.test"))
    assert_error_shape(client.post("/api/v1/tenants/", {"name": "Team", "slug": slug}, format="json"), 400,
                       paths={"slug"})
    assert not Tenant.objects.exists()


def test_a_numeric_name_gets_a_slug_that_starts_with_a_letter(make_user, api_client_for):
    response = api_client_for(make_user("founder@x.test")).post("/api/v1/tenants/", {"name": "0"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "tenant-0"
