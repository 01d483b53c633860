"""Personal dataset grants follow the member's role: removal withdraws them all, demotion keeps only what the
new role holds by default, in the same transaction as the role change, with an audit event (counts and ids)."""

import pytest

from apps.audit.models import AuditEvent
from apps.datasets.models import DatasetUserObjectPermission
from apps.tenants import services
from apps.tenants.models import Membership
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


def personal(user, tenant):
    rows = DatasetUserObjectPermission.objects.filter(user=user, content_object__tenant=tenant)
    return sorted(rows.values_list("content_object_id", "permission__codename"))


@pytest.fixture
def made_by_editor(tenant_a, make_dataset):
    tenant, users = tenant_a
    return [make_dataset(tenant, users["editor"], name=f"editors-{i}") for i in range(2)]


def test_a_creator_demoted_to_viewer_keeps_only_view(tenant_a, made_by_editor, api_client_for):
    tenant, users = tenant_a
    editor = api_client_for(users["editor"])
    first = made_by_editor[0]
    assert editor.delete(f"{BASE}/datasets/{first.pk}/").status_code == 204  # the creator's personal grant
    editor.post(f"{BASE}/datasets/{first.pk}/restore/")

    admin = api_client_for(users["admin"])
    member = Membership.objects.get(tenant=tenant, user=users["editor"])
    assert admin.patch(f"{BASE}/members/{member.pk}/", {"role": "viewer"}, format="json").status_code == 200

    assert personal(users["editor"], tenant) == sorted((d.pk, "view_dataset") for d in made_by_editor)
    assert editor.get(f"{BASE}/datasets/{first.pk}/").status_code == 200
    assert_error_shape(editor.patch(f"{BASE}/datasets/{first.pk}/", {"name": "mine"}, format="json"), 403)
    assert_error_shape(editor.delete(f"{BASE}/datasets/{first.pk}/"), 403)
    assert_error_shape(editor.post(f"{BASE}/datasets/{first.pk}/generate/", {}, format="json"), 403)

    event = AuditEvent.objects.get(action="membership.grants_withdraw")
    assert event.tenant_id == tenant.pk and event.target_id == str(member.pk)
    assert event.after["withdrawn"] == 8 and event.after["kept_actions"] == ["view"]
    assert event.after["actions"] == {"change": 2, "delete": 2, "export": 2, "generate": 2}
    assert event.after["datasets"] == sorted(d.pk for d in made_by_editor)


def test_a_removed_member_loses_every_personal_grant(tenant_a, made_by_editor, api_client_for):
    tenant, users = tenant_a
    member = Membership.objects.get(tenant=tenant, user=users["editor"])
    assert api_client_for(users["admin"]).delete(f"{BASE}/members/{member.pk}/").status_code == 204
    assert personal(users["editor"], tenant) == []
    event = AuditEvent.objects.get(action="membership.grants_withdraw")
    assert event.after["withdrawn"] == 10 and event.after["role"] is None and event.after["kept_actions"] == []

    # Added back as a viewer, they see what viewers see, not what they made.
    services.membership_add(tenant=tenant, user=users["editor"], role="viewer", actor=users["owner"])
    first = made_by_editor[0]
    from apps.datasets import services as dataset_services

    dataset_services.dataset_permissions_set(dataset=first, actor=users["owner"],
                                             roles={"viewer": [], "editor": []}, members=[])
    assert_error_shape(api_client_for(users["editor"]).get(f"{BASE}/datasets/{first.pk}/"), 404)


def test_promotion_and_other_tenants_keep_their_grants(tenant_a, tenant_b, made_by_editor, make_dataset):
    tenant, users = tenant_a
    elsewhere = tenant_b[0]
    services.membership_add(tenant=elsewhere, user=users["editor"], role="editor", actor=tenant_b[1]["owner"])
    theirs = make_dataset(elsewhere, users["editor"], name="in-beta")
    member = Membership.objects.get(tenant=tenant, user=users["editor"])
    before = personal(users["editor"], tenant)

    services.membership_change_role(membership=member, role="admin", actor=users["owner"])
    assert personal(users["editor"], tenant) == before
    services.membership_change_role(membership=member, role="editor", actor=users["owner"])
    # Editors hold everything but delete by default.
    assert personal(users["editor"], tenant) == [row for row in before if row[1] != "delete_dataset"]
    services.membership_remove(membership=member, actor=users["owner"])
    assert personal(users["editor"], tenant) == []
    assert len(personal(users["editor"], elsewhere)) == 5 and personal(users["editor"], elsewhere)[0][0] == theirs.pk


def test_withdrawal_rolls_back_with_the_role_change(tenant_a, made_by_editor, monkeypatch):
    tenant, users = tenant_a
    member = Membership.objects.get(tenant=tenant, user=users["editor"])
    before = personal(users["editor"], tenant)
    import apps.tenants.services as tenant_services

    real = tenant_services.audit_record

    def failing(**kwargs):
        if kwargs["action"] == "membership.grants_withdraw":
            raise RuntimeError("audit unavailable")
        return real(**kwargs)

    monkeypatch.setattr(tenant_services, "audit_record", failing)
    with pytest.raises(RuntimeError):
        services.membership_change_role(membership=member, role="viewer", actor=users["owner"])
    member.refresh_from_db()
    assert member.role == "editor" and personal(users["editor"], tenant) == before
