"""Hostile HTTP input gets a 4xx in the error shape, never a 500, on SQLite and PostgreSQL alike.

Each test here reproduces a class of server errors found by fuzzing the API: malformed ids in URLs, tampered
cursors, record filters handed to the ORM, deep or huge JSON bodies, NUL characters and time-zone offsets that
PostgreSQL cannot store.
"""

import base64
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from apps.datasets.models import Dataset
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"
BAD_IDS = ["abc", "null", "1.5", "-1", "1e3", "%00", "99999999999999999999", "9223372036854775808"]


@pytest.fixture
def shop(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    version = make_version(dataset, users["owner"])
    return dataset, version


@pytest.fixture
def owner_client(tenant_a, api_client_for):
    return api_client_for(tenant_a[1]["owner"])


def _api_routes():
    """(route template with {name} placeholders, methods) for every API route that has a path parameter."""

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    for raw, callback in walk(get_resolver().url_patterns, "/"):
        if not raw.startswith("/api/v1/"):
            continue
        template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", raw.replace("^", "").replace("$", ""))
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", template)
        names = set(re.findall(r"{(\w+)}", template)) - {"tenant"}
        if not names:
            continue
        actions = getattr(callback, "actions", None)
        if actions:
            methods = sorted(method.upper() for method in actions)
        else:
            view_class = callback.view_class
            methods = sorted(m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m))
        yield template, sorted(names), methods


def test_every_route_with_an_id_answers_404_for_a_malformed_or_huge_id(shop, owner_client):
    dataset, version = shop
    good = {"tenant": "alpha", "dataset_pk": str(dataset.pk), "number": str(version.number), "pk": "1",
            "row_index": "0", "token_key": "abcdef", "name": "ecommerce"}
    routes = list(_api_routes())
    assert len(routes) > 15, routes
    failures = []
    for template, names, methods in routes:
        for name in names:
            for bad in BAD_IDS:
                if name in ("token_key", "name") and bad.isalnum():
                    continue  # a well-formed key that names no token or template: an ordinary 404 path
                url = template.format(**{**good, name: bad})
                if "/records/" in url:
                    url += "?table=customers"
                for method in methods:
                    response = owner_client.generic(method, url)
                    # HEAD has no body; DRF lists it on a route once the route has answered a GET.
                    code = "not_found" if method == "HEAD" else response.json().get("error", {}).get("code")
                    if response.status_code != 404 or code != "not_found":
                        failures.append(f"{method} {url}: {response.status_code} {response.content[:120]!r}")
    assert not failures, "\n".join(failures)


def test_unknown_api_path_is_a_json_404(owner_client):
    response = owner_client.get("/api/v1/no-such-thing/")
    assert_error_shape(response, 404)


def test_revoking_a_token_named_by_a_nul_byte_is_a_404(owner_client):
    assert_error_shape(owner_client.delete("/api/v1/auth/tokens/%00/"), 404)


def _cursor(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


TAMPERED_CURSORS = {
    "not base64": "!!!not-base64!!!",
    "not ascii": "ÿÿÿÿ",
    "not utf-8 inside": _cursor(b"o=1&p=\xff\xfe"),
    "huge offset": _cursor(b"o=" + b"9" * 5000),
    "negative offset": _cursor(b"o=-5"),
    "reverse not a number": _cursor(b"r=x"),
    "position not an integer": _cursor(b"p=abc"),
    "position a float": _cursor(b"p=1.5"),
    "position with NUL": _cursor(b"p=1%00"),
    "position far too long": _cursor(b"p=" + b"1" * 2000),
}


def _list_urls(dataset, version):
    return [
        f"{BASE}/datasets/", f"{BASE}/trash/datasets/", f"{BASE}/datasets/{dataset.pk}/versions/",
        f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/?table=customers",
        f"{BASE}/jobs/", f"{BASE}/exports/", f"{BASE}/trash/exports/", f"{BASE}/pushes/",
        f"{BASE}/audit-events/",
    ]


def test_tampered_cursors_are_400_naming_cursor_on_every_list(shop, owner_client):
    dataset, version = shop
    failures = []
    for url in _list_urls(dataset, version):
        joiner = "&" if "?" in url else "?"
        for label, cursor in TAMPERED_CURSORS.items():
            response = owner_client.get(f"{url}{joiner}cursor={cursor}")
            body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
            paths = {d.get("path") for d in body.get("error", {}).get("details", [])} if isinstance(body, dict) else ()
            if response.status_code != 400 or "cursor" not in paths:
                failures.append(f"{label} {url}: {response.status_code} {response.content[:160]!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("position", [
    b"p=not-a-date",
    b"p=2025-01-01T00%3A00%3A00%2B99%3A00",  # an offset Python refuses
    b"p=2025-01-01T00%3A00%3A00%2B20%3A00",  # an offset Python accepts and PostgreSQL refuses
])
def test_cursor_positions_for_a_datetime_ordering_are_checked(shop, owner_client, position):
    response = owner_client.get(f"{BASE}/datasets/?ordering=created_at&cursor={_cursor(position)}")
    if position.endswith(b"%2B20%3A00"):
        # Normalised to UTC: a valid cursor for this ordering.
        assert response.status_code == 200, response.content
    else:
        assert_error_shape(response, 400, paths={"cursor"})


def test_cursors_the_api_gave_out_still_work(shop, owner_client):
    dataset, version = shop
    url = f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/?table=customers&page_size=7"
    seen, pages = [], 0
    while url and pages < 20:
        response = owner_client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["row_index"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == list(range(30))


@pytest.mark.parametrize(("name", "value"), [
    ("data__regex", "(a+)+$"),
    ("data__iregex", "a"),
    ("data__has_key", "country"),
    ("data__has_keys", "country"),
    ("data__contains", '{"country": "NL"}'),
    ("data__country__regex", "N."),
    ("data__country__startswith", "N"),
    ("data__country__range", "1,2"),
    ("data__address__has_key", "city"),
    ("data__country__icontains", "x" * 201),
    ("data__country__in", ",".join(["NL"] * 101)),
    ("data__age", "1" * 201),
    ("data__a__b__c__d__e__f", "1"),
])
def test_record_filters_accept_only_documented_lookups(shop, owner_client, name, value):
    dataset, version = shop
    url = f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/"
    response = owner_client.get(url, {"table": "customers", name: value})
    assert_error_shape(response, 400, paths={name})


def test_record_filters_name_columns_of_the_table(shop, owner_client):
    dataset, version = shop
    url = f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/"
    assert_error_shape(owner_client.get(url, {"table": "customers", "data__nope": "1"}), 400, paths={"data__nope"})
    # `total` is a column of orders, not of customers.
    assert_error_shape(owner_client.get(url, {"table": "customers", "data__total__gt": "1"}), 400,
                       paths={"data__total__gt"})
    response = owner_client.get(url, {"table": "orders", "data__total__gt": "1"})
    assert response.status_code == 200, response.content


def test_too_many_record_filters_are_refused(shop, owner_client):
    dataset, version = shop
    url = f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/"
    params = {"table": "customers", **{f"data__country{'_' * i}": "NL" for i in range(1, 22)}}
    assert_error_shape(owner_client.get(url, params), 400)


def _post_raw(client, url, body: bytes, content_type="application/json"):
    return client.generic("POST", url, data=body, content_type=content_type)


def test_json_nested_10000_deep_is_a_400(owner_client):
    body = b"[" * 10_000 + b"]" * 10_000
    assert_error_shape(_post_raw(owner_client, f"{BASE}/specs/validate/", body), 400)
    body = b'{"spec": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_001
    assert_error_shape(_post_raw(owner_client, f"{BASE}/specs/validate/", body), 400)


def test_json_deeper_than_the_setting_is_refused_shallower_is_parsed(owner_client, settings):
    settings.SYNTHHUB_MAX_JSON_DEPTH = 8
    deep = b'{"spec": ' + b'{"a": ' * 8 + b"1" + b"}" * 9
    error = assert_error_shape(_post_raw(owner_client, f"{BASE}/specs/validate/", deep), 400)
    assert "nested deeper than 8" in error["details"][0]["message"]
    shallow = b'{"spec": ' + b'{"a": ' * 5 + b"1" + b"}" * 6
    assert _post_raw(owner_client, f"{BASE}/specs/validate/", shallow).status_code == 200


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"name": NaN}', b'{"name": 1e400}', b"{" * 3])
def test_malformed_json_is_a_400(owner_client, body):
    assert_error_shape(_post_raw(owner_client, f"{BASE}/datasets/", body), 400)


def test_nul_characters_in_bodies_are_400_and_store_nothing(tenant_a, owner_client):
    before = Dataset.objects.count()
    response = owner_client.post(f"{BASE}/datasets/", {"name": "a\x00b", "template": "ecommerce"}, format="json")
    assert_error_shape(response, 400, paths={"name"})
    response = owner_client.post(f"{BASE}/specs/validate/", {"spec": {"tables": {"t\x00": {}}}}, format="json")
    assert_error_shape(response, 400, paths={"spec.tables"})
    assert Dataset.objects.count() == before


@pytest.mark.parametrize("query", ["search=a%00b", "ordering=%00", "template_name=%00", "cursor=%00", "x%00=1"])
def test_nul_characters_in_query_strings_are_400(tenant_a, owner_client, query):
    assert_error_shape(owner_client.get(f"{BASE}/datasets/?{query}"), 400)


@pytest.mark.parametrize("value", ["2025-01-01T00:00:00+99:00", "2025-01-01T00:00:00+24:00",
                                   "2025-01-01T00:00:00-30:15", "0001-01-01T00:00:00+05:00"])
def test_time_zone_offsets_out_of_range_are_400(tenant_a, owner_client, value):
    for name in ("since", "until"):
        assert_error_shape(owner_client.get(f"{BASE}/audit-events/", {name: value}), 400, paths={name})


def test_time_zone_offsets_postgresql_cannot_store_still_filter(tenant_a, owner_client):
    # +20:00 is a valid Python offset but beyond PostgreSQL's; the filter compares in UTC.
    response = owner_client.get(f"{BASE}/audit-events/", {"since": "2000-01-01T00:00:00+20:00"})
    assert response.status_code == 200, response.content
    assert response.json()["results"]


def test_bodies_over_the_limit_are_413_and_store_nothing(tenant_a, owner_client, settings):
    settings.SYNTHHUB_MAX_REQUEST_BYTES = 2_000
    before = Dataset.objects.count()
    response = owner_client.post(f"{BASE}/datasets/", {"template": "ecommerce", "description": "x" * 3_000},
                                 format="json")
    error = assert_error_shape(response, 413)
    assert "2000 bytes" in error["message"]
    assert Dataset.objects.count() == before
    response = owner_client.post(f"{BASE}/datasets/", {"template": "ecommerce", "description": "x" * 100},
                                 format="json")
    assert response.status_code == 201, response.content


def test_bodies_that_understate_their_length_are_cut_at_the_limit():
    import io

    from apps.core.parsers import BoundedJSONParser, RequestTooLarge

    stream = io.BytesIO(b'{"a": "' + b"x" * 5_000 + b'"}')
    with pytest.raises(RequestTooLarge):
        from django.test import override_settings

        with override_settings(SYNTHHUB_MAX_REQUEST_BYTES=1_000):
            BoundedJSONParser().parse(stream)


def test_form_and_multipart_bodies_are_not_parsed(owner_client):
    response = owner_client.generic("POST", f"{BASE}/datasets/", data="template=ecommerce",
                                     content_type="application/x-www-form-urlencoded")
    assert_error_shape(response, 415)


@pytest.mark.parametrize("page_size", ["null", "0", "-1", "1.5", "abc", "٣"])
def test_page_size_that_is_not_a_positive_integer_is_a_400(tenant_a, owner_client, page_size):
    assert_error_shape(owner_client.get(f"{BASE}/datasets/", {"page_size": page_size}), 400, paths={"page_size"})


def test_page_size_above_the_maximum_is_cut_to_it(shop, owner_client):
    dataset, version = shop
    url = f"{BASE}/datasets/{dataset.pk}/versions/{version.number}/records/"
    response = owner_client.get(url, {"table": "customers", "page_size": "9" * 40})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 30


def test_an_empty_page_size_is_the_default(tenant_a, owner_client):
    assert owner_client.get(f"{BASE}/datasets/", {"page_size": ""}).status_code == 200


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_options_on_the_documentation_pages_is_not_a_500(client, path):
    response = client.options(path)
    assert response.status_code == 200 and "GET" in response["Allow"]
