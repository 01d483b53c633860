"""Two tenants with one member per role and one object of every kind, built once per module.

A also has a dataset its viewers may not view, named with HIDDEN.

Tenant A ("alpha") is the one every route is walked on. Tenant B carries MARKER in every text it owns (tenant
name, member emails, dataset names, descriptions and record values, target and token names, the export's file
name), so any response to an actor of A that contains the marker has leaked B's data.

The data lives in a transaction opened for the module and rolled back at its end; each test runs inside it in
its own savepoint (pytest-django's usual per-test transaction), so probes that write leave nothing behind.
"""

from dataclasses import dataclass, field

import pytest

MARKER = "MARKER-B-7f3a"
# Carried by a dataset of A that A's viewers may not view: they must never see it either.
HIDDEN = "MARKER-H-41c9"
ROLES = ("owner", "admin", "editor", "viewer")


def spec(marker: str = "") -> dict:
    label = marker or "plain"
    return {
        "version": 1,
        "name": "shop",
        "seed": 3,
        "tables": {
            "customers": {
                "rows": 6,
                "primary_key": "id",
                "columns": {
                    "id": {"type": "sequence"},
                    "label": {"type": "choice", "values": [label]},
                    "age": {"type": "integer", "min": 18, "max": 90},
                },
            },
            "orders": {
                "rows": {"per": "customer_id", "min": 1, "max": 2},
                "primary_key": "id",
                "columns": {
                    "id": {"type": "sequence"},
                    "customer_id": {"type": "reference", "table": "customers"},
                    "note": {"type": "template", "template": f"{label} order of {{customer_id}}"},
                },
            },
        },
    }


@dataclass
class TenantData:
    """One tenant: its members by role, their API tokens, and its objects by key (see `objects` below)."""

    tenant: object
    users: dict
    secrets: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)


@dataclass
class World:
    a: TenantData
    b: TenantData
    operator: object
    operator_secret: str


def _run_on_commit(callable_, **kwargs):
    """Call a service and run the tasks it queues on commit (the test cluster runs them synchronously)."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return callable_(**kwargs)


def _tenant(slug: str, marker: str) -> TenantData:
    from django.contrib.auth import get_user_model

    from apps.audit.services import audit_record
    from apps.datasets import services as datasets
    from apps.datasets.models import Record
    from apps.exports import services as exports
    from apps.generation import services as generation
    from apps.tenants import services as tenants

    suffix = f" {marker}" if marker else ""
    user_model = get_user_model()
    users = {}
    for role in ROLES:
        email = f"{role}.{marker.lower()}@{slug}.test" if marker else f"{role}@{slug}.test"
        users[role] = user_model.objects.create_user(username=email, email=email, password="pw-for-tests")
    tenant = tenants.tenant_create(name=f"{slug.title()}{suffix}", slug=slug, owner=users["owner"])
    for role in ("admin", "editor", "viewer"):
        tenants.membership_add(tenant=tenant, user=users[role], role=role, actor=users["owner"])
    data = TenantData(tenant=tenant, users=users)
    for role, user in users.items():
        # Two tokens each: one authenticates the probes, the spare one is what DELETE .../tokens/{key}/ revokes.
        token, data.secrets[role] = tenants.token_create(user=user, name=f"probe{suffix}")
        spare, _ = tenants.token_create(user=user, name=f"spare{suffix}")
        data.objects[f"token:{role}"] = spare

    owner = users["owner"]
    dataset = datasets.dataset_create(tenant=tenant, actor=owner, name=f"shop{suffix}",
                                      description=f"orders and customers{suffix}", spec=spec(marker))
    job = _run_on_commit(generation.job_start, dataset=dataset, actor=owner)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    version = job.version
    version.refresh_from_db()
    older, _ = datasets.version_create(dataset=dataset, actor=owner)
    trashed_version = datasets.version_generate(version=older, actor=owner)
    datasets.version_delete(version=trashed_version, actor=owner)
    trashed_dataset = datasets.dataset_create(tenant=tenant, actor=owner, name=f"old{suffix}", spec=spec(marker))
    datasets.dataset_delete(dataset=trashed_dataset, actor=owner)
    export = _run_on_commit(exports.export_create, tenant=tenant, actor=owner, dataset_id=dataset.pk,
                            version_number=version.number, fmt="csv")
    export.refresh_from_db()
    assert export.status == "succeeded", export.error
    trashed_export = _run_on_commit(exports.export_create, tenant=tenant, actor=owner, dataset_id=dataset.pk,
                                    version_number=version.number, fmt="jsonl")
    exports.export_delete(export=trashed_export, actor=owner)
    target = exports.target_create(tenant=tenant, actor=owner, name=f"scratch{suffix}", host="127.0.0.1",
                                   port=5432, dbname="shop_test", user="postgres")
    # The push stays queued: running it would need the target database, and its status does not matter here.
    push = exports.version_push(target=target, actor=owner, dataset_id=dataset.pk, version_number=version.number)
    from apps.schedules import services as schedules
    from apps.webhooks import services as webhooks

    gen_schedule = schedules.schedule_create(tenant=tenant, actor=owner, dataset_id=dataset.pk,
                                             name=f"nightly{suffix}", cron="0 3 * * *", export_format="csv")
    webhook, _ = webhooks.webhook_create(tenant=tenant, actor=owner, url=f"http://127.0.0.1:9/hook{marker}",
                                         events=["job.succeeded"], description=f"hook{suffix}")
    # One delivery in its log (queued, never sent: the walk runs no dispatcher).
    webhooks.webhook_emit(tenant_id=tenant.pk, event="job.succeeded", data={"job": job.pk})
    webhook_delivery = webhook.deliveries.get()

    from apps.masking import services as masking

    masking_key, _ = masking.masking_key_rotate(tenant=tenant, actor=owner)
    masking_rules = masking.rule_set_create(tenant=tenant, actor=owner, name=f"rules{suffix}",
                                            document={"tables": {"customers": {"columns": {"name": "null"}}}})
    record = Record.objects.filter(version=version, table_name="customers").order_by("row_index").first()
    trashed_record = Record.objects.filter(version=version, table_name="orders").order_by("row_index").first()
    datasets.record_delete(record=trashed_record, actor=owner)
    from apps.documents.models import DocumentReport

    # A report as validate_documents stores it (the walked spec has no documents to validate).
    document_report = DocumentReport.objects.create(tenant=tenant, dataset=dataset, version=version, ok=True,
                                                    report={"ok": True, "documents": {"checked": 0, "scenarios": {}}})
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.profiling import services as profiling

    label = marker or "plain"
    sample = profiling.sample_upload(tenant=tenant, actor=owner, table_name="people", uploaded=SimpleUploadedFile(
        "people.csv", f"id,label,age\n1,{label},30\n2,{label},41\n3,other,52\n".encode()))
    profile = _run_on_commit(profiling.profile_create, tenant=tenant, actor=owner, samples=[sample])
    profile.refresh_from_db()
    assert profile.status == "succeeded", profile.error
    audit_record(action="walker.note", actor=owner, tenant=tenant, target=dataset, after={"note": f"seen{suffix}"})
    from django.contrib.contenttypes.models import ContentType

    from apps.audit.models import AuditEvent
    from apps.tenants.models import Membership

    data.objects.update({
        "tenant": tenant,
        "dataset": dataset,
        "version": version,
        "document_report": document_report,
        "trashed_version": trashed_version,
        "record": record,
        "trashed_record": trashed_record,
        "job": job,
        "trashed_dataset": trashed_dataset,
        "export": export,
        "trashed_export": trashed_export,
        "target": target,
        "push": push,
        "gen_schedule": gen_schedule,
        "webhook": webhook,
        "webhook_delivery": webhook_delivery,
        "sample": sample,
        "profile": profile,
        "masking_rules": masking_rules,
        "masking_key": masking_key,
        "membership": Membership.objects.get(tenant=tenant, user=users["viewer"]),
        "audit_event": AuditEvent.objects.filter(tenant=tenant).order_by("-id").first(),
        "group": tenant.role_groups.get(role="viewer").group,
        "user": users["viewer"],
        "dataset_content_type": ContentType.objects.get_for_model(dataset),
    })
    return data


PLATFORM_OBJECTS = ("schedule", "success", "failure", "ormq")  # the same in A's and B's objects


def _platform_objects() -> dict:
    """One row of each of the task queue's models, for the operator's admin pages."""
    import uuid

    from django.utils import timezone
    from django_q.models import OrmQ, Schedule, Task
    from django_q.signing import SignedPackage

    now = timezone.now()
    success, failure = (Task.objects.create(id=uuid.uuid4().hex, name=f"walk-{ok}", func="math.floor", started=now,
                                            stopped=now, success=ok, attempt_count=1) for ok in (True, False))
    queued = OrmQ.objects.create(key="synthhub", payload=SignedPackage.dumps(
        {"id": uuid.uuid4().hex, "name": "walk-queued", "func": "math.floor", "args": (1,), "kwargs": {}}))
    objects = {"schedule": Schedule.objects.order_by("pk").first(), "success": success, "failure": failure,
               "ormq": queued}
    assert set(objects) == set(PLATFORM_OBJECTS)
    return objects


def build_world() -> World:
    from django.contrib.auth import get_user_model

    from apps.datasets import services as datasets
    from apps.tenants import services as tenants

    a = _tenant("alpha", "")
    b = _tenant("beta", MARKER)
    owner = a.users["owner"]
    restricted = datasets.dataset_create(tenant=a.tenant, actor=owner, name=f"restricted {HIDDEN}",
                                         description=HIDDEN, spec=spec(HIDDEN))
    datasets.dataset_permissions_set(dataset=restricted, actor=owner, roles={"viewer": []}, members=[])
    a.objects["restricted_dataset"] = restricted
    # The admin of A is also staff: the admin site then shows them A's rows (and must show nothing of B's).
    a.users["admin"].is_staff = True
    a.users["admin"].save(update_fields=["is_staff"])
    platform = _platform_objects()
    a.objects.update(platform)
    b.objects.update(platform)
    operator = get_user_model().objects.create_superuser("operator", "operator@synthhub.test", "pw-for-tests")
    _, operator_secret = tenants.token_create(user=operator, name="operator")
    return World(a=a, b=b, operator=operator, operator_secret=operator_secret)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from django.db import transaction

    from apps.exports.models import Export

    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        yield built
        # Files are not rolled back with the rows: remove the exports' files, or the next tests find them.
        for export in Export.all_objects.exclude(file=""):
            export.file.delete(save=False)
        from apps.profiling.models import Sample

        for sample in Sample.all_objects.exclude(file=""):
            sample.file.delete(save=False)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles count in the cache: every probe starts from an empty one."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
