"""The prepared statements of every API request (apps.core.sql) answer as the ORM queries they replace, nothing
they read is cached (a revoked token, a removed member and a withdrawn grant take effect on the next request),
and lists represent their rows as their serializers do, one by one."""

import math

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from apps.core.fields import loads
from apps.datasets import selectors, services
from apps.datasets.models import DATASET_ACTIONS, Dataset, Record
from apps.datasets.permissions import user_may
from apps.tenants import services as tenant_services
from apps.tenants.models import ApiToken, Membership
from apps.tenants.selectors import membership_for
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


def _orm_membership(user, slug):
    return (
        Membership.objects.select_related("tenant")
        .filter(user=user, tenant__slug=slug, tenant__is_active=True, tenant__deleted_at__isnull=True)
        .first()
    )


def _orm_dataset(user, tenant, pk, action):
    """What dataset_for_action answered with the ORM alone: (dataset or None, holds the action)."""
    dataset = selectors.datasets_visible(user=user, tenant=tenant).filter(pk=pk).first()
    return dataset, dataset is not None and user_may(user=user, dataset=dataset, action=action)


def _prepared_dataset(user, tenant, pk, action):
    try:
        return selectors.dataset_for_action(user=user, tenant=tenant, pk=pk, action=action), True
    except Http404:
        return None, False
    except PermissionDenied:
        return "visible", False


def test_membership_for_answers_as_the_orm_for_members_strangers_and_closed_tenants(tenant_a, tenant_b, make_user):
    tenant, users = tenant_a
    stranger = make_user("stranger@example.com")
    closed, closed_users = tenant_b
    cases = [
        (users["viewer"], "alpha"),
        (users["owner"], "alpha"),
        (stranger, "alpha"),
        (users["viewer"], "beta"),
        (users["viewer"], "no-such-tenant"),
        (closed_users["owner"], "beta"),
    ]
    for user, slug in cases:
        expected = _orm_membership(user, slug)
        if expected is None:
            with pytest.raises(Http404):
                membership_for(user=user, tenant_slug=slug)
            continue
        found = membership_for(user=user, tenant_slug=slug)
        assert (found.pk, found.role, found.tenant_id, found.tenant.slug, found.tenant.name) == (
            expected.pk,
            expected.role,
            expected.tenant_id,
            expected.tenant.slug,
            expected.tenant.name,
        )
        assert found.tenant.created_at == expected.tenant.created_at
    # An inactive tenant and a trashed one are not found, as with the ORM.
    type(closed).objects.filter(pk=closed.pk).update(is_active=False)
    assert _orm_membership(closed_users["owner"], "beta") is None
    with pytest.raises(Http404):
        membership_for(user=closed_users["owner"], tenant_slug="beta")
    type(closed).objects.filter(pk=closed.pk).update(is_active=True, deleted_at=timezone.now())
    with pytest.raises(Http404):
        membership_for(user=closed_users["owner"], tenant_slug="beta")
    with pytest.raises(Http404):
        membership_for(user=users["owner"], tenant_slug="alp\x00ha")


def test_dataset_for_action_answers_as_the_orm_for_every_role_action_and_grant(
    tenant_a, tenant_b, make_user, make_dataset, api_client_for
):
    tenant, users = tenant_a
    other_tenant, other_users = tenant_b
    mine = make_dataset(tenant, users["editor"], name="mine")
    owned = make_dataset(tenant, users["owner"], name="owned")
    trashed = make_dataset(tenant, users["owner"], name="trashed")
    services.dataset_delete(dataset=trashed, actor=users["owner"])
    foreign = make_dataset(other_tenant, other_users["owner"], name="foreign")
    # The viewer role loses `view` on `owned`; the viewer gets a personal `export` grant on `mine`.
    owner = api_client_for(users["owner"])
    grants = owner.get(f"{BASE}/datasets/{owned.pk}/permissions/").json()
    grants["roles"]["viewer"] = []
    assert owner.put(f"{BASE}/datasets/{owned.pk}/permissions/", grants, format="json").status_code == 200
    grants = owner.get(f"{BASE}/datasets/{mine.pk}/permissions/").json()
    grants["members"] = [*grants["members"], {"email": users["viewer"].email, "actions": ["view", "export"]}]
    assert owner.put(f"{BASE}/datasets/{mine.pk}/permissions/", grants, format="json").status_code == 200

    checked = 0
    for user in [*users.values(), other_users["owner"], make_user("nobody@example.com")]:
        for dataset in (mine, owned, trashed, foreign):
            for action in DATASET_ACTIONS:
                expected, holds = _orm_dataset(user, tenant, dataset.pk, action)
                found, found_holds = _prepared_dataset(user, tenant, dataset.pk, action)
                if expected is None:
                    assert found is None, (user, dataset.name, action)
                elif holds:
                    assert found_holds and found.pk == expected.pk, (user, dataset.name, action)
                    assert (found.name, found.spec, found.tenant_id, found.created_by_id) == (
                        expected.name,
                        expected.spec,
                        expected.tenant_id,
                        expected.created_by_id,
                    )
                else:
                    assert found == "visible", (user, dataset.name, action)
                checked += 1
    assert checked == 6 * 4 * len(DATASET_ACTIONS)
    for malformed in ("abc", "", "1.5", str(2**63), "-" + str(2**64), None):
        with pytest.raises(Http404):
            selectors.dataset_for_action(user=users["owner"], tenant=tenant, pk=malformed)


def test_the_prepared_id_subquery_is_the_orm_scope(tenant_a, tenant_b, make_dataset, make_user):
    tenant, users = tenant_a
    datasets = [make_dataset(tenant, users["owner"], name=f"d{n}") for n in range(3)]
    services.dataset_delete(dataset=datasets[2], actor=users["owner"])
    make_dataset(tenant_b[0], tenant_b[1]["owner"], name="foreign")
    for user in [*users.values(), make_user("nobody@example.com")]:
        for action in DATASET_ACTIONS:
            allowed = selectors.datasets_allowed(user=user, tenant=tenant, action=action)
            expected = set(allowed.values_list("pk", flat=True))
            ids = selectors.dataset_ids_allowed(user=user, tenant=tenant, action=action)
            assert set(Dataset.all_objects.filter(pk__in=ids).values_list("pk", flat=True)) == expected
            trash_too = selectors.dataset_ids_allowed(user=user, tenant=tenant, action=action, alive=False)
            assert set(Dataset.all_objects.filter(pk__in=trash_too).values_list("pk", flat=True)) == expected | (
                {datasets[2].pk} if user_may(user=user, dataset=datasets[2], action=action) else set()
            )


def test_version_of_answers_as_the_orm(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    first = make_version(dataset, users["owner"])
    other = make_dataset(tenant, users["owner"], name="other")
    found = selectors.version_of(dataset=dataset, number=str(first.number))
    assert (found.pk, found.status, found.row_counts, found.spec_snapshot, found.reference_time) == (
        first.pk,
        first.status,
        first.row_counts,
        first.spec_snapshot,
        first.reference_time,
    )
    for number in (first.number + 1, "x", str(2**70)):
        with pytest.raises(Http404):
            selectors.version_of(dataset=dataset, number=number)
    with pytest.raises(Http404):  # the number of another dataset's version
        selectors.version_of(dataset=other, number=first.number)
    services.version_delete(version=first, actor=users["owner"])
    with pytest.raises(Http404):
        selectors.version_of(dataset=dataset, number=first.number)
    assert selectors.version_of(dataset=dataset, number=first.number, trash=True).pk == first.pk


def _follow(client, url):
    """Every page from `url` following `next`, then back following `previous`: row indexes of each."""
    forward, pages = [], []
    while url:
        body = client.get(url).json()
        forward.extend(row["row_index"] for row in body["results"])
        pages.append(body)
        url = body["next"]
    backward = []
    url = pages[-1]["previous"]
    while url:
        body = client.get(url).json()
        backward[:0] = [row["row_index"] for row in body["results"]]
        url = body["previous"]
    return forward, backward, pages


def test_records_pages_in_both_directions_are_the_orm_rows(tenant_a, api_client_for, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    version = make_version(dataset, users["owner"])
    deleted = Record.objects.get(version=version, table_name="customers", row_index=4)
    services.record_delete(record=deleted, actor=users["owner"])
    client = api_client_for(users["viewer"])
    url = f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/?table=customers&page_size=7"
    forward, backward, pages = _follow(client, url)
    expected = list(
        Record.objects.filter(version=version, table_name="customers")
        .order_by("row_index")
        .values_list("row_index", flat=True)
    )
    assert forward == expected and 4 not in forward
    # Back from the last page, `previous` pages cover every row before the last page, in order.
    assert backward == expected[: len(expected) - len(pages[-1]["results"])]
    first = pages[0]["results"][0]
    record = Record.objects.get(version=version, table_name="customers", row_index=first["row_index"])
    columns = list(version.spec_snapshot["tables"]["customers"]["columns"])
    assert first == {
        "table": "customers",
        "row_index": record.row_index,
        "deleted_at": None,
        "data": {name: record.data[name] for name in columns if name in record.data},
    }
    assert list(first["data"]) == columns  # the spec's column order, not JSONB's
    # A cursor past every bigint is an empty page, not an error.
    from rest_framework.pagination import Cursor

    from apps.datasets.api.views import RecordPagination

    paginator = RecordPagination()
    paginator.base_url = url
    beyond = paginator.encode_cursor(Cursor(offset=0, reverse=False, position=str(2**70)))
    response = client.get(beyond)
    assert response.status_code == 200 and response.json()["results"] == []


def test_filtered_records_are_the_orm_rows(tenant_a, api_client_for, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    version = make_version(dataset, users["owner"])
    client = api_client_for(users["viewer"])
    url = f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/?table=customers&page_size=4"
    rows = Record.objects.filter(version=version, table_name="customers")
    for query, orm in [
        ("&data__country=NL", rows.filter(data__country="NL")),
        ("&data__country=NL&data__age__gte=40", rows.filter(data__country="NL", data__age__gte=40)),
        ("&data__country=XX", rows.none()),
    ]:
        forward, _, _ = _follow(client, url + query)
        assert forward == list(orm.order_by("row_index").values_list("row_index", flat=True)), query
    assert_error_shape(client.get(url + "&data__regex=.*"), 400, paths={"data__regex"})


def test_a_filtered_records_page_is_five_statements_on_postgresql(
    on_postgres, tenant_a, api_client_for, make_dataset, make_version
):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    version = make_version(dataset, users["owner"])
    client = api_client_for(users["viewer"])
    url = f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/?table=customers&data__country=NL"
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200 and response.json()["results"]
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 5, statements
    (page,) = [sql for sql in statements if 'FROM "datasets_record"' in sql]
    assert "@>" in page  # the containment the version's GIN index answers


def test_a_revoked_token_is_refused_on_the_next_request(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["viewer"])
    assert client.get(f"{BASE}/datasets/").status_code == 200
    token = ApiToken.objects.get(user=users["viewer"], name="tests")
    tenant_services.token_revoke(token=token, actor=users["viewer"])
    assert_error_shape(client.get(f"{BASE}/datasets/"), 401)


def test_an_inactive_user_and_an_expired_token_are_refused(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["viewer"])
    assert client.get(f"{BASE}/datasets/").status_code == 200
    ApiToken.objects.filter(user=users["viewer"]).update(expiry=timezone.now() - timezone.timedelta(seconds=1))
    assert_error_shape(client.get(f"{BASE}/datasets/"), 401)
    assert not ApiToken.objects.filter(user=users["viewer"]).exists()  # the expired token was deleted
    client = api_client_for(users["editor"])
    type(users["editor"]).objects.filter(pk=users["editor"].pk).update(is_active=False)
    assert_error_shape(client.get(f"{BASE}/datasets/"), 401)


def test_a_removed_member_gets_404_on_the_next_request(tenant_a, api_client_for, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    make_version(dataset, users["owner"])
    client = api_client_for(users["editor"])
    records = f"{BASE}/datasets/{dataset.pk}/versions/1/records/?table=customers"
    assert client.get(records).status_code == 200
    membership = Membership.objects.get(tenant=tenant, user=users["editor"])
    tenant_services.membership_remove(membership=membership, actor=users["owner"])
    for url in (records, f"{BASE}/datasets/", f"{BASE}/jobs/", f"{BASE}/datasets/{dataset.pk}/"):
        assert_error_shape(client.get(url), 404)


def test_a_withdrawn_grant_takes_effect_on_the_next_request(tenant_a, api_client_for, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    make_version(dataset, users["owner"])
    viewer = api_client_for(users["viewer"])
    owner = api_client_for(users["owner"])
    assert owner.post(f"{BASE}/datasets/{dataset.pk}/generate/", {}, format="json").status_code == 202
    assert [row["id"] for row in viewer.get(f"{BASE}/datasets/").json()["results"]] == [dataset.pk]
    assert viewer.get(f"{BASE}/jobs/").json()["results"]
    grants = owner.get(f"{BASE}/datasets/{dataset.pk}/permissions/").json()
    grants["roles"]["viewer"] = []
    assert owner.put(f"{BASE}/datasets/{dataset.pk}/permissions/", grants, format="json").status_code == 200
    assert viewer.get(f"{BASE}/datasets/").json()["results"] == []
    assert viewer.get(f"{BASE}/jobs/").json()["results"] == []
    assert_error_shape(viewer.get(f"{BASE}/datasets/{dataset.pk}/versions/1/records/?table=customers"), 404)
    # The editor keeps `generate` but loses it when the grant changes: 403 on the next request.
    editor = api_client_for(users["editor"])
    grants["roles"]["editor"] = ["view"]
    assert owner.put(f"{BASE}/datasets/{dataset.pk}/permissions/", grants, format="json").status_code == 200
    assert_error_shape(editor.post(f"{BASE}/datasets/{dataset.pk}/generate/", {}, format="json"), 403)


def test_lists_represent_each_row_as_their_serializer_does(tenant_a, make_dataset, api_client_for):
    from apps.datasets.api.serializers import DatasetSerializer
    from apps.generation.api.serializers import JobSerializer
    from apps.generation.models import GenerationJob

    tenant, users = tenant_a
    with_creator = make_dataset(tenant, users["owner"], name="a")
    without = make_dataset(tenant, users["owner"], name="b")
    Dataset.objects.filter(pk=without.pk).update(created_by=None)
    owner = api_client_for(users["owner"])
    for dataset in (with_creator, without):
        assert owner.post(f"{BASE}/datasets/{dataset.pk}/generate/", {}, format="json").status_code == 202
    GenerationJob.objects.filter(dataset=without).update(requested_by=None)
    datasets = list(Dataset.objects.filter(tenant=tenant).select_related("created_by"))
    assert DatasetSerializer(datasets, many=True).data == [DatasetSerializer(d).data for d in datasets]
    jobs = list(GenerationJob.objects.filter(tenant=tenant).select_related("version", "requested_by"))
    assert len(jobs) == 2 and {job.requested_by_id for job in jobs} == {users["owner"].pk, None}
    listed = JobSerializer(jobs, many=True).data
    assert listed == [JobSerializer(job).data for job in jobs]
    assert {row["requested_by"] for row in listed} == {users["owner"].get_username(), None}


def test_the_job_list_shows_what_the_job_detail_shows(tenant_a, api_client_for, make_dataset):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    owner = api_client_for(users["owner"])
    assert owner.post(f"{BASE}/datasets/{dataset.pk}/generate/", {}, format="json").status_code == 202
    client = api_client_for(users["viewer"])
    (listed,) = client.get(f"{BASE}/jobs/").json()["results"]
    assert listed == client.get(f"{BASE}/jobs/{listed['id']}/").json()
    assert listed["version"] == 1 and listed["requested_by"] == users["owner"].get_username()


def test_stored_documents_read_back_whatever_json_wrote():
    assert loads('{"b": 1, "a": [1, 2]}') == {"b": 1, "a": [1, 2]}
    assert list(loads('{"b": 1, "a": 2}')) == ["b", "a"]  # written order
    assert loads(str(2**70)) == 2**70  # beyond 64 bits: json reads it
    assert math.isnan(loads("NaN"))


def test_a_cancelled_version_answers_409_before_its_filters_are_read(
    tenant_a, api_client_for, make_dataset, make_version
):
    from apps.datasets.models import DatasetVersion

    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    version = make_version(dataset, users["owner"])
    DatasetVersion.objects.filter(pk=version.pk).update(status="cancelled")
    client = api_client_for(users["viewer"])
    url = f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/?table=customers"
    for query in ("", "&data__country=NL", "&data__regex=.*", "&data__age__gte=40"):
        assert_error_shape(client.get(url + query), 409)


def test_the_dataset_list_shows_what_the_dataset_detail_shows(tenant_a, api_client_for, make_dataset):
    tenant, users = tenant_a
    make_dataset(tenant, users["editor"], name="by-editor")
    orphan = make_dataset(tenant, users["owner"], name="no-creator")
    Dataset.objects.filter(pk=orphan.pk).update(created_by=None)
    client = api_client_for(users["viewer"])
    listed = client.get(f"{BASE}/datasets/").json()["results"]
    assert {row["name"]: row["created_by"] for row in listed} == {
        "by-editor": users["editor"].get_username(),
        "no-creator": None,
    }
    for row in listed:
        assert row == client.get(f"{BASE}/datasets/{row['id']}/").json()


def test_a_doubled_minus_sign_in_an_id_is_404_not_500(tenant_a, api_client_for, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    make_version(dataset, users["owner"])
    client = api_client_for(users["viewer"])
    for malformed in ("--5", "-+5", "--"):
        with pytest.raises(Http404):
            selectors.dataset_for_action(user=users["owner"], tenant=tenant, pk=malformed)
        with pytest.raises(Http404):
            selectors.version_of(dataset=dataset, number=malformed)
    assert_error_shape(client.get(f"{BASE}/datasets/--{dataset.pk}/versions/"), 404)
    assert_error_shape(client.get(f"{BASE}/datasets/{dataset.pk}/versions/--1/"), 404)
