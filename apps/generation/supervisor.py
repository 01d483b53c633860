"""A queue cluster under a supervisor that restarts it when it is wedged (`manage.py synthhub_worker`).

django-q2 issue #23: a worker killed while it waits, idle, on the cluster's internal queue dies holding that
queue's lock. Its replacement and every other worker then wait on the lock for ever: tasks stay queued, and a
SIGTERM of the cluster hangs, because its workers never read the STOP message. Nothing inside the cluster
notices. The supervisor watches from the database instead: when a task has waited on the broker longer than
SYNTHHUB_QUEUE_STALL_SECONDS and no worker of its cluster has written a heartbeat for as long
(heartbeat.queue_stalled), it kills the cluster's whole process group (SIGKILL: SIGTERM would hang) and starts
a new one. The dispatcher enqueues again what the dead cluster held (SYNTHHUB_DISPATCH_REDELIVER_SECONDS).
A cluster that exits by itself is started again too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.db import connection

from .heartbeat import CLUSTER_ENV, queue_stalled

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 30


class ClusterSupervisor:
    def __init__(self, *, cluster_id: str | None = None, check_every: float = 5.0):
        self.cluster_id = cluster_id or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.check_every = check_every
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restarts = 0
        self.stopping = False

    def start(self) -> None:
        env = {**os.environ, CLUSTER_ENV: self.cluster_id,
               "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)}
        # A session of its own: the cluster's sentinel, pusher, monitor and workers are killed as one group.
        self.process = subprocess.Popen([sys.executable, "-m", "django", "qcluster"], cwd=settings.BASE_DIR, env=env,
                                        start_new_session=True)
        self.started_at = time.monotonic()
        logger.warning("started queue cluster %s (pid %s)", self.cluster_id, self.process.pid)

    def kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if the cluster does not stop in time (a wedged one never does)."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("queue cluster %s did not stop on SIGTERM; killing it", self.cluster_id)
            self.kill()
        except ProcessLookupError:
            pass

    def wedged(self) -> dict | None:
        """Why the cluster looks wedged, or None. A new cluster gets twice the stall time before it is judged:
        starting Django and forking the workers may take a while on a busy machine, and a cluster killed
        before it could take a task would be restarted for ever."""
        if time.monotonic() - self.started_at < 2 * settings.SYNTHHUB_QUEUE_STALL_SECONDS:
            return None
        try:
            return queue_stalled(cluster=self.cluster_id)
        except Exception:  # noqa: BLE001 - the database may be down: that is not the cluster's fault
            logger.warning("could not check the queue", exc_info=True)
            connection.close()
            return None

    def check(self) -> None:
        if self.process.poll() is not None:
            logger.warning("queue cluster %s exited with %s; starting it again", self.cluster_id,
                           self.process.returncode)
        elif (why := self.wedged()) is not None:
            logger.error("queue cluster %s is wedged (%s); killing and restarting it", self.cluster_id, why)
            self.kill()
        else:
            return
        self.restarts += 1
        self.start()

    def run(self) -> None:
        self.start()
        try:
            while not self.stopping:
                time.sleep(self.check_every)
                if not self.stopping:
                    self.check()
        finally:
            self.stop()
