"""Shared fixtures: users, tenants with members in every role, and API clients that carry a token."""

import pytest


def pytest_configure(config):
    # Hypothesis property tests: bounded (a fixed number of derandomised examples), selectable with -m.
    config.addinivalue_line("markers", "properties: Hypothesis property tests (fixed examples, under a minute)")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle and failed-token counters live in the cache: every test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db, django_user_model):
    def make(email: str, **extra):
        return django_user_model.objects.create_user(username=email, email=email, password="pw-for-tests", **extra)

    return make


@pytest.fixture
def make_tenant(db, make_user):
    """A tenant with one member per role: returns (tenant, {role: user})."""
    from apps.tenants import services

    def make(slug: str):
        users = {role: make_user(f"{role}@{slug}.test") for role in ("owner", "admin", "editor", "viewer")}
        tenant = services.tenant_create(name=slug.title(), slug=slug, owner=users["owner"])
        for role in ("admin", "editor", "viewer"):
            services.membership_add(tenant=tenant, user=users[role], role=role)
        return tenant, users

    return make


@pytest.fixture
def tenant_a(make_tenant):
    return make_tenant("alpha")


@pytest.fixture
def tenant_b(make_tenant):
    return make_tenant("beta")


@pytest.fixture
def api_client_for(db):
    """An APIClient authenticated with a real token for the given user."""
    from rest_framework.test import APIClient

    from apps.tenants import services

    def make(user):
        _, secret = services.token_create(user=user, name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return client

    return make


def assert_error_shape(response, status: int, *, paths: set[str] | None = None):
    """Every API error has the one shape; `paths` lists the field paths that must be reported."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "details"} <= set(body["error"]), body
    if paths is not None:
        reported = {detail["path"] for detail in body["error"]["details"]}
        assert paths <= reported, (paths, body)
    return body["error"]


@pytest.fixture
def on_postgres(db):
    """Skip unless the suite runs on PostgreSQL (the second pass of `make test`)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


SHOP_SPEC = {
    "version": 1,
    "name": "shop",
    "seed": 7,
    "tables": {
        "customers": {
            "rows": 30,
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence"},
                "country": {"type": "choice", "values": ["NL", "DE", "FR"]},
                "age": {"type": "integer", "min": 18, "max": 90},
                "name": {"type": "faker", "provider": "name", "pii": True},
            },
        },
        "orders": {
            "rows": {"per": "customer_id", "min": 0, "max": 3},
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence"},
                "customer_id": {"type": "reference", "table": "customers"},
                "total": {"type": "float", "min": 1, "max": 500, "precision": 2},
            },
        },
    },
}


@pytest.fixture
def make_dataset(db):
    from apps.datasets import services

    def make(tenant, owner, name="shop", spec=None, **kwargs):
        return services.dataset_create(tenant=tenant, actor=owner, name=name, spec=spec or SHOP_SPEC, **kwargs)

    return make


@pytest.fixture
def make_version(db):
    from apps.datasets import services

    def make(dataset, actor=None, **kwargs):
        version, _ = services.version_create(dataset=dataset, actor=actor, **kwargs)
        return services.version_generate(version=version, actor=actor)

    return make
