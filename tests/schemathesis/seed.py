"""A small, realistic tenant for the Schemathesis run: members, a dataset with ready versions, a job, exports,
targets and a push, so that generated requests reach real code instead of stopping at an empty 404.

`keep` objects are what reads and updates are pointed at; `spare` objects are what deletes and restores are
pointed at, so the objects the rest of the run reads live through it.
"""

from dataclasses import dataclass, field

from tests.conftest import SHOP_SPEC


@dataclass
class World:
    tenant_slug: str
    token: str
    keep: dict = field(default_factory=dict)
    spare: dict = field(default_factory=dict)


def seed_world() -> World:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from rest_framework.exceptions import PermissionDenied

    from apps.audit.models import AuditEvent
    from apps.core.errors import ServiceValidationError
    from apps.datasets import services as datasets
    from apps.exports import services as exports
    from apps.exports.models import TargetConnection
    from apps.generation import services as generation
    from apps.tenants import services as tenants

    users = get_user_model().objects
    owner = users.create_user(username="owner@fuzz.test", email="owner@fuzz.test", password="pw-for-tests")
    tenant = tenants.tenant_create(name="Fuzz", slug="fuzz", owner=owner)
    members = {}
    for role in ("admin", "editor", "viewer"):
        user = users.create_user(username=f"{role}@fuzz.test", email=f"{role}@fuzz.test", password="pw-for-tests")
        members[role] = tenants.membership_add(tenant=tenant, user=user, role=role)
    _, token = tenants.token_create(user=owner, name="schemathesis")
    world = World(tenant_slug=tenant.slug, token=token)
    world.keep["membership"] = members["admin"].pk
    world.spare["membership"] = members["viewer"].pk

    def ready_version(dataset):
        version, _ = datasets.version_create(dataset=dataset, actor=owner)
        return datasets.version_generate(version=version, actor=owner)

    dataset = datasets.dataset_create(tenant=tenant, actor=owner, name="shop", spec=SHOP_SPEC)
    world.keep["dataset"] = dataset.pk
    world.keep["version"] = ready_version(dataset).number
    world.spare["version"] = ready_version(dataset).number
    world.spare["dataset"] = datasets.dataset_create(tenant=tenant, actor=owner, name="spare", spec=SHOP_SPEC).pk

    # Queued work runs synchronously in tests; on_commit callbacks fire when each block commits.
    for key in ("keep", "spare"):
        with transaction.atomic():
            export = exports.export_create(tenant=tenant, actor=owner, dataset_id=dataset.pk,
                                           version_number=world.keep["version"], fmt="csv")
        getattr(world, key)["export"] = export.pk
    with transaction.atomic():
        world.keep["job"] = generation.job_start(dataset=dataset, actor=owner).pk
    for key in ("keep", "spare"):
        try:
            with transaction.atomic():
                # Port 1 on loopback refuses at once: pushes reach the connect code and fail fast, writing nothing.
                target = exports.target_create(tenant=tenant, actor=owner, name=f"scratch-{key}", host="127.0.0.1",
                                               port=1, dbname="scratch_test", user="postgres")
            getattr(world, key)["target"] = target.pk
        except (ServiceValidationError, PermissionDenied):
            pass  # a target policy that refuses loopback only narrows the run: the push routes answer 400/404
    if "target" in world.keep:
        try:
            with transaction.atomic():
                push = exports.version_push(target=TargetConnection.objects.get(pk=world.keep["target"]),
                                            actor=owner, dataset_id=dataset.pk, version_number=world.keep["version"])
            world.keep["push"] = push.pk
        except (ServiceValidationError, PermissionDenied):
            pass
    from apps.schedules.services import schedule_create
    from apps.webhooks.services import webhook_create

    for key in ("keep", "spare"):
        with transaction.atomic():
            getattr(world, key)["schedule"] = schedule_create(tenant=tenant, actor=owner, dataset_id=dataset.pk,
                                                              name=f"nightly-{key}", cron="0 3 * * *").pk
        with transaction.atomic():
            # Port 1 on loopback (allowed by the test settings) refuses at once: deliveries fail fast.
            getattr(world, key)["webhook"] = webhook_create(tenant=tenant, actor=owner,
                                                            url=f"http://127.0.0.1:1/{key}",
                                                            events=["job.succeeded"])[0].pk
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.profiling import services as profiling

    for key in ("keep", "spare"):
        sample = profiling.sample_upload(tenant=tenant, actor=owner, table_name="people", uploaded=SimpleUploadedFile(
            "people.csv", b"id,segment,age\n1,a,30\n2,b,41\n3,a,52\n4,c,23\n"))
        with transaction.atomic():
            profile = profiling.profile_create(tenant=tenant, actor=owner, samples=[sample])
        getattr(world, key)["sample"] = sample.pk
        getattr(world, key)["profile"] = profile.pk
    from apps.masking.services import masking_key_rotate, rule_set_create

    masking_key_rotate(tenant=tenant, actor=owner)
    for key in ("keep", "spare"):
        with transaction.atomic():
            getattr(world, key)["masking_rules"] = rule_set_create(
                tenant=tenant, actor=owner, name=f"rules-{key}",
                document={"tables": {"customers": {"columns": {"name": {"rule": "fake", "provider": "name"}}}}}).pk
    world.keep["audit_event"] = AuditEvent.objects.filter(tenant=tenant).order_by("id").values_list(
        "id", flat=True).first()
    return world
