"""How an export or a push runs, like a generation chunk (docs/jobs.md): claimed under a lease that its
worker renews, re-queued by the reaper when the lease runs out (bounded by attempts), its failure recorded
on a usable connection, its file appearing whole under its final name, orphan files removed.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db import connection as platform_connection
from django.utils import timezone

from apps.audit.services import audit_record
from apps.generation.dispatch import dispatch_on_commit
from apps.observability import events
from apps.observability.models import EventType

from .models import Export, Push, RunStatus

logger = logging.getLogger(__name__)

EXPORTS_DIR = "exports"
PARTIAL_PREFIX = ".partial-"
# A file under exports/ that no export names is removed once it is this old (a crash between writing the
# file and recording it); younger ones may belong to an export that is finishing right now.
ORPHAN_AGE = timedelta(hours=1)
_FILE_PK = re.compile(rf"^(?:{re.escape(PARTIAL_PREFIX)})?(\d+)-")


def lease() -> timedelta:
    return timedelta(seconds=settings.SYNTHHUB_EXPORT_LEASE_SECONDS)


def max_attempts() -> int:
    return int(settings.Q_CLUSTER.get("max_attempts", 3))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def run_claim(model, pk: int, *, worker: str):
    """Mark a queued row running under a lease (committed at once); None when it is not queued (another
    delivery has it, or it finished): a duplicate delivery counts no attempt."""
    with transaction.atomic():
        row = model._base_manager.select_for_update(no_key=True).filter(pk=pk, status=RunStatus.QUEUED).first()
        if row is None:
            return None
        now = timezone.now()
        row.status, row.started_at, row.worker = RunStatus.RUNNING, now, worker
        row.lease_expires_at, row.attempts = now + lease(), row.attempts + 1
        row.save(update_fields=["status", "started_at", "worker", "lease_expires_at", "attempts", "updated_at"])
        run_event(row, EventType.CLAIMED, f"claimed by worker {worker} (attempt {row.attempts})", worker=worker,
                  attempt=row.attempts)
    return row


def run_event(row, type: str, message: str, **fields) -> None:
    """An event of an export or a push (its kind is its model's name); the caller holds the row's lock or
    created it in this transaction."""
    events.record(kind=row._meta.model_name, job_id=row.pk, tenant_id=row.tenant_id, type=type, message=message,
                  **fields)


@contextmanager
def lease_renewed(model, pk: int, *, worker: str):
    """Renew the row's lease every third of it while the block runs (a thread with its own connection), so
    only a worker that stopped lets it run out."""
    stop = threading.Event()

    def renew():
        try:
            while not stop.wait(lease().total_seconds() / 3):
                model._base_manager.filter(pk=pk, status=RunStatus.RUNNING, worker=worker).update(
                    lease_expires_at=timezone.now() + lease())
        except Exception:  # noqa: BLE001 - a lease not renewed is redone by the reaper, never a crash here
            logger.warning("could not renew the lease of %s %s", model._meta.model_name, pk, exc_info=True)
        finally:
            platform_connection.close()

    thread = threading.Thread(target=renew, name=f"lease-{model._meta.model_name}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def still_ours(model, pk: int, *, worker: str):
    """The row, locked, if this worker still holds it (the reaper may have handed it on after a long pause)."""
    return model._base_manager.select_for_update(no_key=True).filter(pk=pk, status=RunStatus.RUNNING,
                                                                     worker=worker).first()


def on_usable_connection(record) -> None:
    """Run `record()` (a failure's own write) on a connection that works: a connection the failure broke is
    closed first, and if the write still finds it dead it is closed and the write tried once more."""
    if not platform_connection.in_atomic_block:
        platform_connection.close_if_unusable_or_obsolete()
    try:
        record()
    except DatabaseError:
        if platform_connection.in_atomic_block:
            raise
        logger.warning("recording a failure lost its connection; retrying on a new one", exc_info=True)
        platform_connection.close()
        record()


def runs_reap(*, now=None, fail) -> dict[str, int]:
    """Exports and pushes whose lease ran out (their worker died): queued again for the dispatcher while they
    have attempts left, else failed through `fail(model, row)`. One transaction per row, audit last."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    for model in (Export, Push):
        label = model._meta.model_name
        expired = list(model._base_manager.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now)
                       .order_by("id").values_list("id", flat=True))
        for pk in expired:
            with transaction.atomic():
                row = model._base_manager.select_for_update(skip_locked=True, no_key=True).filter(
                    pk=pk, status=RunStatus.RUNNING, lease_expires_at__lt=now).first()
                if row is None:
                    continue
                if row.attempts >= max_attempts():
                    fail(model, row)
                    counts["failed"] += 1
                    continue
                worker = row.worker
                row.status, row.lease_expires_at, row.worker = RunStatus.QUEUED, None, ""
                row.enqueued_at = row.waiting_since = None
                row.save(update_fields=["status", "lease_expires_at", "enqueued_at", "waiting_since", "worker",
                                        "updated_at"])
                run_event(row, EventType.REQUEUED, f"queued again: its worker {worker} stopped (lease expired)",
                          worker=worker, attempt=row.attempts)
                audit_record(action=f"{label}.requeue", tenant=row.tenant_id, target_type=model._meta.label_lower,
                             target_id=row.pk, target_label=f"{label} {row.pk}",
                             after={"attempts": row.attempts, "reason": "its worker stopped (lease expired)",
                                    "worker": worker})
                counts["requeued"] += 1
    if counts["requeued"]:
        dispatch_on_commit()
    return counts


def save_whole(staging, *, final_name: str) -> str:
    """Save the staged file so that it appears under `final_name` only when complete.

    On a local file system the file is written under a temporary name beside its destination and renamed
    (atomic); other storages get one save, which object stores only show when the upload is complete."""
    try:
        default_storage.path(final_name)
    except NotImplementedError:
        return default_storage.save(final_name, File(staging, name=final_name))
    directory, base = os.path.split(final_name)
    partial = f"{directory}/{PARTIAL_PREFIX}{base}"  # random already: the storage keeps the name as given
    try:
        partial = default_storage.save(partial, File(staging, name=base))
        os.replace(default_storage.path(partial), default_storage.path(final_name))
    except BaseException:
        try:
            default_storage.delete(partial)  # what a failing save left, if anything
        except OSError:
            logger.warning("could not remove the partial export file %s; the scheduler will", partial)
        raise
    return final_name


def _walk(directory: str):
    try:
        directories, files = default_storage.listdir(directory)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        yield f"{directory}/{name}"
    for sub in directories:
        yield from _walk(f"{directory}/{sub}")


def export_files_clean(*, now=None) -> int:
    """Remove files under exports/ that no export names and that are older than ORPHAN_AGE (never the
    partial file of an export still running)."""
    now = now or timezone.now()
    referenced = set(Export.all_objects.exclude(file="").values_list("file", flat=True))
    running = set(Export.all_objects.filter(status=RunStatus.RUNNING).values_list("pk", flat=True))
    removed = 0
    for name in _walk(EXPORTS_DIR):
        if name in referenced:
            continue
        match = _FILE_PK.match(os.path.basename(name))
        if match and int(match.group(1)) in running:
            continue
        try:
            if default_storage.get_modified_time(name) > now - ORPHAN_AGE:
                continue
            default_storage.delete(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        logger.info("removed orphan export file %s", name)
        removed += 1
    return removed
