"""What one API request costs in queries: token authentication reads only the presented token, and a records
page is scoped by its parent dataset without building the permission subquery a second time."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from apps.tenants import services as tenant_services
from apps.tenants.authentication import AuditedTokenAuthentication
from apps.tenants.models import ApiToken
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


def _authenticate(secret: str):
    request = APIRequestFactory().get("/api/v1/tenants/", HTTP_AUTHORIZATION=f"Token {secret}")
    return AuditedTokenAuthentication().authenticate(request)


def test_token_authentication_is_one_query_however_many_tokens_the_user_has(make_user):
    user = make_user("many-tokens@example.com")
    secrets = [tenant_services.token_create(user=user, name=f"t{n}")[1] for n in range(8)]
    with CaptureQueriesContext(connection) as ctx:
        authenticated, _ = _authenticate(secrets[3])
    assert authenticated == user
    # knox's own cleanup also read all eight tokens of the user, on every request.
    assert len(ctx.captured_queries) == 1, [q["sql"] for q in ctx.captured_queries]


def test_an_expired_token_is_refused_and_deleted_while_the_others_work(make_user):
    from rest_framework.exceptions import AuthenticationFailed

    user = make_user("expiring@example.com")
    expired, expired_secret = tenant_services.token_create(user=user, name="old")
    _, live_secret = tenant_services.token_create(user=user, name="new")
    ApiToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert _authenticate(live_secret)[0] == user
    with pytest.raises(AuthenticationFailed):
        _authenticate(expired_secret)
    assert not ApiToken.objects.filter(pk=expired.pk).exists()


def test_a_records_page_builds_the_permission_subquery_once(tenant_a, api_client_for, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    make_version(dataset, users["owner"])
    client = api_client_for(users["viewer"])
    url = f"{BASE}/datasets/{dataset.pk}/versions/1/records/?table=customers&page_size=5"
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200 and len(response.json()["results"]) == 5
    statements = [q["sql"] for q in ctx.captured_queries]
    # token, membership, the parent dataset (tenant and view permission), its version, the page
    assert len(statements) == 5, statements
    assert sum("objectpermission" in sql for sql in statements) == 1, statements
    (records,) = [sql for sql in statements if 'FROM "datasets_record"' in sql]
    assert "objectpermission" not in records


def test_records_still_follow_the_parent_datasets_permission(tenant_a, api_client_for, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    make_version(dataset, users["owner"])
    url = f"{BASE}/datasets/{dataset.pk}/versions/1/records/?table=customers"
    viewer = api_client_for(users["viewer"])
    assert viewer.get(url).status_code == 200
    # The viewer role loses `view` on this dataset: its records answer like a dataset that does not exist.
    owner = api_client_for(users["owner"])
    grants = owner.get(f"{BASE}/datasets/{dataset.pk}/permissions/").json()
    grants["roles"]["viewer"] = []
    assert owner.put(f"{BASE}/datasets/{dataset.pk}/permissions/", grants, format="json").status_code == 200
    assert_error_shape(viewer.get(url), 404)
    assert_error_shape(viewer.get(f"{BASE}/datasets/{dataset.pk}/versions/1/records/0/?table=customers"), 404)


def test_a_job_list_builds_no_queryset_for_its_scope_and_its_dataset_filter_only_when_filtered(
        tenant_a, tenant_b, api_client_for, make_dataset, monkeypatch):
    from apps.datasets import selectors

    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    foreign = make_dataset(tenant_b[0], tenant_b[1]["owner"])
    built = []
    original = selectors.datasets_allowed

    def counting(**kwargs):
        built.append(kwargs.get("action", "view"))
        return original(**kwargs)

    monkeypatch.setattr(selectors, "datasets_allowed", counting)
    client = api_client_for(users["viewer"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"{BASE}/jobs/").status_code == 200
    # The rows' scope is the prepared id subquery; an unfiltered list builds no filterset and no choices.
    assert built == []
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 3, statements  # token, membership, the page (its scope a subquery)
    # Filtered, the choices still follow the rule: the caller's dataset is a choice, another tenant's is not.
    assert client.get(f"{BASE}/jobs/?dataset={dataset.pk}").status_code == 200
    assert_error_shape(client.get(f"{BASE}/jobs/?dataset={foreign.pk}"), 400, paths={"dataset"})
    assert_error_shape(client.get(f"{BASE}/jobs/?status=nonsense"), 400, paths={"status"})
    assert built == []
