"""The trash purge against a restore racing it: a dataset or version is purged whole or restored whole, never
restored without its records; and a target is deleted before its audit event takes the audit lock."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.datasets import services
from apps.datasets.models import Dataset, DatasetVersion, Record
from apps.exports import services as export_services
from apps.exports.models import TargetConnection
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"
LONG_AGO = timedelta(days=31)


def _trashed_long_ago(model, obj):
    model.all_objects.filter(pk=obj.pk).update(deleted_at=timezone.now() - LONG_AGO)


def test_a_version_restored_after_the_purge_listed_it_keeps_its_records(tenant_a, owner, make_dataset, make_version):
    version = make_version(make_dataset(tenant_a[0], owner))
    services.version_delete(version=version, actor=owner)
    _trashed_long_ago(DatasetVersion, version)
    cutoff = timezone.now() - timedelta(days=30)
    # The purge has listed the version; the restore commits before the purge locks it.
    services.version_restore(version=version, actor=owner)
    assert services._version_purge(version_id=version.pk, cutoff=cutoff) == 0
    assert DatasetVersion.objects.filter(pk=version.pk).exists()
    assert Record.objects.filter(version=version).count() == version.total_rows > 0


def test_a_dataset_restored_after_the_purge_listed_it_keeps_its_versions(tenant_a, owner, make_dataset, make_version):
    dataset = make_dataset(tenant_a[0], owner)
    version = make_version(dataset)
    services.dataset_delete(dataset=dataset, actor=owner)
    _trashed_long_ago(Dataset, dataset)
    cutoff = timezone.now() - timedelta(days=30)
    services.dataset_restore(dataset=dataset, actor=owner)
    assert services._dataset_purge(dataset_id=dataset.pk, cutoff=cutoff) is None
    assert Record.objects.filter(version=version).count() == version.total_rows > 0


def test_restoring_a_version_the_purge_removed_is_a_404_not_a_500(
    tenant_a, owner, make_dataset, make_version, api_client_for
):
    dataset = make_dataset(tenant_a[0], owner)
    version = make_version(dataset)
    services.version_delete(version=version, actor=owner)
    stale = DatasetVersion.all_objects.get(pk=version.pk)  # what a restore request read before the purge
    _trashed_long_ago(DatasetVersion, version)
    assert services.trash_purge()["versions"] == 1
    with pytest.raises(Http404):
        services.version_restore(version=stale, actor=owner)
    assert not Record.all_objects.filter(version_id=version.pk).exists()
    response = api_client_for(owner).post(f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/restore/")
    assert_error_shape(response, 404)


def test_restoring_a_dataset_the_purge_removed_is_a_404(tenant_a, owner, make_dataset):
    dataset = make_dataset(tenant_a[0], owner)
    services.dataset_delete(dataset=dataset, actor=owner)
    stale = Dataset.all_objects.get(pk=dataset.pk)
    _trashed_long_ago(Dataset, dataset)
    assert services.trash_purge()["datasets"] == 1
    with pytest.raises(Http404):
        services.dataset_restore(dataset=stale, actor=owner)


def test_purge_audits_each_trashed_version_of_a_purged_dataset_and_the_dataset(
    tenant_a, owner, make_dataset, make_version
):
    dataset = make_dataset(tenant_a[0], owner)
    trashed, live = make_version(dataset), make_version(dataset)
    services.version_delete(version=trashed, actor=owner)
    services.dataset_delete(dataset=dataset, actor=owner)
    _trashed_long_ago(DatasetVersion, trashed)
    _trashed_long_ago(Dataset, dataset)
    purged = services.trash_purge()
    assert (purged["datasets"], purged["versions"]) == (1, 1)
    assert not Record.all_objects.filter(version_id__in=[trashed.pk, live.pk]).exists()
    events = AuditEvent.objects.filter(action="trash.purge")
    assert set(events.values_list("target_type", "target_id")) >= {
        ("datasets.datasetversion", str(trashed.pk)),
        ("datasets.dataset", str(dataset.pk)),
    }


def test_target_delete_takes_the_audit_lock_after_the_row_is_gone(tenant_a, owner, monkeypatch):
    tenant = tenant_a[0]
    target = export_services.target_create(
        tenant=tenant, actor=owner, name="scratch", host="127.0.0.1", port=5432, dbname="shop_test", user="postgres"
    )
    target_id, seen = target.pk, []
    real = export_services.audit_record

    def audit_after_delete(**kwargs):
        if kwargs["action"] == "target.delete":
            seen.append(TargetConnection.objects.filter(pk=target_id).exists())
        return real(**kwargs)

    monkeypatch.setattr(export_services, "audit_record", audit_after_delete)
    export_services.target_delete(target=target, actor=owner)
    assert seen == [False]
    event = AuditEvent.objects.get(action="target.delete")
    assert (event.target_type, event.target_id, event.before["name"]) == (
        "exports.targetconnection",
        str(target_id),
        "scratch",
    )


def test_target_delete_opens_one_transaction_not_two(tenant_a, owner):
    target = export_services.target_create(
        tenant=tenant_a[0], actor=owner, name="scratch", host="127.0.0.1", port=5432, dbname="shop_test",
        user="postgres",
    )
    with CaptureQueriesContext(connection) as queries:
        export_services.target_delete(target=target, actor=owner)
    statements = [query["sql"] for query in queries.captured_queries]
    first_delete = next(n for n, sql in enumerate(statements) if sql.startswith("DELETE"))
    # Inside the test's own transaction each atomic block is a savepoint: one before the row goes.
    assert sum(sql.startswith("SAVEPOINT") for sql in statements[:first_delete]) == 1
