import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.datasets import services
from apps.datasets.models import Dataset, DatasetVersion, Record
from apps.datasets.persistence import records_write_chunk
from apps.generation.engine import generate_chunk


@pytest.fixture
def version(tenant_a, make_dataset):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    version, _ = services.version_create(dataset=dataset, actor=users["owner"])
    return version


def rows_of(version, table="customers"):
    return list(Record.objects.filter(version=version, table_name=table).order_by("row_index")
                .values_list("row_index", "data"))


@pytest.mark.django_db
def test_generate_writes_every_row_once(version):
    engine_plan = services.version_plan(version)
    services.version_generate(version=version, chunk_size=7)
    version.refresh_from_db()
    assert version.status == "ready"
    for table, count in engine_plan.row_counts.items():
        assert [i for i, _ in rows_of(version, table)] == list(range(count))
    expected = [__import__("orjson").loads(r) for r in generate_chunk(engine_plan, "customers", 0, 30).json_rows()]
    assert [data for _, data in rows_of(version)] == expected


@pytest.mark.django_db
def test_writing_a_chunk_twice_leaves_exactly_its_rows(version):
    engine_plan = services.version_plan(version)
    for _ in range(2):
        services.version_write_chunk(version=version, engine_plan=engine_plan, table="customers", start=10, stop=20)
    assert [i for i, _ in rows_of(version)] == list(range(10, 20))


@pytest.mark.django_db
def test_a_short_chunk_is_rolled_back_whole(version):
    engine_plan = services.version_plan(version)
    services.version_write_chunk(version=version, engine_plan=engine_plan, table="customers", start=0, stop=30)
    json_rows = generate_chunk(engine_plan, "customers", 0, 10).json_rows()
    with pytest.raises(ValueError, match="received 10 rows"):
        records_write_chunk(version_id=version.pk, table="customers", start=0, stop=30, batches=[json_rows])
    assert [i for i, _ in rows_of(version)] == list(range(30))


@pytest.mark.django_db
def test_batches_cut_at_block_boundaries_equal_one_chunk(version):
    from apps.generation.engine import iter_batches

    engine_plan = services.version_plan(version)
    whole = generate_chunk(engine_plan, "orders", 3, 40).json_rows()
    assert [row for batch in iter_batches(engine_plan, "orders", 3, 40) for row in batch.json_rows()] == whole


@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_of_one_chunk_leave_exactly_its_rows(on_postgres, tenant_a, make_dataset):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    version, engine_plan = services.version_create(dataset=dataset, actor=None)
    json_rows = generate_chunk(engine_plan, "customers", 0, 30).json_rows()
    errors, barrier = [], threading.Barrier(4)

    def write():
        try:
            barrier.wait()
            records_write_chunk(version_id=version.pk, table="customers", start=0, stop=30, batches=[json_rows])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [i for i, _ in rows_of(version)] == list(range(30))


@pytest.mark.django_db
def test_jsonb_on_postgres(on_postgres, version):
    services.version_generate(version=version)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_typeof(data)::text FROM datasets_record LIMIT 1")
        assert cursor.fetchone()[0] == "jsonb"


@pytest.mark.django_db
def test_generate_over_quota_is_refused_before_any_work(tenant_a, make_dataset):
    from apps.core.errors import ServiceValidationError

    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    tenant.max_rows_per_version = 200  # the spec itself fits (30 customers and up to 90 orders); rows_scale does not
    tenant.save()
    with pytest.raises(ServiceValidationError) as caught:
        services.version_create(dataset=dataset, actor=None, rows_scale=50)
    assert caught.value.problems[0][0] == "rows_scale"
    assert not DatasetVersion.objects.exists()


@pytest.mark.django_db
def test_same_seed_same_records_across_versions(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    first = make_version(dataset, seed=5)
    second, _ = services.version_create(dataset=dataset, actor=None, seed=5, reference_time=first.reference_time)
    services.version_generate(version=second, chunk_size=4)
    assert rows_of(first, "orders") == rows_of(second, "orders")


@pytest.mark.django_db
def test_trash_purge_removes_only_old_trash_and_audits(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    old = make_dataset(tenant, users["owner"], name="old")
    make_version(old)
    fresh = make_dataset(tenant, users["owner"], name="fresh")
    kept_version = make_version(fresh)
    services.dataset_delete(dataset=old, actor=users["owner"])
    services.dataset_delete(dataset=fresh, actor=users["owner"])
    record = Record.objects.filter(version=kept_version).first()
    services.record_delete(record=record, actor=None)
    Dataset.all_objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    Record.all_objects.filter(pk=record.pk).update(deleted_at=timezone.now() - timedelta(days=40))
    call_command("trash_purge")
    assert not Dataset.all_objects.filter(pk=old.pk).exists()
    assert not Record.all_objects.filter(version__dataset=old).exists()
    assert not Record.all_objects.filter(pk=record.pk).exists()
    assert Dataset.all_objects.filter(pk=fresh.pk).exists()
    assert Record.objects.filter(version=kept_version).count() == kept_version.total_rows - 1
    assert AuditEvent.objects.filter(action="trash.purge").count() >= 2
