"""`/metrics` with prometheus_client: it parses, histograms have their buckets, the rows counter never goes down,
several processes add up, and production hides it without a token."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families

from apps.datasets import services as dataset_services
from apps.generation import services as generation
from apps.observability.checks import metrics_token_set

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def sample(families, family, name, **labels) -> float:
    return sum(s.value for s in families[family].samples
               if s.name == name and all(s.labels.get(key) == value for key, value in labels.items()))


@pytest.fixture
def dataset(tenant_a, make_dataset):
    tenant, users = tenant_a
    return make_dataset(tenant, users["owner"])


def test_exposition_parses_with_histogram_buckets_per_route_pattern(client, tenant_a, dataset, api_client_for,
                                                                    django_capture_on_commit_callbacks):
    api = api_client_for(tenant_a[1]["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        job = api.post(f"/api/v1/tenants/alpha/datasets/{dataset.pk}/generate/", {}, format="json").json()
    assert api.get(f"/api/v1/tenants/alpha/jobs/{job['id']}/").status_code == 200
    families = scrape(client)

    requests = families["synthhub_http_request_duration_seconds"]
    assert requests.type == "histogram"
    routes = {s.labels["route"] for s in requests.samples}
    assert not any(str(job["id"]) in route.replace("<", "").split("/") for route in routes)  # patterns, not paths
    detail = next(route for route in routes if "/jobs/" in route and "<pk>" in route and route.endswith(")/$"))
    buckets = [s for s in requests.samples if s.name.endswith("_bucket") and s.labels["route"] == detail]
    assert {s.labels["le"] for s in buckets} >= {"0.005", "0.1", "1.0", "+Inf"}
    assert sample(families, "synthhub_http_request_duration_seconds",
                  "synthhub_http_request_duration_seconds_count", route=detail, method="GET") >= 1

    for name in ("synthhub_job_duration_seconds", "synthhub_chunk_duration_seconds"):
        assert families[name].type == "histogram"
        assert any(s.name == f"{name}_bucket" and s.labels["le"] == "+Inf" for s in families[name].samples), name
    assert sample(families, "synthhub_job_duration_seconds", "synthhub_job_duration_seconds_count",
                  kind="generation", status="succeeded") >= 1
    assert families["synthhub_generated_rows"].type == "counter"
    for gauge in ("synthhub_queue_depth", "synthhub_queue_oldest_age_seconds", "synthhub_workers_seen",
                  "synthhub_worker_last_heartbeat_age_seconds", "synthhub_jobs", "synthhub_versions"):
        assert families[gauge].type == "gauge", gauge
    assert sample(families, "synthhub_versions", "synthhub_versions", status="ready") == 1
    assert sample(families, "synthhub_queue_depth", "synthhub_queue_depth", kind="chunk") == 0
    assert "Alpha" not in str(families) and "alpha" not in str(families["synthhub_jobs"].samples)


def test_rows_generated_never_go_down_when_purging_deletes_jobs(client, tenant_a, dataset,
                                                                django_capture_on_commit_callbacks):
    before = sample(scrape(client), "synthhub_generated_rows", "synthhub_generated_rows_total")
    with django_capture_on_commit_callbacks(execute=True):
        job = generation.job_start(dataset=dataset, actor=None, chunk_size=10)
    job.refresh_from_db()
    after_job = sample(scrape(client), "synthhub_generated_rows", "synthhub_generated_rows_total")
    assert after_job == before + job.rows_total > before

    dataset_services.dataset_delete(dataset=dataset, actor=tenant_a[1]["owner"])
    dataset_services.trash_purge(retention_days=0)
    from apps.generation.models import GenerationJob
    assert not GenerationJob.objects.filter(pk=job.pk).exists()
    assert sample(scrape(client), "synthhub_generated_rows", "synthhub_generated_rows_total") == after_job


def test_the_token_protects_metrics_and_production_hides_them_without_one(client, settings):
    settings.SYNTHHUB_METRICS_TOKEN = ""
    settings.SYNTHHUB_METRICS_REQUIRE_TOKEN = True
    assert client.get("/metrics").status_code == 404
    assert [warning.id for warning in metrics_token_set(None)] == ["synthhub.W101"]
    settings.SYNTHHUB_METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200
    assert metrics_token_set(None) == []


def test_production_settings_require_the_token_by_default():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "synthhub.settings.production", "SECRET_KEY": "k" * 60,
           "DATABASE_URL": ""}
    env.pop("SYNTHHUB_METRICS_REQUIRE_TOKEN", None)
    code = "import django; django.setup(); from django.conf import settings; " \
           "print(settings.SYNTHHUB_METRICS_REQUIRE_TOKEN, settings.LOG_FORMAT)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "json"]


COUNT_IN_A_PROCESS = """
from apps.observability import metrics
metrics.GENERATED_ROWS.inc({rows})
metrics.JOB_DURATION.labels(kind="export", status="succeeded").observe(0.3)
"""


def test_several_processes_add_up_in_multiprocess_mode(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for rows in (5, 7):
        subprocess.run([sys.executable, "-c", COUNT_IN_A_PROCESS.format(rows=rows)], cwd=ROOT, env=env, check=True,
                       timeout=60)
    files = sorted(path.name for path in tmp_path.glob("*.db"))
    from apps.observability.metrics import process_identifier
    host = process_identifier(0).removesuffix("_0")
    assert len(files) == 4 and all(f"_{host}_" in name for name in files)  # named by host and pid
    read = ("from prometheus_client import CollectorRegistry, generate_latest\n"
            "from prometheus_client.multiprocess import MultiProcessCollector\n"
            f"registry = CollectorRegistry(); MultiProcessCollector(registry, path={str(tmp_path)!r})\n"
            "print(generate_latest(registry).decode())")
    text = subprocess.run([sys.executable, "-c", read], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True, timeout=60).stdout
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert sample(families, "synthhub_generated_rows", "synthhub_generated_rows_total") == 12
    assert sample(families, "synthhub_job_duration_seconds", "synthhub_job_duration_seconds_count",
                  kind="export", status="succeeded") == 2

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    try:
        call_command("metrics_reset", stdout=open(os.devnull, "w"))  # noqa: SIM115
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert not list(tmp_path.glob("*.db"))


def test_gunicorn_marks_an_exited_worker_dead(tmp_path, monkeypatch):
    import runpy
    from types import SimpleNamespace

    from apps.observability.metrics import process_identifier

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "0")  # the conf file sets a default for the process that loads it
    live = tmp_path / f"gauge_livesum_{process_identifier(4242)}.db"
    kept = tmp_path / f"counter_{process_identifier(4242)}.db"
    live.write_bytes(b"")
    kept.write_bytes(b"")
    conf = runpy.run_path(str(ROOT / "synthhub" / "gunicorn.conf.py"))
    conf["child_exit"](None, SimpleNamespace(pid=4242))
    assert not live.exists() and kept.exists()  # a dead worker's counters stay in the sums


def test_a_database_that_does_not_answer_is_a_gauge_not_a_failed_scrape(client, monkeypatch):
    from django.db import OperationalError

    from apps.observability import exposition

    def down(self):
        raise OperationalError("connection refused")
        yield  # a generator, like the real one

    assert sample(scrape(client), "synthhub_database_up", "synthhub_database_up") == 1
    monkeypatch.setattr(exposition.DatabaseCollector, "_collect", down)
    families = scrape(client)
    assert sample(families, "synthhub_database_up", "synthhub_database_up") == 0
    assert "synthhub_queue_depth" not in families and "synthhub_http_request_duration_seconds" in families
