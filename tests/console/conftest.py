"""Two teams for the console tests: A with one member per role, a dataset generated once and exported, and B
with a dataset of its own (whose ids must answer 404 to A's members)."""

import pytest

SPEC = {
    "version": 1,
    "name": "shop",
    "seed": 3,
    "tables": {
        "customers": {"rows": 6, "primary_key": "id", "columns": {
            "id": {"type": "sequence"},
            "tier": {"type": "choice", "values": ["gold", "silver"]},
            "age": {"type": "integer", "min": 18, "max": 90},
        }},
        "orders": {"rows": {"per": "customer_id", "min": 1, "max": 2}, "primary_key": "id", "columns": {
            "id": {"type": "sequence"},
            "customer_id": {"type": "reference", "table": "customers"},
        }},
    },
}


def run_on_commit(call, **kwargs):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return call(**kwargs)


@pytest.fixture
def team(tenant_a, tenant_b):
    """(A's tenant, A's users by role, A's objects, B's objects)."""
    from apps.datasets import services as datasets
    from apps.exports import services as exports
    from apps.generation import services as generation

    def objects(tenant, owner, name):
        dataset = datasets.dataset_create(tenant=tenant, actor=owner, name=name, spec=SPEC)
        job = run_on_commit(generation.job_start, dataset=dataset, actor=owner)
        job.refresh_from_db()
        export = run_on_commit(exports.export_create, tenant=tenant, actor=owner, dataset_id=dataset.pk,
                               version_number=job.version.number, fmt="csv")
        export.refresh_from_db()
        from apps.tenants.models import Membership

        return {"dataset": dataset, "job": job, "version": job.version, "export": export,
                "membership": Membership.objects.get(tenant=tenant, user__email__startswith="viewer@"),
                "token": None}

    (a, a_users), (b, b_users) = tenant_a, tenant_b
    return a, a_users, objects(a, a_users["owner"], "shop"), objects(b, b_users["owner"], "beta-shop")


@pytest.fixture
def console_client(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
