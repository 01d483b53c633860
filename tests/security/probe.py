"""Asking a route as an actor: its URL filled from a tenant's objects (or ids that name nothing), the request
made with the actor's token or session, and the answer read and checked for markers."""

import json
from urllib.parse import urlencode

from .conftest import HIDDEN, MARKER, PLATFORM_OBJECTS
from .routes import DEFAULT_OBJECTS, ROUTES
from .urlconf import url_routes

URL_ROUTES = {route.key: route for route in url_routes()}
A_SIDE = ("anonymous", "viewer", "editor", "admin", "owner")  # whose answers must never carry B's marker
# Path values that name nothing, for comparison with another tenant's ids.
MISSING = {"pk": 2_000_000_000, "object_id": 2_000_000_000, "object_pk": 2_000_000_000, "dataset_pk": 2_000_000_000,
           "number": 999_999, "row_index": 999_999, "token_key": "0000000000000000", "id": 2_000_000_000,
           "user_id": 2_000_000_000, "group_id": 2_000_000_000, "schedule_pk": 2_000_000_000,
           "webhook_pk": 2_000_000_000}


def _value(variable: str, key: str, data):
    obj = data.objects[key]
    if variable == "number":
        return obj.number
    if variable == "row_index":
        return obj.row_index
    if variable == "token_key":
        return obj.token_key
    return obj.pk


def object_source(route, url_route, variable: str, actor: str) -> str | None:
    """The object key a path variable is filled from, "=literal", or None for the tenant slug."""
    if variable == "tenant":
        return None
    if variable == "token_key":
        return f"token:{'owner' if actor in ('anonymous', 'operator', 'outsider') else actor}"
    key = route.objects.get(variable) or DEFAULT_OBJECTS.get(variable)
    if key is None:
        raise AssertionError(f"{url_route.key}: say in routes.py which object fills <{variable}>")
    return key


def fill(world, key: str, actor: str, *, ids_from=None, missing: bool = False) -> str:
    """The URL of route `key` on tenant A, its objects from `ids_from` (a TenantData; A's by default), or with
    ids that name nothing."""
    route, url_route = ROUTES[key], URL_ROUTES[key]
    data = ids_from or world.a
    values = {}
    for variable in url_route.variables:
        source = object_source(route, url_route, variable, actor)
        if source is None:
            values[variable] = world.a.tenant.slug
        elif source.startswith("="):
            values[variable] = source[1:]
        elif missing and variable in MISSING and source not in PLATFORM_OBJECTS:
            values[variable] = MISSING[variable]
        elif variable == "token_key" and actor == "outsider" and ids_from is None:
            values[variable] = world.b.objects[source].token_key  # the outsider's own token
        else:
            values[variable] = _value(variable, source, data)
    url = url_route.url(values)
    return f"{url}?{urlencode(route.query)}" if route.query else url


def user_of(world, actor: str):
    return {"anonymous": None, "outsider": world.b.users["owner"], "operator": world.operator,
            **world.a.users}.get(actor)


def secret_of(world, actor: str):
    if actor == "outsider":
        return world.b.secrets["owner"]
    if actor == "operator":
        return world.operator_secret
    return world.a.secrets.get(actor)


def ask(world, key: str, method: str, actor: str, url: str, *, body=None, html: bool = False):
    route = ROUTES[key]
    if route.client == "token":
        from rest_framework.test import APIClient

        client = APIClient(raise_request_exception=False)
        secret = secret_of(world, actor)
        if secret:
            client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        accept = "text/html" if html else route.accept
        if body is None:
            return client.generic(method, url, HTTP_ACCEPT=accept)
        return client.generic(method, url, data=json.dumps(body), content_type="application/json", HTTP_ACCEPT=accept)
    from django.test import Client

    client = Client(raise_request_exception=False)
    user = user_of(world, actor)
    if user is not None:
        client.force_login(user)
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, data=urlencode(body or {}), content_type="application/x-www-form-urlencoded")


def content(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", errors="replace")


def explain(response, text: str) -> str:
    where = response.get("Location", "")
    return f"answered {response.status_code}{' -> ' + where if where else ''}: {text[:400]}"


def assert_no_marker(actor: str, text: str, what: str) -> None:
    lowered = text.lower()
    for marker, whose in ((MARKER, "tenant B's data"), (HIDDEN, "a dataset hidden from A's viewers")):
        if actor not in A_SIDE or (marker == HIDDEN and actor not in ("anonymous", "viewer")):
            continue
        if marker.lower() in lowered:
            at = lowered.index(marker.lower())
            raise AssertionError(f"{what}: {whose} reached {actor} of A: ...{text[max(0, at - 200):at + 60]}...")


def body_for(world, key: str, method: str, data=None):
    builder = ROUTES[key].bodies.get(method)
    return builder((data or world.a).objects) if builder else None
