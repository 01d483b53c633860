"""One machine's metrics over HTTP, for workers that run where no web process can read their files.

Multiprocess mode adds up the files of every process writing to one PROMETHEUS_MULTIPROC_DIR; a directory is
one machine's (or one shared volume's). A machine that runs only qcluster workers or the scheduler runs
`manage.py synthhub_metrics_exporter --port N` beside them, and Prometheus scrapes each such machine as a
target of its own: the answer is that directory's recorded metrics (no database gauges: `/metrics` on the web
service has those), under the same token rule as `/metrics` (apps.observability.exposition.scrape_refusal).
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .exposition import machine_registry, scrape_refusal

PATHS = ("/metrics", "/")


class MetricsHandler(BaseHTTPRequestHandler):
    server_version = "synthhub-metrics-exporter"
    sys_version = ""
    directory = ""

    def do_GET(self):  # noqa: N802 - the name http.server calls
        if self.path.split("?", 1)[0] not in PATHS:
            return self._answer(404, b"not found\n")
        refusal = scrape_refusal(self.headers.get("Authorization", ""))
        if refusal:
            return self._answer(refusal, b"unauthorized\n" if refusal == 401 else b"not found\n")
        return self._answer(200, generate_latest(machine_registry(self.directory)), CONTENT_TYPE_LATEST)

    def do_HEAD(self):  # noqa: N802
        self.do_GET()

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - scrapes are not logged (one a scrape interval)
        pass


def make_server(*, directory: str, host: str = "0.0.0.0", port: int = 9464) -> ThreadingHTTPServer:  # noqa: S104
    handler = type("BoundMetricsHandler", (MetricsHandler,), {"directory": directory})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
