"""Run a queue cluster under a supervisor that restarts it when it exits or is wedged (docs/operations.md)."""

import signal

from django.core.management.base import BaseCommand

from apps.generation.supervisor import ClusterSupervisor


class Command(BaseCommand):
    help = ("Run `qcluster` as a child and restart it when it exits, or when tasks wait on the broker longer than "
            "SYNTHHUB_QUEUE_STALL_SECONDS while none of its workers writes a heartbeat (a wedged queue).")

    def add_arguments(self, parser):
        parser.add_argument("--cluster-id", default=None, help="Name of this cluster in worker heartbeats "
                                                               "(default: host name and a random suffix).")
        parser.add_argument("--check-every", type=float, default=5.0, help="Seconds between checks (default 5).")

    def handle(self, *args, cluster_id=None, check_every=5.0, **options):
        supervisor = ClusterSupervisor(cluster_id=cluster_id, check_every=check_every)

        def stop(signum, frame):
            supervisor.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        supervisor.run()
