"""Records at scale: one partition per version on PostgreSQL (dropped, not deleted row by row), a GIN index and
statistics once a version is loaded, filters that use that index, and cancelled versions neither served nor
kept."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.datasets import services
from apps.datasets.models import DatasetVersion, Record
from apps.datasets.partitions import gin_index_name, partition_name, partition_versions
from apps.generation import services as job_services
from tests.conftest import assert_error_shape
from tests.datasets.conftest import records_url


def _relation_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]





def _partial_cancelled_version(dataset, owner, django_capture_on_commit_callbacks):
    """A job with one chunk written, then cancelled (its after-commit purge runs)."""
    job = job_services.job_start(dataset=dataset, actor=owner, chunk_size=10)
    version = job.version
    engine_plan = services.version_plan(version, chunk_size=10)
    services.version_write_chunk(version=version, engine_plan=engine_plan, table="customers", start=0, stop=10)
    assert Record.objects.filter(version=version).count() == 10
    with django_capture_on_commit_callbacks(execute=True):
        job_services.job_cancel(job=job, actor=owner)
    version.refresh_from_db()
    assert version.status == "cancelled"
    return version


# ----- PostgreSQL: a partition per version -----


@pytest.mark.django_db
def test_records_table_is_partitioned_by_version(on_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT partstrat, pg_get_partkeydef(partrelid) FROM pg_partitioned_table "
                       "WHERE partrelid = %s::regclass", [Record._meta.db_table])
        assert cursor.fetchone() == ("l", "LIST (version_id)")


@pytest.mark.django_db
def test_a_version_is_written_into_its_own_partition(on_postgres, tenant_a, owner, make_dataset):
    dataset = make_dataset(tenant_a[0], owner)
    first, _ = services.version_create(dataset=dataset, actor=owner)
    second, _ = services.version_create(dataset=dataset, actor=owner)
    services.version_generate(version=first, chunk_size=7)
    services.version_generate(version=second, chunk_size=7)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*), min(version_id), max(version_id) FROM "{partition_name(first.pk)}"')
        assert cursor.fetchone() == (first.total_rows, first.pk, first.pk)
    assert set(partition_versions()) >= {first.pk, second.pk}
    # Reads through the model see both versions' rows, each under its own version.
    assert Record.objects.filter(version=first).count() == first.total_rows
    assert Record.objects.filter(version=second).count() == second.total_rows


@pytest.mark.django_db
def test_a_versions_partition_is_made_once_the_version_is_committed(on_postgres, tenant_a, owner, make_dataset,
                                                                    django_capture_on_commit_callbacks):
    # Made in a short transaction of its own, so no chunk holds the records table's DDL lock while it writes.
    dataset = make_dataset(tenant_a[0], owner)
    with django_capture_on_commit_callbacks(execute=True):
        version, _ = services.version_create(dataset=dataset, actor=owner)
        assert not _relation_exists(partition_name(version.pk))
    assert _relation_exists(partition_name(version.pk))
    assert not Record.objects.filter(version=version).exists()


@pytest.mark.django_db
def test_a_ready_version_gets_its_gin_index_and_statistics(on_postgres, tenant_a, owner, make_dataset,
                                                           django_capture_on_commit_callbacks):
    dataset = make_dataset(tenant_a[0], owner)
    version, _ = services.version_create(dataset=dataset, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.version_generate(version=version)
    assert _relation_exists(gin_index_name(version.pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = %s AND attname = 'data'",
                       [partition_name(version.pk)])
        assert cursor.fetchone()[0] == 1  # ANALYZE ran: the planner has statistics for this version's rows


# ----- cancelled versions -----


@pytest.mark.django_db
def test_a_cancelled_versions_partial_rows_are_purged_and_not_served(tenant_a, owner, make_dataset, api_client_for,
                                                                      django_capture_on_commit_callbacks):
    version = _partial_cancelled_version(make_dataset(tenant_a[0], owner), owner, django_capture_on_commit_callbacks)
    assert not Record.all_objects.filter(version=version).exists()
    if connection.vendor == "postgresql":
        assert not _relation_exists(partition_name(version.pk))
    client = api_client_for(owner)
    assert_error_shape(client.get(records_url(version)), 409)
    assert_error_shape(client.get(records_url(version).replace("records/?", "records/0/?")), 409)


@pytest.mark.django_db
def test_a_cancelled_version_is_not_served_even_before_its_rows_are_gone(tenant_a, owner, make_dataset,
                                                                         api_client_for):
    # The after-commit purge has not run (callbacks not executed): the rows still exist, and are not served.
    dataset = make_dataset(tenant_a[0], owner)
    job = job_services.job_start(dataset=dataset, actor=owner, chunk_size=10)
    engine_plan = services.version_plan(job.version, chunk_size=10)
    services.version_write_chunk(version=job.version, engine_plan=engine_plan, table="customers", start=0, stop=10)
    job_services.job_cancel(job=job, actor=owner)
    assert Record.objects.filter(version=job.version).count() == 10
    response = api_client_for(owner).get(records_url(job.version))
    error = assert_error_shape(response, 409)
    assert "cancelled" in error["message"]


@pytest.mark.django_db(transaction=True)
def test_a_partition_kept_by_a_lock_is_dropped_by_the_scheduled_purge(on_postgres, tenant_a, owner, make_dataset,
                                                                      settings):
    settings.SYNTHHUB_RECORDS_PARTITION_LOCK_TIMEOUT_MS = 100
    dataset = make_dataset(tenant_a[0], owner)
    version, engine_plan = services.version_create(dataset=dataset, actor=owner, chunk_size=10)
    services.version_write_chunk(version=version, engine_plan=engine_plan, table="customers", start=0, stop=10)
    reading, release = threading.Event(), threading.Event()

    def long_reader():  # a transaction that read records and is still open: DROP must wait for it
        try:
            from django.db import transaction

            with transaction.atomic():
                list(Record.objects.filter(version=version)[:1])
                reading.set()
                release.wait(10)
        finally:
            connection.close()

    reader = threading.Thread(target=long_reader)
    reader.start()
    try:
        assert reading.wait(10)
        # As job_cancel does; no transaction is open here, so its after-commit drop runs at once, and times
        # out after 100 ms.
        services.version_mark(version=version, status="cancelled")
        assert _relation_exists(partition_name(version.pk))
    finally:
        release.set()
        reader.join()
    assert services.version_records_maintain()["dropped"] >= 1
    assert not _relation_exists(partition_name(version.pk))
    assert not Record.all_objects.filter(version=version).exists()


# ----- purge -----


@pytest.mark.django_db
def test_trash_purge_drops_the_records_of_purged_versions(tenant_a, owner, make_dataset, make_version):
    dataset = make_dataset(tenant_a[0], owner)
    old, kept = make_version(dataset), make_version(dataset)
    services.version_delete(version=old, actor=owner)
    DatasetVersion.all_objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    services.trash_purge()
    assert not DatasetVersion.all_objects.filter(pk=old.pk).exists()
    assert not Record.all_objects.filter(version_id=old.pk).exists()
    assert Record.objects.filter(version=kept).count() == kept.total_rows
    if connection.vendor == "postgresql":
        assert not _relation_exists(partition_name(old.pk))
        assert _relation_exists(partition_name(kept.pk))


@pytest.mark.django_db
def test_maintenance_indexes_a_ready_version_left_without_its_index(on_postgres, tenant_a, owner, make_dataset,
                                                                    make_version):
    version = make_version(make_dataset(tenant_a[0], owner))  # after-commit steps not run: no index yet
    assert not _relation_exists(gin_index_name(version.pk))
    result = services.version_records_maintain()
    assert result["indexed"] >= 1
    assert _relation_exists(gin_index_name(version.pk))
