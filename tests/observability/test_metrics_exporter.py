"""The per-machine exporter: a machine's multiprocess metrics over HTTP, under /metrics's token rule."""

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from prometheus_client.parser import text_string_to_metric_families

from .test_metrics import COUNT_IN_A_PROCESS, ROOT, sample

TOKEN = "exporter-token-0123456789"


@pytest.fixture
def machine_dir(tmp_path, monkeypatch):
    """Two worker processes of one machine have counted rows into its metrics directory."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for rows in (5, 7):
        subprocess.run([sys.executable, "-c", COUNT_IN_A_PROCESS.format(rows=rows)], cwd=ROOT, env=env, check=True,
                       timeout=60)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def exporter(machine_dir, monkeypatch):
    """`synthhub_metrics_exporter --port 0` running in a thread of this process; yields its base URL."""
    from apps.observability import exporter as module

    started = []
    real = module.make_server

    def recorded(**kwargs):
        server = real(**kwargs)
        started.append(server)
        return server

    monkeypatch.setattr("apps.observability.management.commands.synthhub_metrics_exporter.make_server", recorded)
    out = StringIO()
    thread = threading.Thread(target=call_command, args=("synthhub_metrics_exporter", "--port", "0",
                                                         "--bind", "127.0.0.1"), kwargs={"stdout": out}, daemon=True)
    thread.start()
    for _ in range(200):
        if started and "serving" in out.getvalue():
            break
        time.sleep(0.01)
    server = started[0]
    yield f"http://127.0.0.1:{server.server_address[1]}", out.getvalue()
    server.shutdown()
    thread.join(timeout=10)
    assert not thread.is_alive()


def scrape(url: str, token: str | None = None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a local test server
            return response.status, response.read().decode(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), ""


def test_the_exporter_serves_the_machines_processes_with_the_token(exporter, settings, machine_dir):
    settings.SYNTHHUB_METRICS_TOKEN = TOKEN
    url, printed = exporter
    assert f"serving the metrics of {machine_dir}" in printed
    assert scrape(f"{url}/metrics")[0] == 401
    assert scrape(f"{url}/metrics", "wrong-token")[0] == 401
    status, text, content_type = scrape(f"{url}/metrics", TOKEN)
    assert status == 200 and content_type.startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert sample(families, "synthhub_generated_rows", "synthhub_generated_rows_total") == 12  # both processes
    assert sample(families, "synthhub_job_duration_seconds", "synthhub_job_duration_seconds_count",
                  kind="export", status="succeeded") == 2
    assert "synthhub_database_up" not in families  # database gauges come from /metrics on the web service
    assert scrape(f"{url}/other", TOKEN)[0] == 404


def test_without_a_token_production_hides_it_and_other_settings_answer(exporter, settings):
    url, _ = exporter
    settings.SYNTHHUB_METRICS_TOKEN = ""
    settings.SYNTHHUB_METRICS_REQUIRE_TOKEN = True
    assert scrape(f"{url}/metrics")[0] == 404
    settings.SYNTHHUB_METRICS_REQUIRE_TOKEN = False
    assert scrape(f"{url}/metrics")[0] == 200


def test_the_exporter_refuses_to_start_without_a_directory_or_with_a_bad_port(monkeypatch, tmp_path):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with pytest.raises(CommandError, match="PROMETHEUS_MULTIPROC_DIR is not set"):
        call_command("synthhub_metrics_exporter", "--port", "0")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="not a directory"):
        call_command("synthhub_metrics_exporter", "--port", "0")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    with pytest.raises(CommandError, match="--port"):
        call_command("synthhub_metrics_exporter", "--port", "70000")
