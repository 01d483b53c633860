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


def test_admin_trash_and_restore_actions_go_through_services(client, django_user_model, tenant_a, make_dataset,
                                                             make_version):
    from apps.datasets.models import Dataset, DatasetVersion, Record

    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    version = make_version(dataset)
    record = Record.objects.filter(version=version).first()
    root = django_user_model.objects.create_superuser("root", "root@x.test", "pw")
    client.force_login(root)
    for url, model, obj in [("/admin/datasets/dataset/", Dataset, dataset),
                            ("/admin/datasets/datasetversion/", DatasetVersion, version),
                            ("/admin/datasets/record/", Record, record)]:
        client.post(url, {"action": "move_to_trash", "_selected_action": [obj.pk]})
        assert model.all_objects.get(pk=obj.pk).deleted_at is not None
        client.post(url, {"action": "restore", "_selected_action": [obj.pk]})
        assert model.all_objects.get(pk=obj.pk).deleted_at is None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"dataset.delete", "dataset.restore", "version.delete", "version.restore", "record.delete",
            "record.restore"} <= actions
