from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.tenants import services
from apps.tenants.models import ApiToken
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db


def test_raw_token_never_stored(make_user):
    user = make_user("t@x.test")
    _, secret = services.token_create(user=user, name="ci")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        rows = cursor.fetchall()
    assert rows
    assert not any(secret in str(value) for row in rows for value in row)


def test_token_create_list_and_revoke(make_user, api_client_for):
    user = make_user("t@x.test")
    client = api_client_for(user)
    created = client.post("/api/v1/auth/tokens/", {"name": "laptop", "expires_in_days": 7}, format="json")
    assert created.status_code == 201
    body = created.json()
    secret = body["token"]
    listed = client.get("/api/v1/auth/tokens/").json()
    assert {row["name"] for row in listed} == {"tests", "laptop"}
    assert all("token" not in row for row in listed)  # the secret is shown once only
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert other.get("/api/v1/tenants/").status_code == 200
    assert client.delete(f"/api/v1/auth/tokens/{body['token_key']}/").status_code == 204
    assert_error_shape(other.get("/api/v1/tenants/"), 401)


def test_cannot_revoke_someone_elses_token(make_user, api_client_for):
    alice, bob = make_user("a@x.test"), make_user("b@x.test")
    token, _ = services.token_create(user=bob, name="bob")
    assert_error_shape(api_client_for(alice).delete(f"/api/v1/auth/tokens/{token.token_key}/"), 404)
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_expired_token_gets_401_and_failure_is_audited(make_user):
    user = make_user("t@x.test")
    token, secret = services.token_create(user=user, name="old", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(minutes=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert_error_shape(client.get("/api/v1/tenants/"), 401)
    assert AuditEvent.objects.filter(action="auth.token_failed").exists()


def test_garbage_token_gets_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "f" * 64)
    assert_error_shape(client.get("/api/v1/tenants/"), 401)


def test_a_token_with_a_nul_character_gets_401_and_is_audited(make_user):
    # PostgreSQL refuses NUL in text: the key must not reach the database (it was a 500 there).
    user = make_user("t@x.test")
    _, secret = services.token_create(user=user, name="cli", expires_in_days=1)
    for presented in (secret[:5] + "\x00" + secret[6:], "abc\x00", "\x00" * 64):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {presented}")
        assert_error_shape(client.get("/api/v1/tenants/"), 401)
    assert AuditEvent.objects.filter(action="auth.token_failed").exists()


def test_bad_token_input_is_400(make_user, api_client_for):
    client = api_client_for(make_user("t@x.test"))
    before = ApiToken.objects.count()
    assert_error_shape(client.post("/api/v1/auth/tokens/", {"expires_in_days": 0}, format="json"), 400,
                       paths={"expires_in_days"})
    assert_error_shape(client.post("/api/v1/auth/tokens/", {"name": "x" * 101}, format="json"), 400, paths={"name"})
    assert ApiToken.objects.count() == before


def test_session_write_without_csrf_is_403(tenant_a):
    tenant, users = tenant_a
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=users["owner"].username, password="pw-for-tests")
    assert client.get("/api/v1/tenants/alpha/members/").status_code == 200  # reads work with a session
    response = client.post("/api/v1/tenants/alpha/members/", {"email": "n@x.test", "role": "viewer"}, format="json")
    error = assert_error_shape(response, 403)
    assert "CSRF" in error["message"]


def test_login_success_and_failure_are_audited(make_user, client):
    make_user("u@x.test")
    client.post("/admin/login/", {"username": "u@x.test", "password": "wrong"})
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_label="u@x.test").exists()
    assert client.login(username="u@x.test", password="pw-for-tests")
    assert AuditEvent.objects.filter(action="auth.login", actor_label="u@x.test").exists()
