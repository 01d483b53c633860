"""Throttles: anonymous per IP, per user, and failed token attempts per IP with the audit aggregated."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.core import throttling
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

URL = "/api/v1/tenants/alpha/datasets/"
OFF = {"anon": None, "user": None, "auth_failure": None}


def rates(**given):
    return override_settings(SYNTHHUB_THROTTLE_RATES={**OFF, **given})


def at(ip: str) -> APIClient:
    return APIClient(REMOTE_ADDR=ip)


def test_anonymous_requests_are_limited_per_ip(tenant_a):
    with rates(anon="3/minute"):
        client = at("10.0.0.1")
        assert [client.get(URL).status_code for _ in range(3)] == [401] * 3
        limited = client.get(URL)
        assert_error_shape(limited, 429)
        assert int(limited["Retry-After"]) > 0
        # Another address, or a forged X-Forwarded-For, is counted on its own address only.
        assert at("10.0.0.2").get(URL).status_code == 401
        assert client.get(URL, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429
        assert client.get("/api/v1/auth/tokens/").status_code == 429


def test_signed_in_users_are_limited_per_user(tenant_a, api_client_for):
    users = tenant_a[1]
    with rates(user="3/minute"):
        viewer = api_client_for(users["viewer"])
        assert [viewer.get(URL).status_code for _ in range(3)] == [200] * 3
        assert_error_shape(viewer.get(URL), 429)
        assert_error_shape(viewer.get("/api/v1/tenants/"), 429)
        assert api_client_for(users["editor"]).get(URL).status_code == 200


def test_failed_tokens_are_limited_per_ip_and_audited_once_per_burst(tenant_a, api_client_for, monkeypatch):
    users = tenant_a[1]
    good = api_client_for(users["viewer"])
    good_header = good._credentials["HTTP_AUTHORIZATION"]
    clock = {"now": 1_000_020.0}  # 20 s into a minute window
    monkeypatch.setattr(throttling.time, "time", lambda: clock["now"])
    with rates(auth_failure="5/minute"):
        attacker = at("10.0.0.7")
        statuses = [attacker.get(URL, HTTP_AUTHORIZATION=f"Token bogus{i:04d}").status_code for i in range(50)]
        assert statuses == [401] * 5 + [429] * 45
        # Blocked before the token is looked at: a valid token from that address waits too, elsewhere it works.
        assert_error_shape(at("10.0.0.7").get(URL, HTTP_AUTHORIZATION=good_header), 429)
        assert at("10.0.0.8").get(URL, HTTP_AUTHORIZATION=good_header).status_code == 200

        events = list(AuditEvent.objects.filter(action__startswith="auth.token_failed").order_by("id"))
        assert [e.action for e in events] == ["auth.token_failed", "auth.token_failed_burst"]
        assert events[0].after["failures"] == 1 and events[0].after["previous_window_attempts"] == 0
        assert events[1].after["failures"] == 5 and events[0].target_id == "bogus000"

        # The next window: the address may try again, and its first failure reports the last window's total.
        clock["now"] += 60
        assert attacker.get(URL, HTTP_AUTHORIZATION="Token bogus-again").status_code == 401
        latest = AuditEvent.objects.filter(action="auth.token_failed").latest("id")
        assert latest.after["previous_window_attempts"] == 51
        assert AuditEvent.objects.filter(action__startswith="auth.token_failed").count() == 3
        assert attacker.get(URL, HTTP_AUTHORIZATION=good_header).status_code == 200


@pytest.mark.parametrize("header", [b"Token \xff\xfe", b"Token abc\xe9", "Token \u2603snow", b"\xff\xfe"])
def test_a_non_utf8_authorization_header_is_401_not_500(tenant_a, header):
    response = APIClient().get(URL, HTTP_AUTHORIZATION=header)
    assert_error_shape(response, 401)


def _redis_url() -> str | None:
    import os

    url = os.environ.get("SYNTHHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001 - any failure means there is no Redis to test against
        return None
    return url


def test_failed_tokens_are_counted_across_processes_in_redis(tenant_a, monkeypatch):
    """Two workers (here: this process and a child) share the failure count when the cache is Redis."""
    import subprocess
    import sys
    import uuid

    url = _redis_url()
    if url is None:
        pytest.skip("no Redis reachable (SYNTHHUB_TEST_REDIS_URL)")
    cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                         "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}"}}
    now = 2_000_010.0
    monkeypatch.setattr(throttling.time, "time", lambda: now)
    with override_settings(CACHES=cache), rates(auth_failure="5/minute"):
        client = at("10.1.1.1")
        assert [client.get(URL, HTTP_AUTHORIZATION=f"Token bad{i}").status_code for i in range(3)] == [401] * 3
        child = (
            "import django; from django.conf import settings; "
            f"settings.configure(CACHES={cache!r}, SYNTHHUB_THROTTLE_RATES={{'auth_failure': '5/minute'}}); "
            "django.setup(); from types import SimpleNamespace; "
            "from apps.core.throttling import FailedTokenLimiter; "
            "request = SimpleNamespace(META={'REMOTE_ADDR': '10.1.1.1'}); "
            f"print([FailedTokenLimiter(request, now={now}).count() for _ in range(2)])"
        )
        out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "[4, 5]"
        assert_error_shape(client.get(URL, HTTP_AUTHORIZATION="Token bad-again"), 429)
        from django.core.cache import cache as shared

        # Only this test's key: clear() would flush the whole Redis database.
        shared.delete(f"throttle:auth_failure:10.1.1.1:{int(now // 60)}")
