"""The scheduler's work, outside the task queue it repairs (run by `manage.py synthhub_scheduler`).

Every pass (SYNTHHUB_SCHEDULER_INTERVAL_SECONDS): reap chunks, exports and pushes whose worker died, then
dispatch what is pending, fire the schedules that are due, move their runs on and queue the webhook
deliveries that are due. Every minute: remove orphan export files, expired idempotency keys and heartbeats,
old webhook deliveries and the events of purged jobs, and log a stalled queue. Every step is safe to run from
several processes at once (rows are taken with SKIP LOCKED); the command's lock only keeps a second scheduler
from doing the same work twice.
"""

from __future__ import annotations

import logging
import time

from django.db import connection

from . import dispatch, services
from .heartbeat import heartbeats_prune, queue_stalled
from .idempotency import idempotency_prune

logger = logging.getLogger(__name__)

SCHEDULER_LOCK_KEY = 0x53484231  # "SHB1": the scheduler's PostgreSQL advisory lock
HOUSEKEEPING_SECONDS = 60


def scheduler_pass() -> dict[str, int]:
    """Reap, then dispatch: what one pass did."""
    from apps.exports.services import exports_reap

    done = {}
    reaped = services.jobs_reap()
    done["chunks_requeued"], done["chunks_failed"] = reaped["requeued"], reaped["failed"]
    runs = exports_reap()
    done["runs_requeued"], done["runs_failed"] = runs["requeued"], runs["failed"]
    sent = dispatch.dispatch()
    done.update({f"{key}_sent": value for key, value in sent.items()})
    done.update(_automation_pass())
    return done


def _automation_pass() -> dict[str, int]:
    """Schedules that are due fire (their chunks go out on the next pass), runs move on, webhooks go out."""
    from apps.schedules.services import schedules_pass
    from apps.webhooks.dispatch import deliveries_dispatch

    return {**schedules_pass(), "webhooks_sent": deliveries_dispatch()}


def housekeeping() -> dict[str, int]:
    from apps.exports.runs import export_files_clean
    from apps.observability.events import events_prune

    done = {"orphan_files": export_files_clean(), "idempotency_keys": idempotency_prune(),
            "heartbeats": heartbeats_prune(), "webhook_deliveries": _deliveries_prune(),
            "job_events": events_prune()}
    stalled = queue_stalled()
    if stalled:
        logger.error("the task queue is stalled: a task has waited %ss and no worker was seen for %ss; restart the "
                     "queue workers (/health/ready answers 503)", stalled["oldest_waiting_seconds"],
                     stalled["last_worker_seen_seconds"])
    return done


def _deliveries_prune() -> int:
    from apps.webhooks.services import deliveries_prune

    return deliveries_prune()


def try_lock() -> bool:
    """The scheduler lock on PostgreSQL (held by this session until it ends); always granted elsewhere."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SCHEDULER_LOCK_KEY])
        return bool(cursor.fetchone()[0])


class Scheduler:
    """The loop: a standby scheduler waits for the lock; a lost database connection loses the lock too, so
    the loop takes it again before the next pass."""

    def __init__(self, *, interval: float):
        self.interval = interval
        self.holding = False
        self.stopping = False
        self.last_housekeeping = 0.0

    def tick(self) -> dict[str, int] | None:
        try:
            if not self.holding:
                self.holding = try_lock()
                if not self.holding:
                    return None
            done = scheduler_pass()
            if time.monotonic() - self.last_housekeeping >= HOUSEKEEPING_SECONDS:
                done.update(housekeeping())
                self.last_housekeeping = time.monotonic()
            return done
        except Exception:  # noqa: BLE001 - the database or the broker may be down: try again next pass
            logger.warning("scheduler pass failed; retrying", exc_info=True)
            if not connection.in_atomic_block:
                connection.close()  # a broken connection is replaced; the lock went with it
                self.holding = False
            return None

    def run(self, *, passes: int | None = None) -> None:
        count = 0
        while not self.stopping and (passes is None or count < passes):
            started = time.monotonic()
            done = self.tick()
            if done and any(done.values()):
                logger.info("scheduler: %s", ", ".join(f"{key}={value}" for key, value in done.items() if value))
            count += 1
            if passes is None or count < passes:
                time.sleep(max(self.interval - (time.monotonic() - started), 0.05))
