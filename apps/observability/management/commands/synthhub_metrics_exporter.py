"""Serve this machine's multiprocess metrics over HTTP (apps.observability.exporter; docs/operations.md)."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.observability.exporter import make_server
from apps.observability.metrics import multiprocess_dir


class Command(BaseCommand):
    help = ("Serve the recorded metrics of this machine's processes (PROMETHEUS_MULTIPROC_DIR) at /metrics, for "
            "workers on machines without a web process. Same token rule as /metrics.")
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=9464, help="TCP port (default 9464; 0 picks a free one).")
        parser.add_argument("--bind", default="0.0.0.0", help="Address to listen on (default all).")  # noqa: S104

    def handle(self, *args, port: int, bind: str, **options):
        directory = multiprocess_dir()
        if not directory:
            raise CommandError("PROMETHEUS_MULTIPROC_DIR is not set: the exporter serves the metric files that this "
                               "machine's processes write there")
        if not os.path.isdir(directory):
            raise CommandError("PROMETHEUS_MULTIPROC_DIR is not a directory")
        if not 0 <= port <= 65535:
            raise CommandError("--port must be from 0 to 65535")
        if not settings.SYNTHHUB_METRICS_TOKEN:
            self.stderr.write("SYNTHHUB_METRICS_TOKEN is not set: "
                              + ("every scrape answers 404" if settings.SYNTHHUB_METRICS_REQUIRE_TOKEN
                                 else "anyone who reaches the port reads the metrics"))
        try:
            server = make_server(directory=directory, host=bind, port=port)
        except OSError as exc:
            raise CommandError(f"cannot listen on {bind}:{port} ({exc.strerror})") from None
        host, bound = server.server_address[:2]
        self.stdout.write(f"serving the metrics of {directory} on http://{host}:{bound}/metrics")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
