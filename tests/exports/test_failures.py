"""Exports and pushes that fail: marked failed with a reason category, connections released, no hung worker.

The worker functions run in a thread with a deadline, as a queue worker would run them; the faults are
injected while rows stream (a writer that raises, a target connection killed mid-push).
"""

import threading
import time

import pytest
from django.db import connections

from apps.exports import services
from apps.exports.models import Export, Push
from apps.generation import dispatch

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE_SECONDS = 15


def run_worker(work, *, deadline: float = DEADLINE_SECONDS):
    """Run `work()` in its own thread (its own database connection); fail if it does not return in time.

    A hung worker holds a platform connection in the middle of a COPY: it is closed from here so the test
    database can still be flushed.
    """
    box: dict = {}

    def target():
        box["connection"] = connections["default"]
        try:
            box["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            box["error"] = exc
        finally:
            if not box.get("hung"):
                connections.close_all()

    thread = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(deadline)
    if thread.is_alive():
        box["hung"] = True
        raw = box["connection"].connection
        if raw is not None:
            raw.close()
        pytest.fail(f"the worker did not return within {deadline} s")
    if "error" in box:
        raise box["error"]
    return box["result"], time.monotonic() - started


@pytest.fixture
def queued(monkeypatch):
    """Nothing runs when the service queues its task: the test runs the worker itself."""
    calls = []
    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: calls.append(args))
    return calls


def _fail_after(original, rows: int, exc: BaseException):
    def wrapper(*args, **kwargs):
        for index, item in enumerate(original(*args, **kwargs)):
            if index == rows:
                raise exc
            yield item

    return wrapper


def test_an_export_whose_writer_fails_mid_stream_is_failed_promptly(rich, tenant_a, queued, monkeypatch):
    from apps.exports.writers import jsonl_writer

    tenant, users = tenant_a
    dataset, version = rich
    export = services.export_create(tenant=tenant, actor=users["editor"], dataset_id=dataset.pk,
                                    version_number=version.number, fmt="jsonl", tables=["customers"])
    secret = "row value 0f-fault"
    monkeypatch.setattr(jsonl_writer, "iter_json", _fail_after(jsonl_writer.iter_json, 5, ValueError(secret)))
    result, elapsed = run_worker(lambda: services.export_run(export_id=export.pk))
    assert result == "failed" and elapsed < DEADLINE_SECONDS
    export = Export.objects.get(pk=export.pk)
    assert export.status == "failed" and export.finished_at is not None
    assert export.error_code == "internal_error" and secret not in export.error
    assert not export.file
    # The platform connection is usable again in a new worker run.
    assert services.export_run(export_id=export.pk) == "skipped"


def test_an_export_whose_storage_fails_leaves_no_file_and_says_so(rich, tenant_a, queued, monkeypatch):
    from django.core.files.storage import default_storage

    tenant, users = tenant_a
    dataset, version = rich
    export = services.export_create(tenant=tenant, actor=users["editor"], dataset_id=dataset.pk,
                                    version_number=version.number, fmt="csv", tables=["customers"])
    real_save = default_storage.save
    saved = []

    def half_save(name, content, **kwargs):
        saved.append(real_save(name, content, **kwargs))  # the bytes landed, then the storage failed
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(default_storage, "save", half_save)
    result, _ = run_worker(lambda: services.export_run(export_id=export.pk))
    export = Export.objects.get(pk=export.pk)
    assert result == "failed" and (export.status, export.error_code) == ("failed", "storage_error")
    assert export.error == "writing the file failed"
    assert len(saved) == 1 and not default_storage.exists(saved[0])


def test_a_csv_export_failing_mid_copy_is_failed_promptly(rich, tenant_a, queued, monkeypatch):
    """On PostgreSQL the CSV lines come from a COPY on the platform connection: a write failing in the
    middle of it must cancel that COPY, not wait on it."""
    from apps.exports.writers.streams import ForwardingWriter

    tenant, users = tenant_a
    dataset, version = rich
    export = services.export_create(tenant=tenant, actor=users["editor"], dataset_id=dataset.pk,
                                    version_number=version.number, fmt="csv", tables=["customers", "orders"])
    real_write = ForwardingWriter.write

    def write(self, data):
        if self.bytes_written > 200:
            raise OSError(5, "Input/output error")
        return real_write(self, data)

    monkeypatch.setattr(ForwardingWriter, "write", write)
    result, elapsed = run_worker(lambda: services.export_run(export_id=export.pk))
    export = Export.objects.get(pk=export.pk)
    assert (result, export.status, export.error_code) == ("failed", "failed", "storage_error")
    assert elapsed < DEADLINE_SECONDS


# ----------------------------------------------------------------------------- pushes
BIG_SPEC = {
    "version": 1,
    "name": "big",
    "seed": 5,
    "tables": {
        "items": {
            "rows": 20_000,
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence"},
                "label": {"type": "string", "pattern": "[a-z]{60}"},
            },
        },
    },
}


@pytest.fixture
def big(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], name="big", spec=BIG_SPEC)
    return dataset, make_version(dataset, users["owner"])


def _target(tenant, params, **fields):
    values = {"name": "scratch", "host": params.get("host", "127.0.0.1"), "port": int(params.get("port", 5432)),
              "dbname": params["dbname"], "user": params.get("user", "postgres"), **fields}
    return services.target_create(tenant=tenant, actor=None, **values)


def _queue_push(target, dataset, actor):
    return services.version_push(target=target, actor=actor, dataset_id=dataset.pk, version_number=1)


def _tables_in(params) -> list[str]:
    import psycopg

    with psycopg.connect(**params, autocommit=True) as admin:
        return [name for (name,) in admin.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall()]


def test_a_push_whose_target_is_killed_mid_stream_fails_promptly(big, tenant_a, scratch_postgres, queued,
                                                                 monkeypatch):
    import psycopg

    from apps.exports import push as push_module

    tenant, users = tenant_a
    dataset, _ = big
    push = _queue_push(_target(tenant, scratch_postgres), dataset, users["owner"])
    real_iter = push_module.iter_dicts

    def killing(rows):
        for index, row in enumerate(real_iter(rows)):
            if index == 100:
                with psycopg.connect(**{**scratch_postgres, "dbname": "postgres"}, autocommit=True) as admin:
                    killed = admin.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = %s AND application_name = 'synthhub-push'",
                        [scratch_postgres["dbname"]]).fetchone()[0]
                    assert killed == 1
            yield row

    monkeypatch.setattr(push_module, "iter_dicts", killing)
    result, elapsed = run_worker(lambda: services.push_run(push_id=push.pk))
    push = Push.objects.get(pk=push.pk)
    assert (result, push.status, push.error_code) == ("failed", "failed", "target_error")
    assert "terminat" not in push.error and "FATAL" not in push.error
    assert elapsed < DEADLINE_SECONDS
    assert _tables_in(scratch_postgres) == []


def test_a_push_whose_platform_read_fails_mid_stream_leaves_the_target_as_it_was(big, tenant_a, scratch_postgres,
                                                                               queued, monkeypatch):
    from apps.exports import push as push_module

    tenant, users = tenant_a
    dataset, _ = big
    push = _queue_push(_target(tenant, scratch_postgres), dataset, users["owner"])
    monkeypatch.setattr(push_module, "iter_dicts", _fail_after(push_module.iter_dicts, 50, ValueError("row 7 x")))
    result, elapsed = run_worker(lambda: services.push_run(push_id=push.pk))
    push = Push.objects.get(pk=push.pk)
    assert (result, push.status, push.error_code) == ("failed", "failed", "internal_error")
    assert "row 7" not in push.error and elapsed < DEADLINE_SECONDS
    assert _tables_in(scratch_postgres) == []
    # The platform connection of this thread is usable: a second run of the same worker answers at once.
    assert services.push_run(push_id=push.pk) == "skipped"


@pytest.mark.parametrize(("fields", "code"), [({"port": 1}, "refused"), ({"user": "nobody_at_all"}, "auth_failed")])
def test_a_target_that_refuses_or_rejects_the_login_fails_promptly(shop_version, tenant_a, scratch_postgres, queued,
                                                                   fields, code):
    tenant, users = tenant_a
    push = _queue_push(_target(tenant, scratch_postgres, **fields), shop_version, users["owner"])
    result, elapsed = run_worker(lambda: services.push_run(push_id=push.pk))
    push = Push.objects.get(pk=push.pk)
    assert (result, push.status, push.error_code) == ("failed", "failed", code)
    assert elapsed < DEADLINE_SECONDS and _tables_in(scratch_postgres) == []


@pytest.fixture
def shop_version(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    make_version(dataset, users["owner"])
    return dataset


def test_a_push_whose_platform_read_fails_is_a_database_error(shop_version, tenant_a, scratch_postgres, queued,
                                                              monkeypatch):
    """The platform's own records could not be read: not the target's fault, and the target is untouched."""
    from django.db import OperationalError

    from apps.exports import push as push_module

    tenant, users = tenant_a
    push = _queue_push(_target(tenant, scratch_postgres), shop_version, users["owner"])

    def unreadable(**kwargs):
        yield b'{"id": 1}'
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(push_module, "record_rows", unreadable)
    result, _ = run_worker(lambda: services.push_run(push_id=push.pk))
    push = Push.objects.get(pk=push.pk)
    assert (result, push.error_code, push.error) == ("failed", "database_error", "reading the version's records failed")
    assert _tables_in(scratch_postgres) == []
