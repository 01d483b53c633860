"""Run the scheduler: reaper and dispatcher, outside the task queue (docs/jobs.md)."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.generation.scheduler import Scheduler


class Command(BaseCommand):
    help = ("Reap the work of dead workers and dispatch pending chunks, exports and pushes to the broker, every "
            "SYNTHHUB_SCHEDULER_INTERVAL_SECONDS. Run one (a second one waits as a standby).")

    def add_arguments(self, parser):
        parser.add_argument("--passes", type=int, default=None, help="Stop after this many passes (default: run "
                                                                     "until SIGTERM or SIGINT).")

    def handle(self, *args, passes=None, **options):
        scheduler = Scheduler(interval=settings.SYNTHHUB_SCHEDULER_INTERVAL_SECONDS)

        def stop(signum, frame):
            scheduler.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"synthhub scheduler: a pass every {scheduler.interval}s")
        scheduler.run(passes=passes)
