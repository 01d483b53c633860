"""Exports and pushes run like chunks: leases, bounded re-queues by the reaper (audited), failures recorded on
a working connection, files that appear whole, orphan files removed."""

import os
import threading
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.exports import runs, services
from apps.exports.models import Export, RunStatus
from apps.generation import dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_export(rich, tenant_a, monkeypatch):
    """A queued export whose task the test delivers itself."""
    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: None)
    dataset, version = rich
    return services.export_create(tenant=tenant_a[0], actor=tenant_a[1]["editor"], dataset_id=dataset.pk,
                                  version_number=version.number, fmt="csv", tables=["customers"])


def _killed_mid_run(export, *, attempts=1):
    """What a worker killed with -9 leaves: the export running under a lease that is no longer renewed."""
    Export.objects.filter(pk=export.pk).update(status=RunStatus.RUNNING, attempts=attempts, worker="gone:1",
                                               started_at=timezone.now() - timedelta(minutes=5),
                                               lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_killed_export_is_queued_again_audited_and_then_succeeds(queued_export, monkeypatch):
    _killed_mid_run(queued_export)
    assert services.exports_reap() == {"requeued": 1, "failed": 0}
    export = Export.objects.get(pk=queued_export.pk)
    assert (export.status, export.enqueued_at, export.worker) == (RunStatus.QUEUED, None, "")
    event = AuditEvent.objects.get(action="export.requeue")
    assert event.target_id == str(export.pk) and event.after["reason"] == "its worker stopped (lease expired)"
    monkeypatch.undo()
    assert dispatch.dispatch()["exports"] == 1  # the scheduler's next pass; the task runs here (sync queue)
    export.refresh_from_db()
    assert (export.status, export.attempts) == (RunStatus.SUCCEEDED, 2) and export.file


def test_an_export_killed_on_its_last_attempt_fails_as_stalled(queued_export, settings):
    _killed_mid_run(queued_export, attempts=settings.Q_CLUSTER["max_attempts"])
    assert services.exports_reap() == {"requeued": 0, "failed": 1}
    export = Export.objects.get(pk=queued_export.pk)
    assert (export.status, export.error_code) == (RunStatus.FAILED, "stalled")


def test_a_live_lease_is_left_alone_and_a_second_delivery_counts_no_attempt(queued_export):
    Export.objects.filter(pk=queued_export.pk).update(status=RunStatus.RUNNING, attempts=1, worker="busy:1",
                                                      lease_expires_at=timezone.now() + timedelta(minutes=1))
    assert services.exports_reap() == {"requeued": 0, "failed": 0}
    assert services.export_run(export_id=queued_export.pk) == "skipped"
    export = Export.objects.get(pk=queued_export.pk)
    assert (export.status, export.attempts, export.worker) == (RunStatus.RUNNING, 1, "busy:1")


def test_an_export_whose_task_was_lost_is_dispatched_again(queued_export, monkeypatch):
    assert Export.objects.get(pk=queued_export.pk).enqueued_at is None  # on_commit did not run: never enqueued
    monkeypatch.undo()
    Export.objects.filter(pk=queued_export.pk).update(
        enqueued_at=timezone.now() - dispatch.redeliver_after() - timedelta(seconds=1))
    assert dispatch.dispatch()["exports"] == 1
    assert Export.objects.get(pk=queued_export.pk).status == RunStatus.SUCCEEDED
    assert AuditEvent.objects.filter(action="export.requeue", after__reason="task lost by the queue").count() == 1


@pytest.mark.django_db(transaction=True)  # the renewal thread's own connection must see the export
def test_the_lease_is_renewed_while_the_export_runs(on_postgres, queued_export, monkeypatch, settings):
    settings.SYNTHHUB_EXPORT_LEASE_SECONDS = 3
    from apps.exports import files

    real = files.write_export
    seen = {}

    def slow(*args, **kwargs):
        first = Export.objects.get(pk=queued_export.pk).lease_expires_at
        time.sleep(2.5)  # past a third of the lease: the renewal thread wrote a later expiry
        seen["renewed"] = Export.objects.get(pk=queued_export.pk).lease_expires_at > first
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "write_export", slow)
    assert services.export_run(export_id=queued_export.pk) == "succeeded"
    assert seen["renewed"]


def _files(tenant_id) -> set[str]:
    """Files in the tenant's export folder (other tests' files stay there: tenant ids repeat across tests)."""
    try:
        return set(default_storage.listdir(f"exports/{tenant_id}")[1])
    except FileNotFoundError:
        return set()


def test_the_file_appears_only_under_its_final_name_when_complete(queued_export, monkeypatch):
    names_during_write = []
    real_replace = os.replace

    def watching_replace(source, destination):
        names_during_write.append((os.path.basename(source), os.path.exists(destination)))
        return real_replace(source, destination)

    monkeypatch.setattr(runs.os, "replace", watching_replace)
    before = _files(queued_export.tenant_id)
    assert services.export_run(export_id=queued_export.pk) == "succeeded"
    export = Export.objects.get(pk=queued_export.pk)
    (source, existed), = names_during_write
    assert source.startswith(runs.PARTIAL_PREFIX) and not existed
    assert _files(export.tenant_id) - before == {os.path.basename(export.file.name)}  # no partial left


def test_a_failed_rename_leaves_no_file(queued_export, monkeypatch):
    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runs.os, "replace", fail)
    before = _files(queued_export.tenant_id)
    assert services.export_run(export_id=queued_export.pk) == "failed"
    export = Export.objects.get(pk=queued_export.pk)
    assert (export.status, export.error_code) == (RunStatus.FAILED, "storage_error")
    assert _files(export.tenant_id) == before


def test_orphan_files_are_removed_and_others_kept(queued_export):
    assert services.export_run(export_id=queued_export.pk) == "succeeded"
    kept = Export.objects.get(pk=queued_export.pk).file.name
    tenant = queued_export.tenant_id
    old = default_storage.save(f"exports/{tenant}/999999-deadbeef.csv", ContentFile(b"x"))
    young = default_storage.save(f"exports/{tenant}/999998-cafe.csv", ContentFile(b"x"))
    partial = default_storage.save(f"exports/{tenant}/{runs.PARTIAL_PREFIX}999997-feed.csv", ContentFile(b"x"))
    hours_ago = time.time() - 2 * 3600
    for name in (old, partial, kept):
        os.utime(default_storage.path(name), (hours_ago, hours_ago))
    assert runs.export_files_clean() == 2
    assert [default_storage.exists(n) for n in (kept, old, young, partial)] == [True, False, True, False]


@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_mid_export_is_recorded_as_a_failure(on_postgres, rich, tenant_a, monkeypatch):
    """The export's own database connection is terminated while rows stream: the failure is written on a new
    connection, so the export never stays running."""
    from apps.exports import files

    monkeypatch.setattr(dispatch, "async_task", lambda *args, **kwargs: None)
    dataset, version = rich
    export = services.export_create(tenant=tenant_a[0], actor=tenant_a[1]["editor"], dataset_id=dataset.pk,
                                    version_number=version.number, fmt="jsonl", tables=["customers"])
    real = files.record_rows

    def dropped(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        killer = connections.create_connection("default")
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        killer.close()
        yield from real(*args, **kwargs)

    monkeypatch.setattr(files, "record_rows", dropped)
    box = {}

    def work():
        try:
            box["result"] = services.export_run(export_id=export.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and box["result"] == "failed"
    export.refresh_from_db()
    assert (export.status, export.error_code) == (RunStatus.FAILED, "database_error")
    assert export.lease_expires_at is None
