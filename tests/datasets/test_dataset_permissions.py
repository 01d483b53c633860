import pytest

from apps.audit.models import AuditEvent
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def dataset(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    make_version(dataset, users["owner"])
    return dataset


def dataset_routes(dataset_id):
    d = f"{BASE}/datasets/{dataset_id}"
    return [
        ("get", f"{d}/", None),
        ("patch", f"{d}/", {"name": "x"}),
        ("delete", f"{d}/", None),
        ("get", f"{d}/permissions/", None),
        ("put", f"{d}/permissions/", {"roles": {}, "members": []}),
        ("get", f"{d}/versions/", None),
        ("get", f"{d}/versions/1/", None),
        ("delete", f"{d}/versions/1/", None),
        ("post", f"{d}/versions/1/restore/", None),
        ("get", f"{d}/versions/1/records/?table=customers", None),
        ("get", f"{d}/versions/1/records/0/?table=customers", None),
        ("delete", f"{d}/versions/1/records/0/?table=customers", None),
        ("post", f"{d}/versions/1/records/0/restore/?table=customers", None),
        ("post", f"{BASE}/trash/datasets/{dataset_id}/restore/", None),
        ("post", f"{d}/restore/", None),
    ]


def test_member_of_another_tenant_gets_404_everywhere(dataset, tenant_b, api_client_for):
    _, outsiders = tenant_b
    client = api_client_for(outsiders["owner"])
    for method, url, data in dataset_routes(dataset.pk):
        response = getattr(client, method)(url, data, format="json")
        assert_error_shape(response, 404)
    for url in [f"{BASE}/datasets/", f"{BASE}/trash/datasets/"]:
        assert_error_shape(client.get(url), 404)
    for url in [f"{BASE}/datasets/", f"{BASE}/preview/", f"{BASE}/specs/validate/"]:
        assert_error_shape(client.post(url, {"template": "ecommerce"}, format="json"), 404)
    dataset.refresh_from_db()
    assert dataset.name == "shop" and dataset.deleted_at is None


def test_anonymous_gets_401(dataset):
    from rest_framework.test import APIClient

    for method, url, data in dataset_routes(dataset.pk):
        assert_error_shape(getattr(APIClient(), method)(url, data, format="json"), 401)


def test_restricted_dataset_is_404_to_member_without_grant(dataset, tenant_a, api_client_for):
    tenant, users = tenant_a
    owner = api_client_for(users["owner"])
    response = owner.put(f"{BASE}/datasets/{dataset.pk}/permissions/",
                         {"roles": {"viewer": [], "editor": []}, "members": []}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["roles"]["viewer"] == []
    viewer = api_client_for(users["viewer"])
    assert_error_shape(viewer.get(f"{BASE}/datasets/{dataset.pk}/"), 404)
    assert_error_shape(viewer.get(f"{BASE}/datasets/{dataset.pk}/versions/1/records/", {"table": "customers"}), 404)
    assert viewer.get(f"{BASE}/datasets/").json()["results"] == []
    assert owner.get(f"{BASE}/datasets/{dataset.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="dataset.permissions", target_id=str(dataset.pk)).exists()


def test_sharing_grants_only_what_was_granted(dataset, tenant_a, api_client_for):
    tenant, users = tenant_a
    owner = api_client_for(users["owner"])
    owner.put(f"{BASE}/datasets/{dataset.pk}/permissions/",
              {"roles": {"viewer": [], "editor": []},
               "members": [{"email": users["viewer"].email, "actions": ["view"]}]}, format="json")
    viewer = api_client_for(users["viewer"])
    editor = api_client_for(users["editor"])
    assert viewer.get(f"{BASE}/datasets/{dataset.pk}/").status_code == 200
    assert_error_shape(viewer.patch(f"{BASE}/datasets/{dataset.pk}/", {"name": "x"}, format="json"), 403)
    assert_error_shape(editor.get(f"{BASE}/datasets/{dataset.pk}/"), 404)
    described = owner.get(f"{BASE}/datasets/{dataset.pk}/permissions/").json()
    assert described["members"] == [{"email": users["viewer"].email, "actions": ["view"]}]
    # Granting change lets that single member edit.
    owner.put(f"{BASE}/datasets/{dataset.pk}/permissions/",
              {"roles": {"viewer": []}, "members": [{"email": users["viewer"].email, "actions": ["view", "change"]}]},
              format="json")
    assert viewer.patch(f"{BASE}/datasets/{dataset.pk}/", {"name": "renamed"}, format="json").status_code == 200


def test_permission_input_errors(dataset, tenant_a, tenant_b, api_client_for):
    tenant, users = tenant_a
    owner = api_client_for(users["owner"])
    url = f"{BASE}/datasets/{dataset.pk}/permissions/"
    before = owner.get(url).json()
    assert_error_shape(owner.put(url, {"roles": {"viewer": ["fly"]}, "members": []}, format="json"), 400,
                       paths={"roles.viewer.0"})
    assert_error_shape(owner.put(url, {"roles": {"chief": ["view"]}, "members": []}, format="json"), 400,
                       paths={"roles.chief"})
    assert_error_shape(owner.put(url, {"roles": {"owner": ["view"]}, "members": []}, format="json"), 400,
                       paths={"roles.owner"})
    outsider = tenant_b[1]["viewer"].email
    assert_error_shape(owner.put(url, {"roles": {}, "members": [{"email": outsider, "actions": ["view"]}]},
                                 format="json"), 400, paths={"members.0.email"})
    assert owner.get(url).json() == before
    # Editors may not change grants.
    assert_error_shape(api_client_for(users["editor"]).put(url, {"roles": {}, "members": []}, format="json"), 403)


def test_lists_run_a_constant_number_of_queries(tenant_a, api_client_for, make_dataset, make_version,
                                                django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tenant, users = tenant_a
    client = api_client_for(users["viewer"])

    def count(url, **params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, params).status_code == 200
        return len(ctx.captured_queries)

    first = make_dataset(tenant, users["owner"], name="d0")
    make_version(first)
    small = (count(f"{BASE}/datasets/"), count(f"{BASE}/datasets/{first.pk}/versions/"),
             count(f"{BASE}/datasets/{first.pk}/versions/1/records/", table="orders", page_size=5))
    for i in range(1, 6):
        make_dataset(tenant, users["owner"], name=f"d{i}")
    for _ in range(3):
        make_version(first)
    large = (count(f"{BASE}/datasets/"), count(f"{BASE}/datasets/{first.pk}/versions/"),
             count(f"{BASE}/datasets/{first.pk}/versions/1/records/", table="orders", page_size=20))
    assert small == large


def test_head_with_a_body_never_changes_grants(dataset, tenant_a, api_client_for):
    """HEAD is routed to the GET handler; it must describe, never set, even when it carries a PUT body."""
    tenant, users = tenant_a
    url = f"{BASE}/datasets/{dataset.pk}/permissions/"
    before = api_client_for(users["owner"]).get(url).json()
    for role in ("viewer", "owner"):
        response = api_client_for(users[role]).generic(
            "HEAD", url, '{"roles": {"viewer": [], "editor": []}, "members": []}', content_type="application/json")
        assert response.status_code == 200
    assert api_client_for(users["owner"]).get(url).json() == before
    assert not AuditEvent.objects.filter(action="dataset.permissions").exists()
