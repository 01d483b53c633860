"""Walk every route of the URL conf with every actor, and look for tenant B in every answer to tenant A.

1. Every route is declared in routes.py, and every declaration is a route.
2. Each route x method x actor answers the declared status on tenant A's objects.
3. The same routes with tenant B's ids under A's slug answer exactly as ids that do not exist (404 on the API).
4. Bodies and filters that name B's objects are refused like missing ones, and change nothing.
5. No answer to anyone of tenant A (JSON, the browsable API's HTML, admin pages) carries B's marker, and none
   to A's viewer carries the marker of the dataset they may not view.
"""

import pytest

from .conftest import PLATFORM_OBJECTS
from .probe import MISSING, URL_ROUTES, ask, assert_no_marker, body_for, content, explain, fill
from .routes import DEFAULT_OBJECTS, ROUTES

pytestmark = pytest.mark.django_db

DECLARED = {key: route for key, route in ROUTES.items() if key in URL_ROUTES}
MEMBERS = ("viewer", "editor", "admin", "owner")


# Defects the walker found that are being fixed, by test id -> reason. Strict: a fixed case fails (XPASS) until
# its entry is removed.
KNOWN_DEFECTS: dict[str, str] = {}


def case(*values, case_id: str):
    reason = KNOWN_DEFECTS.get(case_id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(*values, id=case_id, marks=marks)


# ----------------------------------------------------------------------------- 1. declarations
def test_every_route_is_declared():
    missing = sorted(set(URL_ROUTES) - set(ROUTES))
    assert not missing, ("routes without a declaration: declare its expected statuses in tests/security/routes.py: "
                         + ", ".join(missing))


def test_every_declaration_is_a_route():
    stale = sorted(set(ROUTES) - set(URL_ROUTES))
    assert not stale, f"declared in tests/security/routes.py but no longer routes: {', '.join(stale)}"


def _answered_methods(url_route) -> set[str] | None:
    """The methods an API route answers (besides HEAD and OPTIONS), from its view; None when it cannot say."""
    if url_route.drf_actions is not None:
        return {method.upper() for method in url_route.drf_actions} - {"HEAD", "OPTIONS"}
    view = url_route.view_class
    if view is None:
        return None
    return {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}


@pytest.mark.parametrize("key", sorted(key for key, route in DECLARED.items() if route.client == "token"))
def test_declared_methods_are_the_ones_the_route_answers(key):
    answered = _answered_methods(URL_ROUTES[key])
    declared = set(ROUTES[key].expect) - {"OPTIONS", "HEAD"}
    assert answered is None or declared == answered, f"{key} answers {sorted(answered)}, declared {sorted(declared)}"


def test_declarations_name_every_actor():
    for key, route in ROUTES.items():
        for method, statuses in route.expected().items():
            assert set(statuses) >= {"anonymous", "outsider", "viewer", "editor", "admin", "owner"}, (key, method)


# ----------------------------------------------------------------------------- 2. statuses, and 5. markers
def _probes():
    for key, route in DECLARED.items():
        for method, statuses in route.expected().items():
            for actor, status in statuses.items():
                yield case(key, method, actor, status, False, case_id=f"{key}-{method}-{actor}")
                if route.html and method == "GET":
                    yield case(key, method, actor, status, True, case_id=f"{key}-{method}-{actor}-html")


PROBES = list(_probes())


@pytest.mark.parametrize(("key", "method", "actor", "status", "html"), PROBES)
def test_route_answers_as_declared(world, key, method, actor, status, html):
    url = fill(world, key, actor)
    response = ask(world, key, method, actor, url, body=body_for(world, key, method), html=html)
    text = content(response)
    assert response.status_code == status, f"{method} {url} as {actor} {explain(response, text)}"
    assert_no_marker(actor, text, f"{method} {url}")


# ----------------------------------------------------------------------------- 3. B's ids in A's URLs
def _cross_probes():
    for key, route in DECLARED.items():
        variables = [v for v in URL_ROUTES[key].variables if v != "tenant"]
        if not variables:
            continue
        sources = [route.objects.get(v) or DEFAULT_OBJECTS.get(v) or v for v in variables]
        if all(s.startswith("=") or s in PLATFORM_OBJECTS for s in sources):
            continue  # nothing of a tenant's in the path
        # On the admin site only staff get past the login page, and the operator may see every tenant: A's
        # staff admin is walked, on the models they may see at all.
        # The console is every member's: all of them are walked there.
        actors = MEMBERS if route.client == "token" or key.startswith("console") else ("admin",)
        for method, statuses in route.expect.items():
            for actor in actors:
                if route.client == "session" and statuses[actor] == 403:
                    continue
                yield pytest.param(key, method, actor, id=f"{key}-{method}-{actor}")


CROSS_PROBES = list(_cross_probes())


@pytest.mark.parametrize(("key", "method", "actor"), CROSS_PROBES)
def test_other_tenants_ids_answer_as_missing_ones(world, key, method, actor):
    route = ROUTES[key]
    foreign_url = fill(world, key, actor, ids_from=world.b)
    assert foreign_url != fill(world, key, actor), "this route's path names nothing of a tenant's"
    missing_url = fill(world, key, actor, missing=True)
    body = body_for(world, key, method)
    foreign = ask(world, key, method, actor, foreign_url, body=body)
    missing = ask(world, key, method, actor, missing_url, body=body)
    text = content(foreign)
    assert_no_marker(actor, text, f"{method} {foreign_url}")
    assert foreign.status_code == missing.status_code, (
        f"{method} {foreign_url} (tenant B's ids) as {actor} {explain(foreign, text)}; with ids that do not exist "
        f"it {explain(missing, content(missing))}")
    assert not 200 <= foreign.status_code < 300, f"{method} {foreign_url} as {actor} {explain(foreign, text)}"
    declared = route.expected()[method][actor]
    if route.client == "token" and declared not in (401, 403, 405):
        assert foreign.status_code == 404, f"{method} {foreign_url} as {actor} {explain(foreign, text)}"


# ----------------------------------------------------------------------------- 4. B's ids in bodies and filters
def _permissions_body(a, b):
    return {"roles": {"viewer": ["view"]}, "members": [{"email": b["user"].email, "actions": ["view"]}]}


# (route, method, body naming B's objects, the model a success would add rows to)
FOREIGN_BODIES = {
    "export-list": ("POST", lambda a, b: {"dataset": b["dataset"].pk, "version": b["version"].number,
                                          "format": "csv"}, "exports.Export"),
    "target-push": ("POST", lambda a, b: {"dataset": b["dataset"].pk, "version": b["version"].number},
                    "exports.Push"),
    "dataset-permissions": ("PUT", _permissions_body, "datasets.DatasetUserObjectPermission"),
}


def _missing_objects(b: dict) -> dict:
    """B's objects as ids that name nothing, for the comparison."""
    from types import SimpleNamespace

    return {**b, "dataset": SimpleNamespace(pk=MISSING["pk"]), "user": SimpleNamespace(email="nobody@nowhere.test")}


def _body_probes():
    for key, (method, _, _) in FOREIGN_BODIES.items():
        for actor, status in ROUTES[key].expect[method].items():
            if actor in MEMBERS and 200 <= status < 300:
                yield pytest.param(key, actor, id=f"{key}-{method}-{actor}")


def _scrub(text: str, *values) -> str:
    for value in sorted(map(str, values), key=len, reverse=True):
        text = text.replace(value, "<id>")
    return text


@pytest.mark.parametrize(("key", "actor"), list(_body_probes()))
def test_bodies_naming_other_tenants_objects_are_refused_like_missing_ones(world, key, actor):
    from django.apps import apps

    method, build, model_label = FOREIGN_BODIES[key]
    model = apps.get_model(model_label)
    url = fill(world, key, actor)
    before = model.objects.count()
    foreign = ask(world, key, method, actor, url, body=build(world.a.objects, world.b.objects))
    assert model.objects.count() == before, f"{method} {url} as {actor} with B's ids added a {model_label}"
    missing = ask(world, key, method, actor, url, body=build(world.a.objects, _missing_objects(world.b.objects)))
    text = content(foreign)
    # An error may repeat what the caller sent (B's member's email); anything else of B's is a leak.
    assert_no_marker(actor, _scrub(text, world.b.objects["user"].email), f"{method} {url}")
    assert foreign.status_code in (400, 404), f"{method} {url} as {actor} with B's ids {explain(foreign, text)}"
    b = world.b.objects
    assert (foreign.status_code, _scrub(text, b["dataset"].pk, b["user"].email)) == (
        missing.status_code, _scrub(content(missing), MISSING["pk"], "nobody@nowhere.test")), (
        f"{method} {url}: B's ids are told apart from missing ones")


# List filters that take an id: B's id must be answered like a missing one (no existence oracle).
FOREIGN_FILTERS = [("job-list", "dataset", "dataset"), ("export-list", "dataset", "dataset"),
                   ("push-list", "dataset", "dataset"), ("push-list", "target", "target")]


@pytest.mark.parametrize(("key", "parameter", "source", "html"), [
    case(key, parameter, source, html, case_id=f"{key}-{parameter}-{'html' if html else 'json'}")
    for key, parameter, source in FOREIGN_FILTERS for html in (False, True)])
def test_filters_naming_other_tenants_objects_answer_like_missing_ones(world, key, parameter, source, html):
    actor = "owner"
    url = fill(world, key, actor)
    foreign = ask(world, key, "GET", actor, f"{url}?{parameter}={world.b.objects[source].pk}", html=html)
    missing = ask(world, key, "GET", actor, f"{url}?{parameter}={MISSING['pk']}", html=html)
    text = content(foreign)
    assert_no_marker(actor, text, f"GET {url}?{parameter}=<B's id>")
    assert foreign.status_code == missing.status_code, (
        f"GET {url}?{parameter}=<B's id> {explain(foreign, text)}; with a missing id it "
        f"{explain(missing, content(missing))}")


def test_admin_forms_and_actions_naming_other_tenants_rows_change_nothing(world):
    """A's staff admin posts B's ids to the admin's forms and bulk actions: refused, and B is untouched."""
    from apps.datasets.models import Dataset
    from apps.exports.models import TargetConnection

    b = world.b.objects
    targets = TargetConnection.objects.filter(tenant=world.b.tenant).count()
    added = ask(world, "admin:exports_targetconnection_add", "POST", "admin", "/admin/exports/targetconnection/add/",
                body={"tenant": world.b.tenant.pk, "name": "planted", "host": "127.0.0.1", "port": 5432,
                      "dbname": "planted_test", "user": "walker", "sslmode": "prefer"})
    assert added.status_code == 200, explain(added, content(added))  # the form again, with the tenant refused
    assert TargetConnection.objects.filter(tenant=world.b.tenant).count() == targets
    for url, obj in (("/admin/datasets/dataset/", b["dataset"]), ("/admin/exports/export/", b["export"])):
        ask(world, "admin:datasets_dataset_changelist", "POST", "admin", url,
            body={"action": "move_to_trash", "_selected_action": obj.pk})
        assert type(obj).objects.filter(pk=obj.pk).exists(), f"A's staff admin trashed B's {obj}"
    ask(world, "admin:datasets_dataset_changelist", "POST", "admin", "/admin/datasets/dataset/",
        body={"action": "restore", "_selected_action": b["trashed_dataset"].pk})
    assert not Dataset.objects.filter(pk=b["trashed_dataset"].pk).exists(), "A's staff admin restored B's dataset"


def _head_probes():
    for key, route in DECLARED.items():
        writes = [method for method in route.bodies if method != "GET"]
        if route.client == "token" and "GET" in route.expect and writes:
            for actor in MEMBERS:
                yield pytest.param(key, writes[0], actor, id=f"{key}-HEAD-{writes[0]}-body-{actor}")


@pytest.mark.parametrize(("key", "write", "actor"), list(_head_probes()))
def test_head_with_a_write_body_changes_nothing(world, key, write, actor):
    """HEAD is GET without the body of the answer: a view that treats it as its write method must not write."""
    from apps.audit.models import AuditEvent

    url = fill(world, key, actor)
    events = AuditEvent.objects.count()
    response = ask(world, key, "HEAD", actor, url, body=body_for(world, key, write))
    assert AuditEvent.objects.count() == events, (
        f"HEAD {url} with a {write} body as {actor} {explain(response, '')} and changed something: "
        f"{list(AuditEvent.objects.order_by('-id').values_list('action', flat=True)[:3])}")
    assert response.status_code == ROUTES[key].expect["GET"][actor], f"HEAD {url} as {actor} {explain(response, '')}"
