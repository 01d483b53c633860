import pytest

from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_admin_of_alpha(tenant_a, tenant_b):
    tenant, users = tenant_a
    user = users["admin"]
    user.is_staff = True
    user.save()
    return user


def test_staff_sees_only_tenants_they_administer(client, staff_admin_of_alpha, tenant_a, tenant_b):
    client.force_login(staff_admin_of_alpha)
    page = client.get("/admin/tenants/tenant/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "Alpha" in content and "Beta" not in content
    assert client.get(f"/admin/tenants/tenant/{tenant_b[0].pk}/change/").status_code in (302, 403, 404)
    assert client.get(f"/admin/tenants/tenant/{tenant_a[0].pk}/change/").status_code == 200


def test_staff_sees_only_their_tenants_audit_events(client, staff_admin_of_alpha, tenant_a, tenant_b):
    client.force_login(staff_admin_of_alpha)
    foreign = AuditEvent.objects.filter(tenant=tenant_b[0]).first()
    own = AuditEvent.objects.filter(tenant=tenant_a[0]).first()
    listing = client.get("/admin/audit/auditevent/").content.decode()
    assert f"/admin/audit/auditevent/{own.pk}/change/" in listing
    assert f"/admin/audit/auditevent/{foreign.pk}/change/" not in listing
    assert client.get(f"/admin/audit/auditevent/{foreign.pk}/change/").status_code in (302, 403, 404)


def test_staff_viewer_has_no_admin_access(client, tenant_a):
    viewer = tenant_a[1]["viewer"]
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)
    assert client.get("/admin/tenants/tenant/").status_code == 403


def test_superuser_sees_all(client, django_user_model, tenant_a, tenant_b):
    root = django_user_model.objects.create_superuser("root", "root@x.test", "pw")
    client.force_login(root)
    content = client.get("/admin/tenants/tenant/").content.decode()
    assert "Alpha" in content and "Beta" in content
