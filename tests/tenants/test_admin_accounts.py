"""Accounts, groups and the task queue in the operators' site: only operators (superusers) see them, every save
goes through the account services (audited, never the password), and nothing is deleted or edited past a
service."""

import pytest
from django.test import Client

from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@x.test", "pw")


@pytest.fixture
def operator(root):
    client = Client()
    client.force_login(root)
    return client


def test_an_operator_adds_an_account_through_the_service(operator, django_user_model):
    response = operator.post("/admin/auth/user/add/", {"username": "qa@x.test", "usable_password": "true",
                                                      "password1": "a-long-pass-phrase-9", "password2":
                                                      "a-long-pass-phrase-9"})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user = django_user_model.objects.get(username="qa@x.test")
    assert user.check_password("a-long-pass-phrase-9") and not user.groups.exists()
    event = AuditEvent.objects.get(action="user.create", target_id=str(user.pk))
    assert "a-long-pass-phrase-9" not in str(event.after) and "password" not in event.after


def test_an_operator_changes_rights_through_the_service_audited(operator, tenant_a):
    viewer = tenant_a[1]["viewer"]
    url = f"/admin/auth/user/{viewer.pk}/change/"
    page = operator.get(url)
    assert page.status_code == 200 and "Alpha (viewer)" in page.content.decode()
    form = page.context["adminform"].form
    assert "groups" not in form.fields and "user_permissions" not in form.fields
    data = {"username": viewer.username, "email": viewer.email, "first_name": "Vera", "last_name": "",
            "is_active": "on", "is_staff": "on"}
    assert operator.post(url, data).status_code == 302
    viewer.refresh_from_db()
    assert viewer.is_staff and viewer.first_name == "Vera"
    assert viewer.groups.filter(tenant_role__role="viewer").exists()  # the role group stays: it follows membership
    event = AuditEvent.objects.get(action="user.update", target_id=str(viewer.pk))
    assert event.before == {"first_name": "", "is_staff": False} and event.after == {"first_name": "Vera",
                                                                                     "is_staff": True}


def test_an_operator_cannot_take_their_own_rights_away(operator, root):
    url = f"/admin/auth/user/{root.pk}/change/"
    page = operator.post(url, {"username": "root", "email": root.email, "is_active": "on", "is_staff": "on"})
    assert page.status_code == 200
    assert "your own account" in str(page.context["adminform"].form.errors["is_superuser"])
    root.refresh_from_db()
    assert root.is_superuser
    assert not AuditEvent.objects.filter(action="user.update").exists()


def test_a_password_set_by_an_operator_is_audited_without_the_password(operator, tenant_a):
    viewer = tenant_a[1]["viewer"]
    response = operator.post(f"/admin/auth/user/{viewer.pk}/password/", {
        "usable_password": "true", "password1": "another-long-phrase-7", "password2": "another-long-phrase-7"})
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.check_password("another-long-phrase-7")
    event = AuditEvent.objects.get(action="user.password", target_id=str(viewer.pk))
    assert event.after == {"usable": True} and event.actor_label == "root"


def test_accounts_are_deactivated_never_deleted(operator, tenant_a):
    owner = tenant_a[1]["owner"]
    assert operator.post(f"/admin/auth/user/{owner.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "delete_selected" not in operator.get("/admin/auth/user/").content.decode()
    assert tenant_a[0].memberships.filter(user=owner, role="owner").exists()


def test_role_groups_are_read_only(operator, tenant_a):
    group = tenant_a[0].role_groups.get(role="owner").group
    page = operator.get(f"/admin/auth/group/{group.pk}/change/")
    assert page.status_code == 200 and "Alpha: owner" in operator.get("/admin/auth/group/").content.decode()
    assert operator.post(f"/admin/auth/group/{group.pk}/change/", {"name": "renamed"}).status_code == 403
    assert operator.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"}).status_code == 403
    assert operator.get("/admin/auth/group/add/").status_code == 403
    group.refresh_from_db()
    assert group.name == "tenant:alpha:owner"


def test_queue_pages_are_read_only_with_no_resubmit(operator):
    from django_q.models import Schedule

    schedule = Schedule.objects.create(name="probe", func="math.floor", args="1.5")
    for model in ("schedule", "success", "failure", "ormq"):
        listing = operator.get(f"/admin/django_q/{model}/")
        assert listing.status_code == 200
        body = listing.content.decode()
        assert "resubmit_task" not in body and "delete_selected" not in body
        assert operator.get(f"/admin/django_q/{model}/add/").status_code == 403
    assert operator.post(f"/admin/django_q/schedule/{schedule.pk}/delete/", {"post": "yes"}).status_code == 403
    assert operator.post(f"/admin/django_q/schedule/{schedule.pk}/change/", {"func": "os.system"}).status_code == 403
    schedule.refresh_from_db()
    assert schedule.func == "math.floor"


@pytest.mark.parametrize("path", ["auth/user/", "auth/group/", "django_q/schedule/", "django_q/failure/",
                                  "django_q/ormq/", "django_q/success/"])
def test_a_tenants_staff_admin_sees_no_accounts_groups_or_queue(tenant_a, path):
    user = tenant_a[1]["owner"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    assert client.get(f"/admin/{path}").status_code == 403
    index = client.get("/admin/").content.decode()
    assert "/admin/auth/user/" not in index and "/admin/django_q/" not in index
    other = tenant_a[1]["viewer"]
    assert client.get(f"/admin/auth/user/{other.pk}/change/").status_code == 403
    assert other.email not in client.get("/admin/auth/user/").content.decode()


def test_account_services_refuse_non_operators(tenant_a):
    from rest_framework.exceptions import PermissionDenied

    from apps.tenants import services

    owner, viewer = tenant_a[1]["owner"], tenant_a[1]["viewer"]
    with pytest.raises(PermissionDenied):
        services.user_update(user=viewer, actor=owner, is_staff=True)
    with pytest.raises(PermissionDenied):
        services.user_set_password(user=viewer, actor=owner, password="x" * 20)
    with pytest.raises(PermissionDenied):
        services.user_create(username="sneaky@x.test", actor=owner)
    viewer.refresh_from_db()
    assert not viewer.is_staff
