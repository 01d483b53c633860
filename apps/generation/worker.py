"""A queue worker for the length of one command (used by `job_run --worker` and `make demo`)."""

import os
import signal
import subprocess
import sys
from contextlib import contextmanager

from django.conf import settings


@contextmanager
def temporary_worker():
    """Run `qcluster` in a child process while the block runs, then stop it gracefully."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "qcluster"], cwd=settings.BASE_DIR, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
