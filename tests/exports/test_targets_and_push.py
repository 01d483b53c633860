"""Target connections (password encrypted, never returned) and pushes into a second local PostgreSQL database."""

import pytest
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.datasets import services as dataset_services
from apps.datasets.models import Record
from apps.exports import services
from apps.exports.encryption import decrypt_secret
from apps.exports.models import Push, TargetConnection
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


def make_target(tenant, actor, **fields):
    values = {"name": "scratch", "host": "127.0.0.1", "port": 5432, "dbname": "shop_test", "user": "postgres",
              **fields}
    return services.target_create(tenant=tenant, actor=actor, **values)


def test_password_is_encrypted_at_rest_and_never_returned(tenant_a, api_client_for, settings):
    settings.SYNTHHUB_TARGET_ALLOWED_HOSTS = ["db.internal"]
    tenant, users = tenant_a
    client = api_client_for(users["admin"])
    response = client.post(f"{BASE}/targets/", {"name": "ci", "dsn": "postgresql://app:s3cret!@db.internal:6543/shop_ci"
                                                                      "?sslmode=require"}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert "password" not in created and "dsn" not in created and "s3cret" not in response.content.decode()
    assert created["connection"] == "postgresql://app@db.internal:6543/shop_ci?sslmode=require"
    assert created["has_password"] is True and created["port"] == 6543
    target = TargetConnection.objects.get(pk=created["id"])
    assert "s3cret" not in target.password_encrypted and decrypt_secret(target.password_encrypted) == "s3cret!"
    listed = client.get(f"{BASE}/targets/")
    assert "s3cret" not in listed.content.decode() and "password_encrypted" not in listed.content.decode()
    changed = client.patch(f"{BASE}/targets/{target.pk}/", {"password": "other", "port": 5433}, format="json")
    assert changed.status_code == 200 and changed.json()["port"] == 5433
    target.refresh_from_db()
    assert decrypt_secret(target.password_encrypted) == "other"
    audit = AuditEvent.objects.filter(action__startswith="target.")
    assert audit.count() == 2 and not any("s3cret" in str(e.after) or "other" in str(e.after) for e in audit)
    assert client.delete(f"{BASE}/targets/{target.pk}/").status_code == 204
    assert not TargetConnection.objects.exists()


def test_encryption_key_from_settings_and_rotation(settings):
    from cryptography.fernet import Fernet

    from apps.exports.encryption import SecretUnreadable, encrypt_secret

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SYNTHHUB_ENCRYPTION_KEY = old
    token = encrypt_secret("pw")
    settings.SYNTHHUB_ENCRYPTION_KEY = f"{new},{old}"
    assert decrypt_secret(token) == "pw"
    settings.SYNTHHUB_ENCRYPTION_KEY = new
    with pytest.raises(SecretUnreadable):
        decrypt_secret(token)


def test_target_routes_need_admins_and_the_tenant(tenant_a, tenant_b, api_client_for):
    tenant, users = tenant_a
    target = make_target(tenant, users["owner"])
    routes = [("get", f"{BASE}/targets/"), ("post", f"{BASE}/targets/"), ("get", f"{BASE}/targets/{target.pk}/"),
              ("patch", f"{BASE}/targets/{target.pk}/"), ("delete", f"{BASE}/targets/{target.pk}/"),
              ("post", f"{BASE}/targets/{target.pk}/push/"), ("get", f"{BASE}/pushes/")]
    outsider, anonymous, editor = api_client_for(tenant_b[1]["owner"]), APIClient(), api_client_for(users["editor"])
    for method, url in routes:
        assert_error_shape(getattr(outsider, method)(url, {}, format="json"), 404)
        assert_error_shape(getattr(anonymous, method)(url, {}, format="json"), 401)
        assert_error_shape(getattr(editor, method)(url, {}, format="json"), 403)
    # Tenant beta's own id space does not reach alpha's target.
    assert_error_shape(outsider.get(f"/api/v1/tenants/beta/targets/{target.pk}/"), 404)


def test_a_production_looking_name_is_the_operators_call_not_a_tenants(tenant_a, api_client_for, settings):
    tenant, users = tenant_a
    owner = api_client_for(users["owner"])
    payload = {"name": "prod", "host": "127.0.0.1", "dbname": "shop", "user": "app"}
    # The old per-connection switch is refused by name, even for an owner, and nothing is created.
    error = assert_error_shape(owner.post(f"{BASE}/targets/", {**payload, "allow_non_test_name": True},
                                          format="json"), 400, paths={"allow_non_test_name"})
    assert "operator setting" in error["details"][0]["message"]
    assert_error_shape(owner.post(f"{BASE}/targets/", payload, format="json"), 400, paths={"dbname"})
    assert not TargetConnection.objects.exists()
    settings.SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES = True
    created = owner.post(f"{BASE}/targets/", payload, format="json")
    assert created.status_code == 201, created.content
    assert "allow_non_test_name" not in created.json()
    assert_error_shape(owner.patch(f"{BASE}/targets/{created.json()['id']}/", {"allow_non_test_name": True},
                                   format="json"), 400, paths={"allow_non_test_name"})


def test_bad_target_input_answers_400_with_paths(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["admin"])
    assert_error_shape(client.post(f"{BASE}/targets/", {}, format="json"), 400,
                       paths={"name", "host", "dbname", "user"})
    dsn = "postgresql://h/db_test?application_name=x"
    assert_error_shape(client.post(f"{BASE}/targets/", {"name": "x", "dsn": dsn, "user": "u"}, format="json"), 400,
                       paths={"dsn.application_name"})
    assert_error_shape(client.post(f"{BASE}/targets/", {"name": "y", "dsn": "postgresql://h/d?colour=red"},
                                   format="json"), 400, paths={"dsn"})
    make_target(tenant, users["owner"], name="taken")
    assert_error_shape(client.post(f"{BASE}/targets/", {"name": "taken", "host": "h", "dbname": "d_test",
                                                        "user": "u", "port": 70000}, format="json"), 400,
                       paths={"name", "port"})
    taken = TargetConnection.objects.get()
    assert_error_shape(client.patch(f"{BASE}/targets/{taken.pk}/", {"dsn": "postgresql://h/x_test"}, format="json"),
                       400, paths={"dsn"})
    assert TargetConnection.objects.count() == 1


@pytest.fixture
def shop(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    return dataset, make_version(dataset, users["owner"])


def test_push_refuses_a_production_looking_database(shop, tenant_a, api_client_for, settings,
                                                    django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    # Saved while the operator allowed such names; the operator has turned that off since.
    settings.SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES = True
    target = make_target(tenant, users["owner"], dbname="shop_production")
    settings.SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES = False
    client = api_client_for(users["admin"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"{BASE}/targets/{target.pk}/push/", {"dataset": shop[0].pk, "version": 1},
                               format="json")
    error = assert_error_shape(response, 400, paths={"target"})
    assert "shop_production" in error["message"] and not callbacks and not Push.objects.exists()
    assert AuditEvent.objects.filter(action="push.refuse").count() == 1


def test_push_creates_tables_with_keys_and_a_second_push_upserts(shop, tenant_a, api_client_for, scratch_postgres,
                                                                 django_capture_on_commit_callbacks):
    import psycopg

    tenant, users = tenant_a
    dataset, version = shop
    target = make_target(tenant, users["owner"], host=scratch_postgres.get("host", "127.0.0.1"),
                         port=int(scratch_postgres.get("port", 5432)), dbname=scratch_postgres["dbname"],
                         user=scratch_postgres.get("user", "postgres"), password=scratch_postgres.get("password", ""))
    client = api_client_for(users["admin"])
    for attempt in (1, 2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{BASE}/targets/{target.pk}/push/", {"dataset": dataset.pk, "version": 1},
                                   format="json")
        assert response.status_code == 202, response.content
        push = client.get(f"{BASE}/pushes/{response.json()['id']}/").json()
        assert push["status"] == "succeeded", push["error"]
        assert push["row_counts"] == version.row_counts, attempt
        if attempt == 1:
            # Change a row in the target and delete one from the version: the re-push restores the first
            # (upsert on the primary key) and leaves the second where it was.
            with psycopg.connect(**scratch_postgres, autocommit=True) as connection:
                connection.execute("UPDATE customers SET country = 'XX' WHERE id = 1")
    with psycopg.connect(**scratch_postgres, autocommit=True) as connection:
        for table, count in version.row_counts.items():
            total, distinct = connection.execute(
                f'SELECT count(*), count(DISTINCT id) FROM "{table}"').fetchone()  # noqa: S608
            assert total == distinct == count
        stored = Record.objects.get(version=version, table_name="customers", row_index=0).data
        assert connection.execute("SELECT country, name FROM customers WHERE id = 1").fetchone() == (
            stored["country"], stored["name"])
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            connection.execute("UPDATE orders SET customer_id = 999999 WHERE id = (SELECT min(id) FROM orders)")
    assert AuditEvent.objects.filter(action="push.succeed").count() == 2
    assert AuditEvent.objects.filter(action="push.start").count() == 2


def test_a_push_that_cannot_connect_fails_with_its_reason(shop, tenant_a, django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    target = make_target(tenant, users["owner"], host="127.0.0.1", port=1, dbname="nowhere_test")
    with django_capture_on_commit_callbacks(execute=True):
        push = services.version_push(target=target, actor=users["owner"], dataset_id=shop[0].pk, version_number=1)
    push.refresh_from_db()
    assert push.status == "failed" and push.finished_at
    assert push.error_code == "refused" and push.error == "the target refused the connection"
    assert AuditEvent.objects.filter(action="push.fail").exists()


def test_bad_push_input_answers_400_with_paths(shop, tenant_a, api_client_for):
    tenant, users = tenant_a
    target = make_target(tenant, users["owner"])
    client = api_client_for(users["admin"])
    url = f"{BASE}/targets/{target.pk}/push/"
    assert_error_shape(client.post(url, {}, format="json"), 400, paths={"dataset", "version"})
    assert_error_shape(client.post(url, {"dataset": shop[0].pk, "version": 5}, format="json"), 400,
                       paths={"version"})
    assert_error_shape(client.post(url, {"dataset": shop[0].pk, "version": 1, "tables": ["x"]}, format="json"), 400,
                       paths={"tables.0"})
    dataset_services.dataset_delete(dataset=shop[0], actor=users["owner"])
    assert_error_shape(client.post(url, {"dataset": shop[0].pk, "version": 1}, format="json"), 400,
                       paths={"dataset"})
    assert not Push.objects.exists()
