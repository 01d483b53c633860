"""A tenant is never hard-deleted from the admin: delete moves it to the trash through `tenant_delete`, audited,
and an operator restores it; its members then find it gone (404) until it is back."""

import pytest
from django.test import Client

from apps.audit.models import AuditEvent
from apps.tenants import services
from apps.tenants.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@x.test", "pw")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_delete_page_moves_the_tenant_to_the_trash(root, tenant_a, api_client_for):
    tenant, users = tenant_a
    operator = _client(root)
    page = operator.get(f"/admin/tenants/tenant/{tenant.pk}/delete/")
    assert page.status_code == 200 and "to the trash" in page.content.decode()
    assert operator.post(f"/admin/tenants/tenant/{tenant.pk}/delete/", {"post": "yes"}).status_code == 302
    trashed = Tenant.all_objects.get(pk=tenant.pk)
    assert trashed.deleted_at is not None and trashed.deleted_by == root
    assert not Tenant.objects.filter(pk=tenant.pk).exists()
    assert trashed.memberships.count() == 4  # nothing cascaded
    event = AuditEvent.objects.get(action="tenant.delete", target_id=str(tenant.pk))
    assert event.actor_id == root.pk
    member = api_client_for(users["owner"])
    assert member.get("/api/v1/tenants/alpha/datasets/").status_code == 404
    assert "alpha" not in {row["slug"] for row in member.get("/api/v1/tenants/").json()["results"]}


def test_an_operator_restores_a_trashed_tenant_from_the_list(root, tenant_a, api_client_for):
    tenant, users = tenant_a
    services.tenant_delete(tenant=tenant, actor=root)
    operator = _client(root)
    listing = operator.get("/admin/tenants/tenant/?trash=trash").content.decode()
    assert "Alpha" in listing
    operator.post("/admin/tenants/tenant/", {"action": "restore", "_selected_action": [tenant.pk]})
    assert Tenant.objects.filter(pk=tenant.pk).exists()
    assert AuditEvent.objects.filter(action="tenant.restore", target_id=str(tenant.pk)).exists()
    assert api_client_for(users["owner"]).get("/api/v1/tenants/alpha/datasets/").status_code == 200


def test_the_delete_selected_action_trashes_too(root, tenant_a, tenant_b):
    operator = _client(root)
    operator.post("/admin/tenants/tenant/", {"action": "delete_selected", "post": "yes",
                                              "_selected_action": [tenant_a[0].pk, tenant_b[0].pk]})
    assert Tenant.all_objects.filter(deleted_at__isnull=False).count() == 2
    assert Tenant.all_objects.count() == 2


def test_a_tenant_with_running_work_is_refused_with_a_message(root, tenant_a, make_dataset):
    from apps.generation import services as generation_services

    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    generation_services.job_start(dataset=dataset, actor=users["owner"])
    operator = _client(root)
    events = AuditEvent.objects.filter(action="tenant.delete").count()
    response = operator.post(f"/admin/tenants/tenant/{tenant.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert any("cancel them first" in str(message) for message in response.context["messages"])
    assert Tenant.objects.filter(pk=tenant.pk).exists()
    assert AuditEvent.objects.filter(action="tenant.delete").count() == events


def test_a_tenants_staff_admin_can_neither_delete_nor_trash_it(tenant_a):
    tenant, users = tenant_a
    admin_user = users["owner"]
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client = _client(admin_user)
    assert client.post(f"/admin/tenants/tenant/{tenant.pk}/delete/", {"post": "yes"}).status_code == 403
    listing = client.get("/admin/tenants/tenant/").content.decode()
    assert "move_to_trash" not in listing and "delete_selected" not in listing
    client.post("/admin/tenants/tenant/", {"action": "move_to_trash", "_selected_action": [tenant.pk]})
    assert Tenant.objects.filter(pk=tenant.pk).exists()
    with pytest.raises(Exception, match="operators"):
        services.tenant_delete(tenant=tenant, actor=admin_user)


def test_trash_and_restore_refuse_a_second_time(root, tenant_a):
    from apps.core.errors import Conflict

    tenant = tenant_a[0]
    services.tenant_delete(tenant=tenant, actor=root)
    with pytest.raises(Conflict):
        services.tenant_delete(tenant=tenant, actor=root)
    services.tenant_restore(tenant=tenant, actor=root)
    with pytest.raises(Conflict):
        services.tenant_restore(tenant=tenant, actor=root)


def test_a_trashed_tenants_slug_is_not_given_again(root, tenant_a, django_user_model):
    services.tenant_delete(tenant=tenant_a[0], actor=root)
    owner = django_user_model.objects.create_user("new@x.test", "new@x.test")
    again = services.tenant_create(name="Alpha", owner=owner)
    assert again.slug != "alpha"


def test_the_console_drops_a_trashed_tenant_and_its_datasets(root, tenant_a, make_dataset):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], name="alpha-in-trash")
    member = _client(users["owner"])
    assert member.get(f"/console/datasets/dataset/{dataset.pk}/change/").status_code == 200
    services.tenant_delete(tenant=tenant, actor=root)
    assert member.get(f"/console/datasets/dataset/{dataset.pk}/change/").status_code in (302, 403, 404)
    # Alpha was the owner's only team: the console no longer lets them in, nor names Alpha.
    index = member.get("/console/")
    assert index.status_code == 302 and "/console/login/" in index["Location"]
    assert "Alpha" not in member.get(index["Location"]).content.decode()
