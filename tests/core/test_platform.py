import pytest
from django.core.checks import run_checks
from django.test import override_settings

from apps.core.api.viewsets import TenantScopedGenericViewSet


def test_health_live(client):
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_ready_checks_database_and_storage(client):
    body = client.get("/health/ready").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage", "queue"}


def test_a_scoped_viewset_cannot_override_the_scope():
    with pytest.raises(TypeError, match="get_queryset"):
        type("Leaky", (TenantScopedGenericViewSet,), {"get_queryset": lambda self: None})


def test_retry_not_above_timeout_fails_the_check():
    with override_settings(Q_CLUSTER={"timeout": 600, "retry": 300}):
        ids = [message.id for message in run_checks()]
    assert "synthhub.E001" in ids


@pytest.mark.django_db
def test_api_docs_work_offline(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower() and "swagger-ui" in docs


@pytest.mark.django_db
def test_metrics_in_prometheus_text_format(client, tenant_a, make_dataset, make_version, settings):
    tenant, users = tenant_a
    make_version(make_dataset(tenant, users["owner"]))
    response = client.get("/metrics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "# TYPE synthhub_jobs gauge" in text
    assert 'synthhub_versions{status="ready"} 1.0' in text
    assert "Alpha" not in text  # aggregates only
    settings.SYNTHHUB_METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200
