"""A new dataset's grants are written by two prepared INSERT ... SELECT statements (datasets.services
._grant_defaults): the same rows as granting ROLE_DEFAULT_ACTIONS to the tenant's role groups and every action to
the creator, no other tenant's group, and nothing at all when a role group is missing."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.datasets import services
from apps.datasets.models import (
    DATASET_ACTIONS,
    Dataset,
    DatasetGroupObjectPermission,
    DatasetUserObjectPermission,
    codename,
)
from apps.datasets.permissions import ROLE_DEFAULT_ACTIONS
from apps.tenants.models import TenantGroup
from tests.conftest import SHOP_SPEC

pytestmark = pytest.mark.django_db


def _permission(action):
    return Permission.objects.get(content_type__app_label="datasets", codename=codename(action))


def test_a_new_dataset_grants_each_role_its_default_actions_and_its_creator_every_action(tenant_a, tenant_b):
    tenant, users = tenant_a
    dataset = services.dataset_create(tenant=tenant, actor=users["editor"], name="x", spec=SHOP_SPEC)
    groups = dict(TenantGroup.objects.filter(tenant=tenant).values_list("role", "group_id"))
    expected = sorted((groups[role], _permission(action).pk)
                      for role, actions in ROLE_DEFAULT_ACTIONS.items() for action in actions)
    granted = sorted(DatasetGroupObjectPermission.objects.filter(content_object=dataset)
                     .values_list("group_id", "permission_id"))
    assert granted == expected and len(granted) == sum(len(a) for a in ROLE_DEFAULT_ACTIONS.values())
    assert not set(TenantGroup.objects.filter(tenant=tenant_b[0]).values_list("group_id", flat=True)) & {
        group for group, _ in granted}
    personal = sorted(DatasetUserObjectPermission.objects.filter(content_object=dataset)
                      .values_list("user_id", "permission_id"))
    assert personal == sorted((users["editor"].pk, _permission(action).pk) for action in DATASET_ACTIONS)
    # Written in ROLE_DEFAULT_ACTIONS' order, as the bulk inserts wrote them.
    written = list(DatasetGroupObjectPermission.objects.filter(content_object=dataset).order_by("id")
                   .values_list("group_id", "permission__codename"))
    assert written == [(groups[role], codename(action))
                       for role, actions in ROLE_DEFAULT_ACTIONS.items() for action in actions]


def test_a_dataset_without_a_creator_gets_its_role_grants_only(tenant_a):
    tenant, _ = tenant_a
    dataset = services.dataset_create(tenant=tenant, actor=None, name="system", spec=SHOP_SPEC)
    assert DatasetGroupObjectPermission.objects.filter(content_object=dataset).count() == sum(
        len(actions) for actions in ROLE_DEFAULT_ACTIONS.values())
    assert not DatasetUserObjectPermission.objects.filter(content_object=dataset).exists()


def test_a_tenant_missing_a_role_group_creates_nothing(tenant_a):
    tenant, users = tenant_a
    TenantGroup.objects.filter(tenant=tenant, role="viewer").delete()
    with pytest.raises(RuntimeError, match="role grants"):
        services.dataset_create(tenant=tenant, actor=users["owner"], name="half", spec=SHOP_SPEC)
    assert not Dataset.all_objects.filter(tenant=tenant, name="half").exists()
    assert not DatasetUserObjectPermission.objects.filter(content_object__name="half").exists()


def test_granting_a_new_datasets_defaults_is_two_statements(tenant_a):
    tenant, users = tenant_a
    with CaptureQueriesContext(connection) as ctx:
        services._grant_defaults(Dataset.objects.create(tenant=tenant, name="g", spec={}, spec_hash="0"),
                                 users["owner"])
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["INSERT", "INSERT", "INSERT"]  # the dataset, 2
