"""Empty PROMETHEUS_MULTIPROC_DIR before a deployment's processes start (docker/compose.yaml's migrate step).

Only when the whole deployment restarts: files of processes still running would be lost with their values.
Counters then start again from 0, which Prometheus's rate() and increase() read as a reset, not a fall.
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from apps.observability.metrics import multiprocess_dir


class Command(BaseCommand):
    help = "Remove the metric files of PROMETHEUS_MULTIPROC_DIR (run before the deployment's processes start)."

    def handle(self, *args, **options):
        directory = multiprocess_dir()
        if not directory:
            self.stdout.write("PROMETHEUS_MULTIPROC_DIR is not set: nothing to reset.")
            return
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        removed = 0
        for item in path.glob("*.db"):
            item.unlink(missing_ok=True)
            removed += 1
        self.stdout.write(f"Removed {removed} metric files from {path}.")
