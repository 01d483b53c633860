"""The dataset and job lists build their rows from `.values()` (dataset_rows, job_rows) rather than through their
serializers: every row must be what DatasetSerializer / JobSerializer give for it, byte for byte once rendered,
in any time zone, through paging, ordering, search and filters, with the same scope and a fixed number of
statements whatever the page holds."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from apps.core.api.serializers import datetime_representer
from apps.datasets.api.serializers import DATASET_LIST_COLUMNS, DatasetSerializer, dataset_rows
from apps.datasets.models import Dataset
from apps.generation.api.serializers import JOB_LIST_COLUMNS, JobSerializer, job_rows
from apps.generation.models import GenerationJob
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"
ZONES = ("UTC", "Europe/Amsterdam", "America/St_Johns", "Asia/Kathmandu")


def _render(rows) -> bytes:
    return JSONRenderer().render(rows)


def _datasets(tenant, users, make_dataset):
    """Datasets with and without a creator, non-ASCII text, a spec with nested keys in written order, date-times
    with and without microseconds, a trashed one and a template name."""
    spec = {"version": 1, "name": "unicode", "seed": 3, "tables": {"zeta": {"rows": 2, "columns": {
        "b": {"type": "integer", "min": 0, "max": 9}, "a": {"type": "choice", "values": ["ä", "\u2603"]}}}}}
    made = [
        make_dataset(tenant, users["owner"], name="plain"),
        make_dataset(tenant, users["editor"], name="Grüße \u2603 \"quoted\"", spec=spec),
        make_dataset(tenant, users["owner"], name="orphan", description="line\nbreak"),
        make_dataset(tenant, users["owner"], name="templated"),
    ]
    Dataset.objects.filter(pk=made[2].pk).update(created_by=None,
                                                 created_at=datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC))
    Dataset.objects.filter(pk=made[3].pk).update(template_name="persons", default_seed=2**63 - 1,
                                                 updated_at=datetime(2001, 1, 1, 0, 0, 0, 7, tzinfo=UTC))
    return made


def _jobs(tenant, users, make_dataset, api_client_for):
    """Jobs with and without a requester, queued, running part way, finished, failed with an error."""
    dataset = make_dataset(tenant, users["owner"])
    owner = api_client_for(users["owner"])
    for body in ({}, {"seed": 7, "rows_scale": 0.5}, {"rows": {"customers": 3}}, {}):
        assert owner.post(f"{BASE}/datasets/{dataset.pk}/generate/", body, format="json").status_code == 202
    jobs = list(GenerationJob.objects.filter(tenant=tenant).order_by("id"))
    now = timezone.now()
    GenerationJob.objects.filter(pk=jobs[0].pk).update(requested_by=None)
    GenerationJob.objects.filter(pk=jobs[1].pk).update(status="running", rows_done=1, rows_total=3, started_at=now,
                                                       last_heartbeat=now)
    GenerationJob.objects.filter(pk=jobs[2].pk).update(status="succeeded", rows_done=0, rows_total=0, chunks_done=1,
                                                       started_at=now, finished_at=now.replace(microsecond=0))
    GenerationJob.objects.filter(pk=jobs[3].pk).update(status="failed", error="boom: ünïcode\nsecond line",
                                                       attempts=3, finished_at=now)
    return dataset


def test_dataset_rows_are_the_serializers_in_every_time_zone(tenant_a, make_dataset):
    tenant, users = tenant_a
    _datasets(tenant, users, make_dataset)
    queryset = Dataset.objects.filter(tenant=tenant).order_by("-id")
    instances = list(queryset.select_related("created_by"))
    for zone in ZONES:
        with timezone.override(zone):
            built = dataset_rows(queryset.values(*DATASET_LIST_COLUMNS))
            expected = [DatasetSerializer(dataset).data for dataset in instances]
            assert [list(row.items()) for row in built] == [list(row.items()) for row in expected]
            assert _render(built) == _render(expected)
    assert {row["created_by"] for row in built} == {users["owner"].get_username(), users["editor"].get_username(),
                                                    None}


def test_job_rows_are_the_serializers_in_every_time_zone(tenant_a, make_dataset, api_client_for):
    tenant, users = tenant_a
    _jobs(tenant, users, make_dataset, api_client_for)
    queryset = GenerationJob.objects.filter(tenant=tenant).order_by("-id")
    instances = list(queryset.select_related("version", "requested_by"))
    for zone in ZONES:
        with timezone.override(zone):
            built = job_rows(queryset.values(*JOB_LIST_COLUMNS))
            expected = [JobSerializer(job).data for job in instances]
            assert [list(row.items()) for row in built] == [list(row.items()) for row in expected]
            assert _render(built) == _render(expected)
    assert sorted(row["progress"] for row in built) == [0.0, 0.0, 1 / 3, 1.0]
    assert {row["status"] for row in built} == {"queued", "running", "succeeded", "failed"}


def test_the_datetime_representer_is_drfs_for_aware_naive_and_missing_values():
    from rest_framework import serializers

    field = serializers.DateTimeField()
    values = [None, datetime(2026, 11, 29, 1, 2, 3, tzinfo=UTC), datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=UTC),
              datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)]
    for zone in ZONES:
        with timezone.override(zone):
            represent = datetime_representer()
            assert [represent(value) for value in values] == [field.to_representation(v) for v in values]
    with timezone.override("Europe/Amsterdam"):
        assert datetime_representer()(values[1]) == "2026-11-29T02:02:03+01:00"
    assert datetime_representer()(values[1]) == "2026-11-29T01:02:03Z"


def test_the_dataset_list_answers_the_serializers_rows_through_paging_order_search_and_filters(
    tenant_a, tenant_b, make_dataset, api_client_for
):
    tenant, users = tenant_a
    _datasets(tenant, users, make_dataset)
    make_dataset(tenant_b[0], tenant_b[1]["owner"], name="plain")  # another tenant's, same name
    Dataset.objects.filter(tenant=tenant, name="templated").update(deleted_at=timezone.now())  # trashed
    client = api_client_for(users["viewer"])
    live = Dataset.objects.filter(tenant=tenant, deleted_at__isnull=True).select_related("created_by")

    def expected(queryset):
        return _render([DatasetSerializer(dataset).data for dataset in queryset])

    response = client.get(f"{BASE}/datasets/")
    assert response.status_code == 200
    assert _render(response.data["results"]) == expected(live.order_by("-id"))
    # Page by page (cursor links), ordered by name, the same rows.
    url, pages = f"{BASE}/datasets/?ordering=name&page_size=1", []
    while url:
        page = client.get(url)
        assert page.status_code == 200
        pages += page.data["results"]
        url = page.data["next"]
    assert _render(pages) == expected(live.order_by("name"))
    assert _render(client.get(f"{BASE}/datasets/?search=gr%C3%BC%C3%9Fe").data["results"]) == expected(
        live.filter(name__startswith="Grüße"))
    assert client.get(f"{BASE}/datasets/?template_name=persons").data["results"] == []  # the trashed one
    assert_error_shape(client.get(f"{BASE}/datasets/?page_size=x"), 400, paths={"page_size"})
    assert_error_shape(client.get(f"{BASE}/datasets/?cursor=bm9wZQ"), 400, paths={"cursor"})
    # Another tenant's list, for a member of this one: 404; its own members see only its dataset.
    assert_error_shape(client.get("/api/v1/tenants/beta/datasets/"), 404)
    beta = api_client_for(tenant_b[1]["owner"]).get("/api/v1/tenants/beta/datasets/")
    assert [row["name"] for row in beta.data["results"]] == ["plain"]


def test_the_dataset_list_leaves_out_what_the_caller_may_not_view(tenant_a, make_dataset, api_client_for):
    tenant, users = tenant_a
    shown = make_dataset(tenant, users["owner"], name="shown")
    hidden = make_dataset(tenant, users["owner"], name="hidden")
    owner = api_client_for(users["owner"])
    grants = owner.get(f"{BASE}/datasets/{hidden.pk}/permissions/").json()
    grants["roles"]["viewer"] = []
    assert owner.put(f"{BASE}/datasets/{hidden.pk}/permissions/", grants, format="json").status_code == 200
    listed = api_client_for(users["viewer"]).get(f"{BASE}/datasets/").data["results"]
    assert [row["id"] for row in listed] == [shown.pk]
    assert {row["id"] for row in owner.get(f"{BASE}/datasets/").data["results"]} == {shown.pk, hidden.pk}


def test_the_job_list_answers_the_serializers_rows_through_paging_and_filters(
    tenant_a, tenant_b, make_dataset, api_client_for
):
    tenant, users = tenant_a
    dataset = _jobs(tenant, users, make_dataset, api_client_for)
    foreign = make_dataset(tenant_b[0], tenant_b[1]["owner"])
    client = api_client_for(users["viewer"])
    jobs = GenerationJob.objects.filter(tenant=tenant).select_related("version", "requested_by")

    def expected(queryset):
        return _render([JobSerializer(job).data for job in queryset])

    assert _render(client.get(f"{BASE}/jobs/").data["results"]) == expected(jobs.order_by("-id"))
    url, pages = f"{BASE}/jobs/?ordering=created_at&page_size=1", []
    while url:
        page = client.get(url)
        assert page.status_code == 200
        pages += page.data["results"]
        url = page.data["next"]
    assert _render(pages) == expected(jobs.order_by("created_at", "id"))
    failed = client.get(f"{BASE}/jobs/?status=failed&dataset={dataset.pk}").data["results"]
    assert _render(failed) == expected(jobs.filter(status="failed"))
    assert_error_shape(client.get(f"{BASE}/jobs/?dataset={foreign.pk}"), 400, paths={"dataset"})
    assert_error_shape(client.get("/api/v1/tenants/beta/jobs/"), 404)
    # A job's row in the list is its detail.
    for row in client.get(f"{BASE}/jobs/").json()["results"]:
        assert row == client.get(f"{BASE}/jobs/{row['id']}/").json()


@pytest.mark.parametrize("route", ["datasets", "jobs"])
def test_a_list_makes_as_many_statements_however_many_rows_its_page_holds(
    route, tenant_a, make_dataset, api_client_for
):
    tenant, users = tenant_a
    owner = api_client_for(users["owner"])
    client = api_client_for(users["viewer"])
    counts = []
    for n in range(3):
        for i in range(n * 3):
            dataset = make_dataset(tenant, users["owner"], name=f"d{n}-{i}")
            assert owner.post(f"{BASE}/datasets/{dataset.pk}/generate/", {}, format="json").status_code == 202
        client.get(f"{BASE}/{route}/")  # the token's last use is written at most once a while
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{BASE}/{route}/")
        assert response.status_code == 200 and len(response.data["results"]) == (0, 3, 9)[n]
        counts.append(len(ctx.captured_queries))
    # Token, membership, the page (its scope a subquery, its names joined); a page of jobs also reads the progress
    # of all its jobs at once (jobs_rows_progress), as many statements for 9 jobs as for 3.
    assert counts[0] == 3 and counts[1] == counts[2]
    assert counts[1] == (3 if route == "datasets" else 5)


def _cursor(position: int, reverse: bool = False) -> str:
    import base64
    from urllib.parse import urlencode

    query = urlencode({"p": str(position), **({"r": "1"} if reverse else {})})
    return base64.b64encode(query.encode()).decode()


def _walk(client, url: str) -> tuple[list, list]:
    """Every page forward from `url`, then every page back from the last one through `previous` links."""
    forward, url, last = [], url, None
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.content
        forward.append(page.json()["results"])
        last, url = page, page.json()["next"]
    backward, url = [], last.json()["previous"]
    while url:
        page = client.get(url)
        backward.append(page.json()["results"])
        url = page.json()["previous"]
    return forward, backward


def test_unfiltered_lists_are_one_prepared_statement_answering_as_the_querysets(
    tenant_a, tenant_b, make_dataset, make_user, api_client_for, monkeypatch
):
    """Lists asked for nothing but a page (selectors.dataset_list_page, generation.selectors.job_list_page)
    answer as the same lists through get_queryset() and the filters (asked for the same order, `ordering=-id`),
    for every role, with personal and withdrawn grants, trashed datasets and another tenant's rows, page by page
    both ways, and at cursors beyond any id."""
    from apps.datasets import selectors
    from apps.generation import selectors as job_selectors
    from apps.tenants import services as tenant_services

    tenant, users = tenant_a
    owner = api_client_for(users["owner"])
    datasets = [make_dataset(tenant, users["owner" if i % 2 else "editor"], name=f"d{i}") for i in range(7)]
    for dataset in datasets:
        assert owner.post(f"{BASE}/datasets/{dataset.pk}/generate/", {}, format="json").status_code == 202
    Dataset.objects.filter(pk=datasets[1].pk).update(created_by=None)
    GenerationJob.objects.filter(dataset=datasets[2]).update(requested_by=None, status="failed", error="x")
    # Withdrawn from viewers; given back to one viewer personally; one trashed (its jobs leave the job list).
    for pk in (datasets[3].pk, datasets[4].pk):
        grants = owner.get(f"{BASE}/datasets/{pk}/permissions/").json()
        grants["roles"]["viewer"] = []
        if pk == datasets[4].pk:
            grants["members"] = [{"email": users["viewer"].email, "actions": ["view"]}]
        assert owner.put(f"{BASE}/datasets/{pk}/permissions/", grants, format="json").status_code == 200
    assert owner.delete(f"{BASE}/datasets/{datasets[5].pk}/").status_code == 204
    other_viewer = make_user("second-viewer@example.com")
    tenant_services.membership_add(tenant=tenant, actor=users["owner"], user=other_viewer, role="viewer")
    foreign = make_dataset(tenant_b[0], tenant_b[1]["owner"], name="d0")
    api_client_for(tenant_b[1]["owner"]).post(f"/api/v1/tenants/beta/datasets/{foreign.pk}/generate/", {},
                                               format="json")
    calls = []
    for module, name in ((selectors, "dataset_list_page"), (job_selectors, "job_list_page")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda original=original, name=name, **kw: calls.append(name)
                            or original(**kw))
    seen = {}
    for who in ("owner", "admin", "editor", "viewer", "second"):
        client = api_client_for(other_viewer if who == "second" else users[who])
        for route in ("datasets", "jobs"):
            calls.clear()
            prepared = _walk(client, f"{BASE}/{route}/?page_size=2")
            assert calls and all(call.startswith(route[:-1]) for call in calls)
            calls.clear()
            through_queryset = _walk(client, f"{BASE}/{route}/?ordering=-id&page_size=2")
            assert calls == []
            assert prepared == through_queryset
            for position, reverse in ((2**70, False), (-(2**70), True), (datasets[3].pk, False)):
                cursor = _cursor(position, reverse)
                plain = client.get(f"{BASE}/{route}/?cursor={cursor}").json()["results"]
                ordered = client.get(f"{BASE}/{route}/?cursor={cursor}&ordering=-id").json()["results"]
                assert plain == ordered
            seen[who, route] = [row["id"] for page in prepared[0] for row in page]
    ids = [dataset.pk for dataset in reversed(datasets)]
    assert seen["owner", "datasets"] == [pk for pk in ids if pk != datasets[5].pk]
    assert seen["viewer", "datasets"] == [pk for pk in ids if pk not in (datasets[3].pk, datasets[5].pk)]
    assert seen["second", "datasets"] == [pk for pk in ids if pk not in (datasets[3].pk, datasets[4].pk,
                                                                        datasets[5].pk)]
    jobs = dict(GenerationJob.objects.values_list("dataset_id", "id"))
    assert seen["second", "jobs"] == [jobs[pk] for pk in ids if pk not in (datasets[3].pk, datasets[4].pk,
                                                                           datasets[5].pk)]
    assert jobs[foreign.pk] not in seen["owner", "jobs"]
    assert_error_shape(api_client_for(users["viewer"]).get(f"{BASE}/jobs/?cursor=bm9wZQ"), 400, paths={"cursor"})
