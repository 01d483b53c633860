"""Targets stay outside the platform: the operator's host allow-list, never the platform's own database or a
copy of it, writes only into tables a push created, and failures told as categories, not driver text."""

import socket

import psycopg
import pytest
from django.db import connection

from apps.audit.models import AuditEvent
from apps.exports import services, targets
from apps.exports.models import Push, TargetConnection
from apps.tenants.models import Membership
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"

TAKEOVER_SPEC = {
    "version": 1,
    "name": "takeover",
    "seed": 1,
    "tables": {
        "tenants_membership": {
            "rows": 3,
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence"},
                "role": {"type": "choice", "values": ["owner"]},
                "tenant_id": {"type": "integer", "min": 1, "max": 3},
                "user_id": {"type": "integer", "min": 1, "max": 3},
            },
        },
        "auth_user_groups": {
            "rows": 3,
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence"},
                "user_id": {"type": "integer", "min": 1, "max": 3},
                "group_id": {"type": "integer", "min": 1, "max": 9},
            },
        },
    },
}


def _pg(params):
    return psycopg.connect(**params, autocommit=True)


def _target_for(tenant, params, **fields):
    values = {"name": "scratch", "host": params.get("host", "127.0.0.1"), "port": int(params.get("port", 5432)),
              "dbname": params["dbname"], "user": params.get("user", "postgres"),
              "password": params.get("password", ""), **fields}
    return services.target_create(tenant=tenant, actor=None, **values)


def _push(target, dataset, django_capture_on_commit_callbacks, actor):
    with django_capture_on_commit_callbacks(execute=True):
        push = services.version_push(target=target, actor=actor, dataset_id=dataset.pk, version_number=1)
    push.refresh_from_db()
    return push


@pytest.fixture
def shop(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    return dataset, make_version(dataset, users["owner"])


@pytest.fixture
def fake_dns(monkeypatch):
    """Names resolve to what the test says (IP literals and other names as usual)."""
    answers: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            if answers[host] is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


# ----------------------------------------------------------------------------- the platform's own database
def test_the_takeover_through_the_platform_database_is_refused(on_postgres, tenant_a, tenant_b, make_dataset,
                                                               make_version, api_client_for, settings,
                                                               django_capture_on_commit_callbacks):
    """An owner pushes a spec whose tables are the platform's membership tables into the platform's database."""
    tenant, users = tenant_a
    victim, victims = tenant_b
    settings.SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES = True  # even with the name rule out of the way
    platform = connection.settings_dict
    port = int(platform.get("PORT") or 5432)
    memberships_before = sorted(Membership.objects.values_list("tenant_id", "user_id", "role"))
    client = api_client_for(users["owner"])
    for host in (platform.get("HOST") or "127.0.0.1", "localhost", "127.0.0.1"):
        payload = {"name": "platform", "host": host, "port": port, "dbname": platform["NAME"],
                   "user": platform.get("USER") or "postgres"}
        error = assert_error_shape(client.post(f"{BASE}/targets/", payload, format="json"), 400, paths={"host"})
        assert "platform's own database" in error["message"]
    assert not TargetConnection.objects.exists()

    # A target saved before these checks existed is refused when it connects, before anything is written.
    dataset = make_dataset(tenant, users["owner"], name="takeover", spec=TAKEOVER_SPEC)
    make_version(dataset, users["owner"])
    target = TargetConnection.objects.create(tenant=tenant, name="old", host="localhost", port=port,
                                             dbname=platform["NAME"], user=platform.get("USER") or "postgres")
    push = _push(target, dataset, django_capture_on_commit_callbacks, users["owner"])
    assert push.status == "failed" and push.error_code == "not_allowed"
    assert sorted(Membership.objects.values_list("tenant_id", "user_id", "role")) == memberships_before
    assert not Membership.objects.filter(tenant=victim, user=users["owner"]).exists()


def test_a_database_holding_synthhubs_tables_is_refused_at_connect(shop, tenant_a, scratch_postgres,
                                                                   django_capture_on_commit_callbacks):
    """The platform reached under another address (or a copy of it): found by its tables, refused unchanged."""
    tenant, users = tenant_a
    with _pg(scratch_postgres) as admin:
        admin.execute("CREATE SCHEMA app")
        admin.execute("CREATE TABLE app.tenants_membership (id int PRIMARY KEY, role text)")
        admin.execute("INSERT INTO app.tenants_membership VALUES (1, 'viewer')")
    target = _target_for(tenant, scratch_postgres)
    push = _push(target, shop[0], django_capture_on_commit_callbacks, users["owner"])
    assert (push.status, push.error_code) == ("failed", "not_allowed")
    assert "SynthHub's own tables" in push.error
    with _pg(scratch_postgres) as admin:
        assert admin.execute("SELECT role FROM app.tenants_membership").fetchall() == [("viewer",)]
        assert admin.execute("SELECT to_regclass('customers')").fetchone() == (None,)


def test_a_database_with_synthhubs_migration_history_is_refused(shop, tenant_a, scratch_postgres,
                                                                django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    with _pg(scratch_postgres) as admin:
        admin.execute("CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text, applied "
                      "timestamptz)")
        admin.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('tenants', '0001_initial', now())")
    push = _push(_target_for(tenant, scratch_postgres), shop[0], django_capture_on_commit_callbacks, users["owner"])
    assert (push.status, push.error_code) == ("failed", "not_allowed")
    with _pg(scratch_postgres) as admin:
        assert admin.execute("SELECT to_regclass('customers')").fetchone() == (None,)
        # Another Django project's database is not SynthHub's: only the platform's apps count.
        admin.execute("UPDATE django_migrations SET app = 'shop'")
    push = _push(push.target, shop[0], django_capture_on_commit_callbacks, users["owner"])
    assert push.status == "succeeded", push.error


# ----------------------------------------------------------------------------- tables a push created
def test_an_existing_table_without_the_mark_is_never_written(shop, tenant_a, scratch_postgres,
                                                             django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    with _pg(scratch_postgres) as admin:
        admin.execute("CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total float)")
        admin.execute("INSERT INTO orders VALUES (1, 1, 9.5)")
    push = _push(_target_for(tenant, scratch_postgres), shop[0], django_capture_on_commit_callbacks,
                 users["owner"])
    assert (push.status, push.error_code) == ("failed", "not_allowed")
    assert "'orders'" in push.error and "not created by SynthHub" in push.error
    with _pg(scratch_postgres) as admin:
        assert admin.execute("SELECT * FROM orders").fetchall() == [(1, 1, 9.5)]
        # One transaction: the parent table, created before the refusal was found, is not left behind.
        assert admin.execute("SELECT to_regclass('customers')").fetchone() == (None,)


def test_tables_a_push_created_are_marked_and_upserted_again(shop, tenant_a, scratch_postgres,
                                                             django_capture_on_commit_callbacks):
    from apps.exports.target_tables import MANAGED_MARK, TableState, table_state

    tenant, users = tenant_a
    dataset, version = shop
    target = _target_for(tenant, scratch_postgres)
    first = _push(target, dataset, django_capture_on_commit_callbacks, users["owner"])
    assert first.status == "succeeded", first.error
    with _pg(scratch_postgres) as admin:
        for table in ("customers", "orders"):
            comment, = admin.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", [table]).fetchone()
            assert comment.startswith(MANAGED_MARK)
            assert table_state(admin, table) is TableState.MANAGED
        assert table_state(admin, "absent") is TableState.MISSING
        admin.execute("CREATE TABLE theirs (id int)")
        assert table_state(admin, "theirs") is TableState.FOREIGN
        admin.execute("UPDATE customers SET country = 'XX'")
    second = _push(target, dataset, django_capture_on_commit_callbacks, users["owner"])
    assert second.status == "succeeded" and second.row_counts == version.row_counts
    with _pg(scratch_postgres) as admin:
        assert admin.execute("SELECT count(*) FROM customers WHERE country = 'XX'").fetchone() == (0,)
        assert admin.execute("SELECT count(*) FROM customers").fetchone() == (version.row_counts["customers"],)


# ----------------------------------------------------------------------------- the operator's allow-list
def test_hosts_off_the_allow_list_are_refused_when_saved(tenant_a, api_client_for, settings, fake_dns):
    tenant, users = tenant_a
    client = api_client_for(users["owner"])
    settings.SYNTHHUB_TARGET_ALLOWED_HOSTS = ["127.0.0.0/8", "db.partner.example"]
    fake_dns["evil.example"] = "10.1.2.3"
    fake_dns["gone.example"] = None
    fake_dns["inside.example"] = "127.0.0.9"
    base = {"port": 5432, "dbname": "shop_test", "user": "app"}
    for index, host in enumerate(["10.0.0.5", "evil.example", "gone.example", "169.254.169.254", "::1",
                                  "127.0.0.1,10.0.0.5", "/var/run/postgresql", "db.partner.example:5433"]):
        response = client.post(f"{BASE}/targets/", {**base, "name": f"t{index}", "host": host}, format="json")
        assert_error_shape(response, 400, paths={"host"})
    assert not TargetConnection.objects.exists()
    for host in ("127.0.0.1", "inside.example", "db.partner.example"):
        response = client.post(f"{BASE}/targets/", {**base, "name": host, "host": host}, format="json")
        assert response.status_code == 201, response.content
    allowed = TargetConnection.objects.get(host="127.0.0.1")
    assert_error_shape(client.patch(f"{BASE}/targets/{allowed.pk}/", {"host": "evil.example"}, format="json"),
                       400, paths={"host"})
    # Production's default: an empty list allows nothing, loopback included.
    settings.SYNTHHUB_TARGET_ALLOWED_HOSTS = []
    assert_error_shape(client.post(f"{BASE}/targets/", {**base, "name": "local", "host": "127.0.0.1"},
                                   format="json"), 400, paths={"host"})


def test_a_name_that_resolves_elsewhere_at_connect_is_refused(shop, tenant_a, fake_dns, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    """DNS rebinding: the name pointed at loopback when saved, at the cloud metadata address when pushed."""
    tenant, users = tenant_a
    fake_dns["db.rebind.example"] = "127.0.0.1"
    target = services.target_create(tenant=tenant, actor=users["owner"], name="rebind", host="db.rebind.example",
                                    dbname="shop_test", user="postgres")
    fake_dns["db.rebind.example"] = "169.254.169.254"
    attempts = []
    monkeypatch.setattr(targets.psycopg, "connect", lambda **kwargs: attempts.append(kwargs))
    push = _push(target, shop[0], django_capture_on_commit_callbacks, users["owner"])
    assert (push.status, push.error_code) == ("failed", "not_allowed") and not attempts
    assert "db.rebind.example" in push.error


def test_the_connection_goes_to_the_address_that_was_checked(shop, tenant_a, scratch_postgres, fake_dns,
                                                             django_capture_on_commit_callbacks):
    """libpq is given the checked address (hostaddr): it does not resolve the name a second time."""
    tenant, users = tenant_a
    fake_dns["pinned.example"] = "127.0.0.1"
    target = _target_for(tenant, scratch_postgres, host="pinned.example")
    # libpq cannot resolve this name itself (only the patched resolver knows it): the push works only if
    # the connection goes to the address checked a moment ago.
    push = _push(target, shop[0], django_capture_on_commit_callbacks, users["owner"])
    assert push.status == "succeeded", push.error


# ----------------------------------------------------------------------------- failures as categories
def test_connection_failures_are_stored_as_categories(shop, tenant_a, scratch_postgres, fake_dns, monkeypatch,
                                                      api_client_for, django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    dataset = shop[0]
    fake_dns["vanished.example"] = "127.0.0.1"
    cases = {
        "refused": {"port": 1},
        "auth_failed": {"user": "no_such_role_x9"},
        "tls_failed": {"sslmode": "require"},  # the local server does not speak TLS
        "dns_failed": {"host": "vanished.example"},
    }
    client = api_client_for(users["admin"])
    for index, (expected, fields) in enumerate(cases.items()):
        target = _target_for(tenant, scratch_postgres, name=f"case{index}", **fields)
        fake_dns["vanished.example"] = None if expected == "dns_failed" else "127.0.0.1"
        push = _push(target, dataset, django_capture_on_commit_callbacks, users["owner"])
        assert (push.status, push.error_code) == ("failed", expected), push.error
        shown = client.get(f"{BASE}/pushes/{push.pk}/").json()
        assert shown["error_code"] == expected and shown["error"] == push.error
        for leak in ("no_such_role_x9", "127.0.0.1", "port 1", "FATAL", "SSL", "vanished"):
            assert leak not in push.error
    # A timeout: what libpq reports when the server never answers.
    target = _target_for(tenant, scratch_postgres, name="slow")

    def no_answer(**kwargs):
        raise psycopg.OperationalError('connection to server at "10.9.9.9", port 5432 failed: timeout expired')

    monkeypatch.setattr(targets.psycopg, "connect", no_answer)
    push = _push(target, dataset, django_capture_on_commit_callbacks, users["owner"])
    assert (push.error_code, push.error) == ("timeout", "the target did not answer in time")
    assert AuditEvent.objects.filter(action="push.fail").count() == len(cases) + 1


def test_an_sql_error_in_the_target_keeps_only_its_sqlstate_class(shop, tenant_a, scratch_postgres,
                                                                  django_capture_on_commit_callbacks):
    from apps.exports.target_tables import mark_managed

    tenant, users = tenant_a
    with _pg(scratch_postgres) as admin:
        # A table SynthHub made once, since changed by hand so the rows no longer fit.
        admin.execute("CREATE TABLE customers (id int PRIMARY KEY, secret_column_x int)")
        mark_managed(admin, "customers")
    push = _push(_target_for(tenant, scratch_postgres), shop[0], django_capture_on_commit_callbacks,
                 users["owner"])
    assert (push.status, push.error_code) == ("failed", "target_error")
    assert push.error == "the target answered with an error of class syntax_error_or_access_rule_violation"
    with _pg(scratch_postgres) as admin:
        assert admin.execute("SELECT to_regclass('orders')").fetchone() == (None,)


def test_push_of_another_tenants_target_is_404(shop, tenant_a, tenant_b, api_client_for):
    tenant, users = tenant_a
    theirs = services.target_create(tenant=tenant_b[0], actor=tenant_b[1]["owner"], name="theirs",
                                    host="127.0.0.1", dbname="x_test", user="postgres")
    client = api_client_for(users["owner"])
    assert_error_shape(client.post(f"{BASE}/targets/{theirs.pk}/push/", {"dataset": shop[0].pk, "version": 1},
                                   format="json"), 404)
    assert_error_shape(client.patch(f"{BASE}/targets/{theirs.pk}/", {"port": 1}, format="json"), 404)
    assert not Push.objects.exists()
