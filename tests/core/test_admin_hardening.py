"""The operators' admin: list filters and choices scoped to the tenants a staff user administers, no add page for
rows only services make, and every write through the services."""

import pytest
from django.test import Client

from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

# Changelists whose "tenant" list filter listed every tenant.
TENANT_FILTERED = ["/admin/datasets/dataset/", "/admin/datasets/datasetversion/", "/admin/exports/export/",
                   "/admin/exports/targetconnection/", "/admin/exports/push/", "/admin/generation/generationjob/"]
SERVICE_MADE = ["datasets/dataset", "datasets/datasetversion", "datasets/record", "exports/export", "exports/push",
                "generation/generationjob", "audit/auditevent"]


@pytest.fixture
def staff_admin(client, tenant_a, tenant_b):
    user = tenant_a[1]["admin"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


@pytest.fixture
def operator(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@x.test", "pw"))
    return client


@pytest.mark.parametrize("url", TENANT_FILTERED)
def test_tenant_list_filter_lists_only_the_tenants_a_staff_user_administers(staff_admin, url):
    for method in ("get", "post"):
        page = getattr(staff_admin, method)(url)
        assert page.status_code == 200
        assert "Beta" not in page.content.decode(), f"{method.upper()} {url} shows tenant B"


def test_tenant_list_filter_lists_every_tenant_to_a_superuser(operator, tenant_a, tenant_b):
    page = operator.get("/admin/datasets/dataset/").content.decode()
    assert f"tenant__id__exact={tenant_b[0].pk}" in page and "Beta" in page


def test_a_filter_naming_another_tenant_shows_none_of_its_rows(staff_admin, tenant_b, make_dataset):
    foreign = make_dataset(tenant_b[0], tenant_b[1]["owner"], name="foreign-rows")
    page = staff_admin.get(f"/admin/datasets/dataset/?tenant__id__exact={foreign.tenant_id}").content.decode()
    assert "foreign-rows" not in page


def test_related_choices_fail_closed_for_models_without_a_tenant_scoped_admin(rf, tenant_a, django_user_model):
    from django.contrib import admin
    from django.contrib.auth.models import Group

    from apps.core.admin import scoped_choices
    from apps.tenants.models import Tenant

    request = rf.get("/")
    request.user = tenant_a[1]["admin"]
    assert not scoped_choices(request, Group, admin_site=admin.site).exists()  # no tenant-scoped admin: nothing
    assert list(scoped_choices(request, Tenant, admin_site=admin.site)) == [tenant_a[0]]
    request.user = django_user_model.objects.create_superuser("root", "root@x.test", "pw")
    assert scoped_choices(request, Group, admin_site=admin.site).count() == Group.objects.count()


def test_target_form_offers_only_administered_tenants(staff_admin, tenant_a, tenant_b):
    form = staff_admin.get("/admin/exports/targetconnection/add/").context["adminform"].form
    assert list(form.fields["tenant"].queryset) == [tenant_a[0]]


@pytest.mark.parametrize("model", SERVICE_MADE)
def test_rows_only_services_make_have_no_add_page_even_for_operators(operator, model):
    events = AuditEvent.objects.count()
    assert operator.get(f"/admin/{model}/add/").status_code == 403
    assert operator.post(f"/admin/{model}/add/", {}).status_code == 403  # a 500 on versions and records before
    assert AuditEvent.objects.count() == events  # an empty POST added an event outside the hash chain


def test_audit_events_are_never_changed_or_deleted_here(operator, tenant_a):
    event = AuditEvent.objects.filter(tenant=tenant_a[0]).first()
    assert operator.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403
    assert operator.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action != "x"


@pytest.mark.parametrize("suffix", ["", "user-manage/{user}/", "group-manage/{group}/"])
def test_guardians_object_permission_pages_are_gone(tenant_a, tenant_b, make_dataset, django_user_model, suffix):
    """They let a tenant admin strip the owner role's rights, grant rights to users of other tenants and read
    every account's email, unaudited; grants go through `dataset_permissions_set` instead."""
    from guardian.shortcuts import get_perms

    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    stranger = tenant_b[1]["viewer"]
    owners = tenant.role_groups.get(role="owner").group
    url = f"/admin/datasets/dataset/{dataset.pk}/permissions/" + suffix.format(user=stranger.pk, group=owners.pk)
    events = AuditEvent.objects.count()
    staff_admin = users["admin"]
    staff_admin.is_staff = True
    staff_admin.save(update_fields=["is_staff"])
    for user in (staff_admin, django_user_model.objects.create_superuser("root", "root@x.test", "pw")):
        client = Client()
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 404 and stranger.email not in page.content.decode()
        refused = client.post(url, {"permissions": ["view_dataset"], "submit_manage_user": "1",
                                    "user": stranger.username})
        assert refused.status_code == 404
    assert "view_dataset" not in get_perms(stranger, dataset)
    assert "delete_dataset" in get_perms(owners, dataset)
    assert AuditEvent.objects.exclude(action="auth.login").count() == events


def test_the_dataset_change_page_links_to_no_permission_page(operator, tenant_a, make_dataset):
    dataset = make_dataset(tenant_a[0], tenant_a[1]["owner"])
    page = operator.get(f"/admin/datasets/dataset/{dataset.pk}/change/")
    assert page.status_code == 200 and "/permissions/" not in page.content.decode()


def _change_form_data(page) -> dict:
    """The POST a browser sends for an admin change page as rendered: its form and inline formsets."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.extend(formset.forms)
        management = formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
    for form in forms:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is None:
                continue
            data[form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    return data


def test_operator_changes_a_role_in_the_members_inline_through_the_service(operator, tenant_a):
    from apps.tenants.models import Membership

    tenant, users = tenant_a
    url = f"/admin/tenants/tenant/{tenant.pk}/change/"
    data = _change_form_data(operator.get(url))
    membership = Membership.objects.get(tenant=tenant, user=users["viewer"])
    index = next(key.split("-")[1] for key, value in data.items() if key.endswith("-id") and value == membership.pk)
    data[f"memberships-{index}-role"] = "editor"
    assert operator.post(url, data).status_code == 302
    membership.refresh_from_db()
    assert membership.role == "editor"
    assert users["viewer"].groups.filter(tenant_role__tenant=tenant, tenant_role__role="editor").exists()
    assert AuditEvent.objects.filter(action="membership.change_role", target_id=str(membership.pk)).exists()


def test_the_last_owner_is_kept_when_the_inline_demotes_them(operator, tenant_a):
    from apps.tenants.models import Membership

    tenant, users = tenant_a
    url = f"/admin/tenants/tenant/{tenant.pk}/change/"
    data = _change_form_data(operator.get(url))
    membership = Membership.objects.get(tenant=tenant, user=users["owner"])
    index = next(key.split("-")[1] for key, value in data.items() if key.endswith("-id") and value == membership.pk)
    data[f"memberships-{index}-role"] = "viewer"
    response = operator.post(url, data, follow=True)
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.role == "owner"
    assert any(message.level_tag == "error" for message in response.context["messages"])


def test_operator_deletes_tokens_through_the_revocation_service(operator, tenant_a):
    from apps.tenants import services
    from apps.tenants.models import ApiToken

    token, _ = services.token_create(user=tenant_a[1]["viewer"], name="stale")
    page = operator.post(f"/admin/tenants/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert page.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert AuditEvent.objects.filter(action="token.revoke", target_id=token.token_key).exists()


def test_operators_delete_of_a_tenant_moves_it_to_the_trash(operator, tenant_a):
    from apps.tenants.models import Tenant

    tenant = tenant_a[0]
    assert operator.post(f"/admin/tenants/tenant/{tenant.pk}/delete/", {"post": "yes"}).status_code == 302
    assert Tenant.all_objects.get(pk=tenant.pk).deleted_at is not None  # tests/tenants/test_tenant_trash.py


@pytest.mark.parametrize("model_label", ["generation.GenerationJob", "exports.Push"])
def test_no_admin_deletes_rows_that_no_service_deletes(rf, django_user_model, model_label):
    """Django's delete would remove them (and what cascades from them) without a service's checks or audit."""
    from django.apps import apps
    from django.contrib import admin

    request = rf.post("/")
    request.user = django_user_model.objects.create_superuser("root", "root@x.test", "pw")
    model_admin = admin.site._registry[apps.get_model(model_label)]
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_a_services_refusal_shows_on_the_form_and_saves_nothing(staff_admin, tenant_a, make_dataset):
    tenant, users = tenant_a
    make_dataset(tenant, users["owner"], name="taken")
    dataset = make_dataset(tenant, users["owner"], name="mine")
    events = AuditEvent.objects.count()
    page = staff_admin.post(f"/admin/datasets/dataset/{dataset.pk}/change/",
                            {"name": "taken", "description": "new words", "default_seed": 7})
    assert page.status_code == 200  # a 500 before
    assert "already exists" in str(page.context["adminform"].form.errors["name"])
    dataset.refresh_from_db()
    assert (dataset.name, dataset.description) == ("mine", "")
    assert AuditEvent.objects.count() == events


def test_a_model_validation_error_from_a_service_shows_on_the_form(operator, tenant_a, monkeypatch):
    """`tenant_update` runs the model's full_clean, whose errors the admin form may not have seen."""
    from django.core.exceptions import ValidationError

    from apps.tenants import services

    def refuse(**kwargs):
        raise ValidationError({"name": ["Refused by the model."], "__all__": ["Refused as a whole."]})

    monkeypatch.setattr(services, "tenant_update", refuse)
    tenant = tenant_a[0]
    url = f"/admin/tenants/tenant/{tenant.pk}/change/"
    data = _change_form_data(operator.get(url))
    data["name"] = "Renamed"
    page = operator.post(url, data)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.errors["name"] == ["Refused by the model."] and form.non_field_errors() == ["Refused as a whole."]
    tenant.refresh_from_db()
    assert tenant.name == "Alpha"


def test_view_site_leads_to_the_console(operator):
    page = operator.get("/admin/").content.decode()
    assert 'href="/console/"' in page and "SynthHub operators" in page
