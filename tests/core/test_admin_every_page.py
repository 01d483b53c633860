"""Every page of the operators' site answers without a 500: each registered model's changelist, add page (an empty
save too) and change page, for a superuser and for a staff tenant admin, and every action the site offers them.

One object of each model is made the way the platform makes it (services; django-q's rows as its cluster
writes them), in tenant Alpha, whose admin is the staff user; tenant Beta's rows must stay out of their sight."""

import uuid

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

MODELS = sorted(model._meta.label for model in admin.site._registry)


def _django_q_rows():
    from django_q.conf import Conf
    from django_q.models import OrmQ, Schedule, Task
    from django_q.signing import SignedPackage

    now = timezone.now()
    for success in (True, False):
        Task.objects.create(id=uuid.uuid4().hex, name=f"task-{success}", func="math.floor", args=(1.5,), kwargs={},
                            result=1 if success else "Traceback: boom", started=now, stopped=now, success=success)
    package = SignedPackage.dumps({"id": uuid.uuid4().hex, "name": "waiting", "func": "math.floor", "args": (1.5,),
                                   "kwargs": {}, "started": now})
    OrmQ.objects.create(key=Conf.PREFIX, payload=package, lock=now)
    Schedule.objects.get_or_create(name="every-page", defaults={"func": "math.floor", "args": "1.5"})


@pytest.fixture
def world(tenant_a, tenant_b, make_dataset, make_version, django_capture_on_commit_callbacks, settings):
    """Alpha's objects of every model, and Beta's dataset (whose name must not show to Alpha's admin)."""
    from apps.datasets.models import Record
    from apps.exports import services as exports
    from apps.generation import services as generation
    from apps.tenants import services as tenants

    settings.SYNTHHUB_TARGET_ALLOWED_HOSTS = ["db.internal"]
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], name="alpha-shop")
    version = make_version(dataset, users["owner"])
    generation.job_start(dataset=dataset, actor=users["owner"])  # stays queued: nothing runs the queue here
    exports.export_create(tenant=tenant, actor=users["owner"], dataset_id=dataset.pk, version_number=version.number,
                          fmt="csv", tables=["customers"])
    target = exports.target_create(tenant=tenant, actor=users["owner"], name="ci", host="db.internal", port=5432,
                                   dbname="shop_test", user="app", password="s3cret")
    exports.version_push(target=target, actor=users["owner"], dataset_id=dataset.pk, version_number=version.number)
    tenants.token_create(user=users["viewer"], name="ci")
    make_dataset(tenant_b[0], tenant_b[1]["owner"], name="beta-secret-shop")
    _django_q_rows()
    assert Record.objects.filter(version=version).exists()
    return tenant, users


@pytest.fixture(params=["superuser", "staff tenant admin"])
def who(request, world, django_user_model):
    if request.param == "superuser":
        return django_user_model.objects.create_superuser("root", "root@x.test", "pw")
    user = world[1]["admin"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def _alpha_object(model, tenant):
    """The row of `model` that belongs to Alpha (or any row, for the platform's own models)."""
    from apps.tenants.models import TenantGroup

    label = model._meta.label
    manager = getattr(model, "all_objects", model._default_manager)
    if label == "tenants.Tenant":
        return tenant
    if label == "auth.Group":
        return TenantGroup.objects.get(tenant=tenant, role="viewer").group
    if label == "auth.User":
        return tenant.memberships.get(role="viewer").user
    if label == "tenants.ApiToken":
        return manager.filter(user__memberships__tenant=tenant).first()
    if label == "datasets.Record":
        return manager.filter(version__tenant=tenant).first()
    if any(field.name == "tenant" for field in model._meta.fields):
        return manager.filter(tenant=tenant).first()
    return manager.first()


@pytest.mark.parametrize("label", MODELS)
def test_every_page_and_action_of_every_model_answers_without_a_500(world, who, label):
    from django.contrib.admin.utils import quote

    tenant, _ = world
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    obj = _alpha_object(model, tenant)
    assert obj is not None, f"no {label} row was made"
    client = Client(raise_request_exception=False)
    client.force_login(who)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    change = f"{base}{quote(obj.pk)}/change/"
    pages = {
        f"GET {base}": client.get(base),
        f"GET {base}?q=shop": client.get(base, {"q": "shop"}),
        f"GET {base}add/": client.get(f"{base}add/"),
        f"POST {base}add/": client.post(f"{base}add/", {}),
        f"GET {change}": client.get(change),
        f"GET {base}{quote(obj.pk)}/history/": client.get(f"{base}{quote(obj.pk)}/history/"),
    }
    for name, response in pages.items():
        assert response.status_code < 500, f"{who}: {name} answered {response.status_code}"
        if not who.is_superuser:  # nothing of tenant Beta: its name, members, datasets, filter choices
            assert "beta" not in response.content.decode(errors="replace").lower(), f"{name} shows tenant Beta"

    request = type("Request", (), {"user": who, "GET": {}, "POST": {}, "method": "GET"})()
    if who.is_superuser:
        assert pages[f"GET {base}"].status_code == 200 and pages[f"GET {change}"].status_code == 200
    add_allowed = model_admin.has_add_permission(request)
    assert pages[f"GET {base}add/"].status_code == (200 if add_allowed else 403), label

    listing = pages[f"GET {base}"]
    actions = listing.context["action_form"].fields["action"].choices if listing.status_code == 200 and \
        listing.context and "action_form" in listing.context and listing.context["action_form"] else []
    for action, _ in actions:
        if not action:
            continue
        response = client.post(base, {"action": action, "_selected_action": [obj.pk]})
        assert response.status_code < 500, f"{who}: action {action} on {label} answered {response.status_code}"
        obj = _alpha_object(model, tenant) or obj  # a delete or trash may have moved it


@pytest.mark.parametrize("source, field, hidden", [
    ("exports.targetconnection", "tenant", "Beta"),
    ("exports.export", "dataset", "beta-secret-shop"),
    ("datasets.dataset", "created_by", "owner@beta.test"),
])
def test_autocompletes_find_only_what_a_staff_admin_may_see(world, django_user_model, source, field, hidden):
    user = world[1]["admin"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    app_label, model_name = source.split(".")
    response = client.get("/admin/autocomplete/", {"app_label": app_label, "model_name": model_name,
                                                   "field_name": field, "term": ""})
    assert response.status_code in (200, 403)
    assert hidden not in response.content.decode()
    if response.status_code == 200:
        assert response.json()["results"], "the staff admin's own rows are offered"
