import pytest

from apps.audit.models import AuditEvent
from apps.tenants.models import Membership
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

URL = "/api/v1/tenants/alpha/members/"


def member_of(tenant, user):
    return Membership.objects.get(tenant=tenant, user=user)


def test_viewer_and_editor_cannot_manage_members(tenant_a, api_client_for):
    tenant, users = tenant_a
    for role in ("viewer", "editor"):
        client = api_client_for(users[role])
        assert_error_shape(client.get(URL), 403)
        assert_error_shape(client.post(URL, {"email": "new@x.test", "role": "viewer"}, format="json"), 403)
    assert not Membership.objects.filter(user__email="new@x.test").exists()


def test_admin_manages_editors_and_viewers(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["admin"])
    created = client.post(URL, {"email": "new@x.test", "role": "viewer"}, format="json")
    assert created.status_code == 201, created.content
    member_id = created.json()["id"]
    assert client.patch(f"{URL}{member_id}/", {"role": "editor"}, format="json").json()["role"] == "editor"
    assert client.delete(f"{URL}{member_id}/").status_code == 204
    actions = list(AuditEvent.objects.filter(tenant=tenant, action__startswith="membership.")
                   .order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["membership.add", "membership.change_role", "membership.remove"]


def test_admin_cannot_touch_owners_or_grant_owner(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["admin"])
    owner = member_of(tenant, users["owner"])
    viewer = member_of(tenant, users["viewer"])
    assert_error_shape(client.patch(f"{URL}{owner.pk}/", {"role": "viewer"}, format="json"), 403)
    assert_error_shape(client.delete(f"{URL}{owner.pk}/"), 403)
    assert_error_shape(client.patch(f"{URL}{viewer.pk}/", {"role": "owner"}, format="json"), 403)
    assert_error_shape(client.post(URL, {"email": "boss@x.test", "role": "owner"}, format="json"), 403)
    owner.refresh_from_db()
    viewer.refresh_from_db()
    assert (owner.role, viewer.role) == ("owner", "viewer")


def test_owner_grants_owner_and_last_owner_is_kept(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    owner = member_of(tenant, users["owner"])
    error = assert_error_shape(client.patch(f"{URL}{owner.pk}/", {"role": "admin"}, format="json"), 400,
                               paths={"role"})
    assert "owner" in error["details"][0]["message"]
    assert_error_shape(client.delete(f"{URL}{owner.pk}/"), 400, paths={"role"})
    admin = member_of(tenant, users["admin"])
    assert client.patch(f"{URL}{admin.pk}/", {"role": "owner"}, format="json").status_code == 200
    # With a second owner, the first may step down.
    assert client.patch(f"{URL}{owner.pk}/", {"role": "viewer"}, format="json").status_code == 200
    assert Membership.objects.filter(tenant=tenant, role="owner").count() == 1


def test_user_in_many_tenants_with_different_roles(tenant_a, make_tenant, api_client_for):
    from apps.tenants import services

    tenant, users = tenant_a
    other, _ = make_tenant("gamma")
    services.membership_add(tenant=other, user=users["viewer"], role="admin")
    rows = api_client_for(users["viewer"]).get("/api/v1/tenants/").json()["results"]
    roles = {row["slug"]: row["role"] for row in rows}
    assert roles == {"alpha": "viewer", "gamma": "admin"}


def test_role_groups_follow_membership(tenant_a):
    from apps.tenants import services

    tenant, users = tenant_a
    viewer = member_of(tenant, users["viewer"])
    assert list(users["viewer"].groups.values_list("name", flat=True)) == ["tenant:alpha:viewer"]
    services.membership_change_role(membership=viewer, role="editor")
    assert list(users["viewer"].groups.values_list("name", flat=True)) == ["tenant:alpha:editor"]


def test_bad_member_input_is_400_with_paths(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    before = Membership.objects.count()
    assert_error_shape(client.post(URL, {"email": "not-an-email", "role": "chief"}, format="json"), 400,
                       paths={"email", "role"})
    assert_error_shape(client.post(URL, {"email": users["viewer"].email, "role": "viewer"}, format="json"), 400,
                       paths={"user"})
    viewer = member_of(tenant, users["viewer"])
    assert_error_shape(client.patch(f"{URL}{viewer.pk}/", {"role": ""}, format="json"), 400, paths={"role"})
    assert Membership.objects.count() == before
