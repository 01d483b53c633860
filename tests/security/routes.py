"""What every route of the URL conf answers, per HTTP method, to each actor.

The route walker (test_route_walker.py) requests every route listed here with every method and actor, on
tenant A ("alpha") with the path filled from A's objects, and asserts the status declared here. A route in the
URL conf that is missing here fails the walk, and so does an entry here whose route no longer exists: a new
route is declared here before it ships.

Actors: `anonymous`; `outsider`, the owner of tenant B, signed in but no member of A; `viewer`, `editor`,
`admin`, `owner`, A's members (A's admin is also staff, so the admin site shows them A's rows); `operator`, a
staff superuser, walked on the admin site and the other HTML pages only.

Keys are route names ("namespace:name"), or the path template for an unnamed route. Path variables are filled
from tenant objects named in `objects` (see tests/security/conftest.py), or with a literal given as "=value";
`tenant` is A's slug; `token_key` is the acting user's own spare token.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .conftest import spec

API_ACTORS = ("anonymous", "outsider", "viewer", "editor", "admin", "owner")
SITE_ACTORS = (*API_ACTORS, "operator")

# Variables whose object is the same on every route that has them.
DEFAULT_OBJECTS = {"dataset_pk": "dataset", "number": "version", "row_index": "record"}


@dataclass(frozen=True)
class Route:
    expect: dict[str, dict[str, int]]  # method -> actor -> status
    objects: dict[str, str] = field(default_factory=dict)  # path variable -> object key
    bodies: dict[str, Callable[[dict], dict]] = field(default_factory=dict)  # method -> body from objects
    query: dict[str, str] = field(default_factory=dict)
    # "token": DRF's APIClient with a token; "session": Django's Client, signed in.
    client: str = "token"
    # A list of the browsable API: also fetched as text/html, which renders its filter and create forms.
    html: bool = False
    accept: str = "application/json"
    # Who passes the view's role check, which is all OPTIONS asks: "viewer" and "admin" (of the tenant in the
    # URL), "signed_in", "public"; None for pages outside the API.
    gate: str | None = "viewer"

    def expected(self) -> dict[str, dict[str, int]]:
        """`expect`, with what every API route also answers: OPTIONS (from the gate) and HEAD (as GET)."""
        if self.gate is None:
            return self.expect
        implied = {"OPTIONS": GATES[self.gate]}
        if "GET" in self.expect:
            implied["HEAD"] = self.expect["GET"]
        return {**implied, **self.expect}

    @property
    def actors(self) -> tuple[str, ...]:
        return tuple(next(iter(self.expect.values())))


def roles(viewer: int, editor: int, admin: int, owner: int, *, anonymous: int = 401, outsider: int = 404) -> dict:
    """Statuses on a route of tenant A: anonymous callers are not authenticated, outsiders find no tenant."""
    return {"anonymous": anonymous, "outsider": outsider, "viewer": viewer, "editor": editor, "admin": admin,
            "owner": owner}


MEMBERS = roles(200, 200, 200, 200)
ADMINS = roles(403, 403, 200, 200)
SIGNED_IN = roles(200, 200, 200, 200, outsider=200)


def everyone(status: int, *, site: bool = False) -> dict:
    return dict.fromkeys(SITE_ACTORS if site else API_ACTORS, status)


GATES = {"viewer": MEMBERS, "admin": ADMINS, "signed_in": SIGNED_IN, "public": everyone(200)}


def export_body(o):
    return {"dataset": o["dataset"].pk, "version": o["version"].number, "format": "csv"}


def push_body(o):
    return {"dataset": o["dataset"].pk, "version": o["version"].number}


API_ROUTES: dict[str, Route] = {
    # ----- the caller's own tokens, templates, tenants: no tenant in the URL
    "api-token-list": Route({"GET": SIGNED_IN, "POST": roles(201, 201, 201, 201, outsider=201)},
                            bodies={"POST": lambda o: {"name": "walk"}}, gate="signed_in"),
    "api-token-detail": Route({"DELETE": roles(204, 204, 204, 204, outsider=204)}, gate="signed_in"),
    "template-list": Route({"GET": SIGNED_IN}, gate="signed_in"),
    "template-detail": Route({"GET": SIGNED_IN}, objects={"name": "=ecommerce"}, gate="signed_in"),
    "tenant-list": Route({"GET": SIGNED_IN, "POST": roles(201, 201, 201, 201, outsider=201)},
                         bodies={"POST": lambda o: {"name": "Walked"}}, html=True, gate="signed_in"),
    "tenant-detail": Route({"GET": MEMBERS}, gate="signed_in"),
    # ----- members and audit (admins and owners)
    "membership-list": Route({"GET": ADMINS, "POST": roles(403, 403, 201, 201)},
                             bodies={"POST": lambda o: {"email": "newcomer@alpha.test", "role": "viewer"}}, html=True,
                             gate="admin"),
    "membership-detail": Route({"GET": ADMINS, "PATCH": ADMINS, "DELETE": roles(403, 403, 204, 204)},
                               objects={"pk": "membership"}, bodies={"PATCH": lambda o: {"role": "editor"}},
                               gate="admin"),
    "audit-event-list": Route({"GET": ADMINS}, html=True, gate="admin"),
    "audit-event-detail": Route({"GET": ADMINS}, objects={"pk": "audit_event"}, gate="admin"),
    # ----- datasets (viewers view; editors change, generate, export; admins and owners also delete)
    "dataset-list": Route({"GET": MEMBERS, "POST": roles(403, 201, 201, 201)},
                          bodies={"POST": lambda o: {"name": "walked", "spec": spec()}}, html=True),
    "dataset-detail": Route({"GET": MEMBERS, "PATCH": roles(403, 200, 200, 200), "DELETE": roles(403, 403, 204, 204)},
                            objects={"pk": "dataset"}, bodies={"PATCH": lambda o: {"description": "walked"}}),
    "dataset-permissions": Route({"GET": MEMBERS, "PUT": ADMINS}, objects={"pk": "dataset"},
                                 bodies={"PUT": lambda o: {"roles": {"viewer": ["view"]}, "members": []}}),
    "dataset-restore": Route({"POST": ADMINS}, objects={"pk": "trashed_dataset"}),
    "trash-dataset-list": Route({"GET": MEMBERS}, html=True),
    "trash-dataset-restore": Route({"POST": ADMINS}, objects={"pk": "trashed_dataset"}),
    "version-list": Route({"GET": MEMBERS}, html=True),
    "version-detail": Route({"GET": MEMBERS, "DELETE": roles(403, 403, 204, 204)}),
    "version-restore": Route({"POST": ADMINS}, objects={"number": "trashed_version"}),
    # The walked version has a stored report; its spec has no document columns, so validating again is refused.
    "version-documents-report-list": Route({"GET": MEMBERS, "POST": roles(403, 400, 400, 400)}),
    # The fixture's dataset was written by hand, not inferred from samples: no sample to compare with.
    "version-quality": Route({"GET": roles(400, 400, 400, 400)}),
    "record-list": Route({"GET": MEMBERS}, query={"table": "customers"}, html=True),
    "record-detail": Route({"GET": MEMBERS, "DELETE": roles(403, 204, 204, 204)}, query={"table": "customers"}),
    "record-restore": Route({"POST": roles(403, 200, 200, 200)}, objects={"row_index": "trashed_record"},
                            query={"table": "orders"}),
    "preview": Route({"POST": MEMBERS}, bodies={"POST": lambda o: {"spec": spec(), "rows": 2}}),
    "spec-validate": Route({"POST": MEMBERS}, bodies={"POST": lambda o: {"spec": spec()}}),
    # ----- jobs: the fixture's job has succeeded, so cancelling or retrying it is a conflict
    "job-list": Route({"GET": MEMBERS}, html=True),
    "job-detail": Route({"GET": MEMBERS}, objects={"pk": "job"}),
    "job-cancel": Route({"POST": roles(403, 409, 409, 409)}, objects={"pk": "job"}),
    "job-retry": Route({"POST": roles(403, 409, 409, 409)}, objects={"pk": "job"}),
    "job-events": Route({"GET": MEMBERS}, objects={"pk": "job"}),
    "dataset-generate": Route({"POST": roles(403, 202, 202, 202)}, bodies={"POST": lambda o: {
        "rows_scale": 0.5, "rows": {"customers": 3}, "reference_time": "2025-06-01T12:00:00Z"}}),
    # ----- exports (the dataset's `export` permission: editors and up)
    "export-list": Route({"GET": MEMBERS, "POST": roles(403, 202, 202, 202)}, bodies={"POST": export_body}, html=True),
    "export-detail": Route({"GET": MEMBERS, "DELETE": roles(403, 204, 204, 204)}, objects={"pk": "export"}),
    "export-download": Route({"GET": MEMBERS}, objects={"pk": "export"}),
    "export-events": Route({"GET": MEMBERS}, objects={"pk": "export"}),
    "export-restore": Route({"POST": roles(403, 200, 200, 200)}, objects={"pk": "trashed_export"}),
    "trash-export-list": Route({"GET": MEMBERS}, html=True),
    # ----- samples (real data: viewers see none; editors view, admins and owners also delete; reading a target's
    # table is for admins: the body names a malformed table, refused before any connection) and their profiles
    "sample-list": Route({"GET": MEMBERS, "POST": roles(403, 403, 400, 400)}, bodies={
        "POST": lambda o: {"target": o["target"].pk, "source_table": "a.b.c", "table_name": "walked"}}),
    "sample-detail": Route({"GET": roles(404, 200, 200, 200), "DELETE": roles(404, 403, 204, 204)},
                           objects={"pk": "sample"}),
    "profile-list": Route({"GET": MEMBERS, "POST": roles(403, 202, 202, 202)},
                          bodies={"POST": lambda o: {"samples": [o["sample"].pk]}}),
    "profile-detail": Route({"GET": roles(404, 200, 200, 200), "PATCH": roles(403, 200, 200, 200),
                             "DELETE": roles(404, 403, 204, 204)}, objects={"pk": "profile"},
                            bodies={"PATCH": lambda o: {"approved_categories": []}}),
    "profile-dataset": Route({"POST": roles(403, 201, 201, 201)}, objects={"pk": "profile"},
                             bodies={"POST": lambda o: {"name": "from a profile"}}),
    # The walked profile has succeeded: cancelling it is a conflict (editors and up).
    "profile-events": Route({"GET": roles(404, 200, 200, 200)}, objects={"pk": "profile"}),
    "profile-cancel": Route({"POST": roles(403, 409, 409, 409)}, objects={"pk": "profile"}),
    # ----- target databases and pushes (admins and owners)
    "target-list": Route({"GET": ADMINS, "POST": roles(403, 403, 201, 201)}, html=True, bodies={
        "POST": lambda o: {"name": "walked", "host": "127.0.0.1", "dbname": "walked_test", "user": "walker"}},
        gate="admin"),
    "target-detail": Route({"GET": ADMINS, "PATCH": ADMINS, "DELETE": roles(403, 403, 204, 204)},
                           objects={"pk": "target"}, bodies={"PATCH": lambda o: {"port": 5433}}, gate="admin"),
    "target-push": Route({"POST": roles(403, 403, 202, 202)}, objects={"pk": "target"}, bodies={"POST": push_body},
                         gate="admin"),
    "push-list": Route({"GET": ADMINS}, html=True, gate="admin"),
    "push-detail": Route({"GET": ADMINS}, objects={"pk": "push"}, gate="admin"),
    "push-events": Route({"GET": ADMINS}, objects={"pk": "push"}, gate="admin"),
    # ----- schedules (the dataset's `generate` permission: editors and up) and webhooks (admins and owners)
    "schedule-list": Route({"GET": MEMBERS, "POST": roles(403, 201, 201, 201)}, html=True, bodies={
        "POST": lambda o: {"dataset": o["dataset"].pk, "name": "walked", "interval_seconds": 3600}}),
    "schedule-detail": Route({"GET": MEMBERS, "PATCH": roles(403, 200, 200, 200), "DELETE": roles(403, 204, 204, 204)},
                             objects={"pk": "gen_schedule"}, bodies={"PATCH": lambda o: {"keep_last": 3}}),
    "schedule-run-list": Route({"GET": MEMBERS}, objects={"schedule_pk": "gen_schedule"}),
    "webhook-list": Route({"GET": ADMINS, "POST": roles(403, 403, 201, 201)}, html=True, bodies={
        "POST": lambda o: {"url": "http://127.0.0.1:9/walked", "events": ["export.ready"]}}, gate="admin"),
    "webhook-detail": Route({"GET": ADMINS, "PATCH": ADMINS, "DELETE": roles(403, 403, 204, 204)},
                            objects={"pk": "webhook"}, bodies={"PATCH": lambda o: {"description": "walked"}},
                            gate="admin"),
    "webhook-delivery-list": Route({"GET": ADMINS}, objects={"webhook_pk": "webhook"}, gate="admin"),
    "webhook-rotate-secret": Route({"POST": roles(403, 403, 200, 200)}, objects={"pk": "webhook"}, gate="admin"),
    "webhook-test": Route({"POST": roles(403, 403, 202, 202)}, objects={"pk": "webhook"}, gate="admin"),
    # ----- masking: rules (members read, editors write), the tenant key and masking jobs (admins and owners).
    # The walked POST of a masking has no masking key and no reachable source: a 400, after the role check.
    "masking-rules-list": Route({"GET": MEMBERS, "POST": roles(403, 201, 201, 201)}, bodies={"POST": lambda o: {
        "name": "walked", "document": {"tables": {"t": {"columns": {"a": "keep"}}}}}}),
    "masking-rules-detail": Route({"GET": MEMBERS, "PATCH": roles(403, 200, 200, 200),
                                   "DELETE": roles(403, 204, 204, 204)}, objects={"pk": "masking_rules"},
                                  bodies={"PATCH": lambda o: {"name": "renamed"}}),
    # A suggestion from the walked profile (editors view its sample): a draft, nothing saved.
    "masking-rules-suggest": Route({"POST": roles(403, 200, 200, 200)},
                                   bodies={"POST": lambda o: {"profile": o["profile"].pk}}),
    "masking-keys": Route({"GET": ADMINS, "POST": roles(403, 403, 201, 201)}, gate="admin"),
    "masking-list": Route({"GET": ADMINS, "POST": roles(403, 403, 400, 400)}, bodies={"POST": lambda o: {
        "rules": {"tables": {"customers": {"columns": {"name": "null"}}}},
        "source": {"target": o["target"].pk, "tables": ["customers"]}}}, gate="admin"),
    # ----- the schema and its viewers are public: they describe the API, not any tenant's data
    "schema": Route({"GET": everyone(200)}, gate="public"),
    "swagger-ui": Route({"GET": everyone(200)}, gate="public", accept="text/html"),
    "redoc": Route({"GET": everyone(200)}, gate="public", accept="text/html"),
}

# Pages outside the API: Django's Client, signed in with a session.
PAGE_ROUTES: dict[str, Route] = {
    "rest_framework:login": Route({"GET": everyone(200, site=True), "POST": everyone(200, site=True)},
                                  client="session", gate=None,
                                  bodies={"POST": lambda o: {"username": "x", "password": "y"}}),
    "rest_framework:logout": Route({"POST": everyone(200, site=True)}, client="session", gate=None),
    "health-live": Route({"GET": everyone(200, site=True)}, client="session", gate=None),
    "health-ready": Route({"GET": everyone(200, site=True)}, client="session", gate=None),
    # Platform counters only (no tenant names); SYNTHHUB_METRICS_TOKEN puts them behind a bearer token.
    "metrics": Route({"GET": everyone(200, site=True)}, client="session", gate=None),
}


# ----- the operators' admin site at /admin/
def site(staff: int, operator: int, *, others: int = 302) -> dict:
    """Anonymous and non-staff users are sent to the login page; A's admin is staff; the operator is root."""
    statuses = dict.fromkeys(SITE_ACTORS, others)
    statuses.update(admin=staff, operator=operator)
    return statuses


def page(get: dict, post: dict | None = None, objects: dict | None = None) -> Route:
    expect = {"GET": get} if post is None else {"GET": get, "POST": post}
    return Route(expect, objects=objects or {}, client="session", gate=None)


def model_admin(app_model: str, object_key: str, *, staff: dict, operator: dict, staff_post: dict | None = None,
                operator_post: dict | None = None) -> dict[str, Route]:
    """The six routes Django's admin gives every registered model, each asked with GET and with an empty POST.

    `staff` and `operator` give the status of each page ("changelist", "add", "change", "history", "delete") for
    A's staff admin and for the operator, `staff_post` and `operator_post` where a POST answers otherwise (an empty
    form is refused with 200 where it may be sent; a confirmed delete redirects). Object pages are filled with
    `object_key` of tenant A.
    """
    app, model = app_model.split(".")
    objects = {"object_id": object_key}
    staff_post, operator_post = {**staff, **(staff_post or {})}, {**operator, **(operator_post or {})}

    def both(name: str, objects=None) -> Route:
        return page(site(staff[name], operator[name]), post=site(staff_post[name], operator_post[name]),
                    objects=objects)

    return {
        f"admin:{app}_{model}_changelist": both("changelist"),
        f"admin:{app}_{model}_add": both("add"),
        f"admin:{app}_{model}_history": both("history", objects),
        f"admin:{app}_{model}_delete": both("delete", objects),
        f"admin:{app}_{model}_change": both("change", objects),
        # The bare object URL redirects to its change page (Django keeps it for old links).
        f"admin/{app}/{model}/{{object_id}}/": page(site(302, 302), post=site(302, 302), objects=objects),
    }


def pages(changelist: int, add: int, change: int, history: int, delete: int) -> dict:
    return {"changelist": changelist, "add": add, "change": change, "history": history, "delete": delete}


# What a staff user who is not a superuser may do: nothing on platform models, only view A's tenant rows.
NO_ACCESS = pages(403, 403, 403, 403, 403)
VIEW_ONLY = pages(200, 403, 200, 200, 403)
# A page that only shows its row refuses a POST.
READ_ONLY_POST = {"change": 403}
# Read-only rows a POST saves unchanged.
SAVED_POST = {"change": 302}

ADMIN_ROUTES: dict[str, Route] = {
    "admin:index": page(site(200, 200)),
    # The login page signs a staff user straight in; anyone else sees the form (and why they may not enter). A
    # POST with wrong credentials shows the form again.
    "admin:login": page({**everyone(200, site=True), "admin": 302, "operator": 302}, post=everyone(200, site=True)),
    # Logging out takes a POST; the admin sends anyone who is not staff back to its index (then to the login).
    "admin:logout": page(site(405, 405), post=site(200, 200)),
    "admin:password_change": page(site(200, 200), post=site(200, 200)),  # an empty form is refused
    "admin:password_change_done": page(site(200, 200)),
    "admin:autocomplete": page(site(403, 403)),
    "admin:jsi18n": page(site(200, 200)),
    "admin:view_on_site": page(site(404, 404), objects={"content_type_id": "dataset_content_type",
                                                        "object_id": "dataset"}),
    "admin:app_list": page(site(200, 200), objects={"app_label": "=datasets"}),
    # The catch-all answers 404 to staff for an unknown admin page, and sends everyone else to the login page.
    "admin/{url}": page(site(404, 404), objects={"url": "=no-such-page/"}),
    "admin:auth_user_password_change": page(site(403, 200), objects={"id": "user"}),
    "admin:exports_export_download": page(site(200, 200), objects={"object_id": "export"}),
    # Accounts, role groups and the task queue are the operators' alone. Accounts are added and changed through
    # the account services (an empty form is refused) and never deleted (deactivated instead); role groups and
    # the queue are read only (groups follow memberships; schedules come from migrations; jobs are retried with
    # the job action).
    **model_admin("auth.group", "group", staff=NO_ACCESS, operator=pages(200, 403, 200, 200, 403),
                  operator_post=READ_ONLY_POST),
    **model_admin("auth.user", "user", staff=NO_ACCESS, operator=pages(200, 200, 200, 200, 403)),
    **model_admin("django_q.schedule", "schedule", staff=NO_ACCESS, operator=pages(200, 403, 200, 200, 403),
                  operator_post=READ_ONLY_POST),
    **model_admin("django_q.success", "success", staff=NO_ACCESS, operator=pages(200, 403, 200, 200, 403),
                  operator_post=READ_ONLY_POST),
    **model_admin("django_q.failure", "failure", staff=NO_ACCESS, operator=pages(200, 403, 200, 200, 403),
                  operator_post=READ_ONLY_POST),
    **model_admin("django_q.ormq", "ormq", staff=NO_ACCESS, operator=pages(200, 403, 200, 200, 403),
                  operator_post=READ_ONLY_POST),
    # Tenants: staff admins edit their own tenant's name; operators also its quotas and activity, and delete
    # one, which moves it to the trash through `tenant_delete` (an empty POST shows the confirmation again).
    # Nobody adds a tenant here.
    **model_admin("tenants.tenant", "tenant", staff=pages(200, 403, 200, 200, 403),
                  operator=pages(200, 403, 200, 200, 200)),
    **model_admin("tenants.apitoken", "token:owner", staff=NO_ACCESS, operator=pages(200, 403, 200, 200, 200),
                  operator_post=SAVED_POST),
    # Rows that only services make (they grant, audit and fill in what no admin form has) have no add page, for
    # operators either. The audit trail is append-only: nobody adds, changes or deletes an event here. Nor are jobs
    # and pushes deleted here (the admin writes only through services, and none deletes them): they are the
    # record of the work, and a queued or running one is in a worker's hands.
    **model_admin("audit.auditevent", "audit_event", staff=VIEW_ONLY, operator=pages(200, 403, 200, 200, 403),
                  staff_post=READ_ONLY_POST, operator_post=READ_ONLY_POST),
    **model_admin("generation.generationjob", "job", staff=VIEW_ONLY, operator=pages(200, 403, 200, 200, 403),
                  staff_post=READ_ONLY_POST, operator_post=READ_ONLY_POST),
    # Datasets are edited (name, description, seed; an empty form is refused) and deleted only through the trash.
    **model_admin("datasets.dataset", "dataset", staff=pages(200, 403, 200, 200, 403),
                  operator=pages(200, 403, 200, 200, 403)),
    **model_admin("datasets.datasetversion", "version", staff=VIEW_ONLY, operator=pages(200, 403, 200, 200, 403),
                  staff_post=READ_ONLY_POST, operator_post=READ_ONLY_POST),
    **model_admin("datasets.record", "record", staff=VIEW_ONLY, operator=pages(200, 403, 200, 200, 403),
                  staff_post=READ_ONLY_POST, operator_post=READ_ONLY_POST),
    **model_admin("exports.export", "export", staff=VIEW_ONLY, operator=pages(200, 403, 200, 200, 403),
                  staff_post=READ_ONLY_POST, operator_post=READ_ONLY_POST),
    # Staff admins manage their own tenant's target databases.
    **model_admin("exports.targetconnection", "target", staff=pages(200, 200, 200, 200, 200),
                  operator=pages(200, 200, 200, 200, 200)),
    **model_admin("exports.push", "push", staff=VIEW_ONLY, operator=pages(200, 403, 200, 200, 403),
                  staff_post=READ_ONLY_POST, operator_post=READ_ONLY_POST),
}


# ----- the team console at /console/: every active member of a tenant; anyone else goes to its login page
def console_roles(viewer: int, editor: int, admin: int, owner: int, *, outsider: int = 404,
                  others: int = 302) -> dict:
    """The outsider is B's owner: a member (so inside the console) who finds none of A's rows."""
    return {"anonymous": others, "operator": others, "outsider": outsider, "viewer": viewer, "editor": editor,
            "admin": admin, "owner": owner}


ANY_MEMBER = console_roles(200, 200, 200, 200, outsider=200)
OWN_ROWS = console_roles(200, 200, 200, 200)
CONSOLE_ADMINS = console_roles(403, 403, 200, 200)
NOBODY = console_roles(403, 403, 403, 403, outsider=403)


def console_model(app_model: str, object_key: str, *, changelist: dict, add: dict, change: dict,
                  history: dict | None = None, add_post: dict | None = None, change_post: dict | None = None,
                  changelist_post: dict | None = None, delete: dict | None = None) -> dict[str, Route]:
    """The six routes of a model on the console, asked with GET and with an empty POST (an empty form is
    refused with 200 where it may be sent; an empty POST to a delete page shows the confirmation again).
    Rows with a trash are never deleted here (trash and restore are actions that call the services); members
    and tokens are removed and revoked through their services."""
    app, model = app_model.split(".")
    objects = {"object_id": object_key}
    history = history or change
    return {
        f"console:{app}_{model}_changelist": page(changelist, post=changelist_post or changelist),
        f"console:{app}_{model}_add": page(add, post=add_post or add),
        f"console:{app}_{model}_history": page(history, post=history, objects=objects),
        f"console:{app}_{model}_delete": page(delete or NOBODY, post=delete or NOBODY, objects=objects),
        f"console:{app}_{model}_change": page(change, post=change_post or change, objects=objects),
        f"console/{app}/{model}/{{object_id}}/": page(console_roles(302, 302, 302, 302, outsider=302),
                                                      post=console_roles(302, 302, 302, 302, outsider=302),
                                                      objects=objects),
    }


CONSOLE_ROUTES: dict[str, Route] = {
    "console:index": page(ANY_MEMBER),
    # Members are sent on to the console; anyone else sees the form. A POST with wrong credentials shows it again.
    "console:login": page(console_roles(302, 302, 302, 302, outsider=302, others=200), post=everyone(200, site=True)),
    "console:logout": page(console_roles(405, 405, 405, 405, outsider=405), post=ANY_MEMBER),
    "console:password_change": page(ANY_MEMBER, post=ANY_MEMBER),
    "console:password_change_done": page(ANY_MEMBER),
    "console:autocomplete": page(console_roles(403, 403, 403, 403, outsider=403)),
    "console:jsi18n": page(ANY_MEMBER),
    "console:app_list": page(ANY_MEMBER, objects={"app_label": "=datasets"}),
    "console/{url}": page(console_roles(404, 404, 404, 404, outsider=404), objects={"url": "=no-such-page/"}),
    # Preview takes a POST (an empty one shows what is missing); a saved dataset's preview is its viewers'.
    "console:datasets_dataset_preview": page(console_roles(405, 405, 405, 405, outsider=405), post=ANY_MEMBER),
    "console:datasets_dataset_preview_saved": page(console_roles(405, 405, 405, 405, outsider=405), post=OWN_ROWS,
                                                   objects={"object_id": "dataset"}),
    # The dataset's `generate` permission: editors and up; an empty POST shows the form again.
    "console:datasets_dataset_generate": page(console_roles(403, 200, 200, 200), post=console_roles(403, 200, 200, 200),
                                              objects={"object_id": "dataset"}),
    # Admins and owners; a POST saves the grid as sent (here: everything unchecked) and shows the page again.
    "console:datasets_dataset_permissions": page(CONSOLE_ADMINS, post=console_roles(403, 403, 302, 302),
                                                 objects={"object_id": "dataset"}),
    # A job's live progress is its viewers'; cancel and retry take a POST and the `generate` permission (the
    # fixture's job has succeeded: the service refuses, shown as a message on the job's page).
    "console:generation_generationjob_progress": page(OWN_ROWS, objects={"object_id": "job"}),
    "console:generation_generationjob_cancel": page(console_roles(405, 405, 405, 405, outsider=405),
                                                    post=console_roles(403, 302, 302, 302),
                                                    objects={"object_id": "job"}),
    "console:generation_generationjob_retry": page(console_roles(405, 405, 405, 405, outsider=405),
                                                   post=console_roles(403, 302, 302, 302),
                                                   objects={"object_id": "job"}),
    # A profile's progress is its viewers'; review and dataset take a POST and the editor role (an empty review
    # changes nothing, an empty dataset form takes the spec's name); purging takes `delete` on its samples.
    "console:profiling_profile_progress": page(console_roles(404, 200, 200, 200), objects={"object_id": "profile"}),
    "console:profiling_profile_review": page(console_roles(405, 405, 405, 405, outsider=405),
                                             post=console_roles(404, 302, 302, 302), objects={"object_id": "profile"}),
    "console:profiling_profile_dataset": page(console_roles(405, 405, 405, 405, outsider=405),
                                              post=console_roles(404, 302, 302, 302), objects={"object_id": "profile"}),
    "console:profiling_profile_purge": page(console_roles(405, 405, 405, 405, outsider=405),
                                            post=console_roles(404, 403, 302, 302), objects={"object_id": "profile"}),
    # Cancelling takes a POST and the editor role (the walked profile has finished: refused as a message).
    "console:profiling_profile_cancel": page(console_roles(405, 405, 405, 405, outsider=405),
                                             post=console_roles(404, 302, 302, 302), objects={"object_id": "profile"}),
    # A version's records and statistics are its viewers'; exporting takes the `export` permission (an empty POST
    # shows the form again), pushing also the admin role.
    "console:datasets_datasetversion_records": page(OWN_ROWS, objects={"object_id": "version", "table": "=customers"}),
    "console:datasets_datasetversion_stats": page(OWN_ROWS, objects={"object_id": "version", "table": "=customers"}),
    # The page itself answers; the fixture's version has no sample, which the page says in words.
    "console:datasets_datasetversion_quality": page(OWN_ROWS, objects={"object_id": "version"}),
    "console:datasets_datasetversion_export": page(console_roles(403, 200, 200, 200),
                                                   post=console_roles(403, 200, 200, 200),
                                                   objects={"object_id": "version"}),
    "console:datasets_datasetversion_push": page(console_roles(403, 403, 200, 200),
                                                 post=console_roles(403, 403, 200, 200),
                                                 objects={"object_id": "version"}),
    "console:exports_export_download": page(OWN_ROWS, objects={"object_id": "export"}),
    **console_model("datasets.dataset", "dataset", changelist=ANY_MEMBER, add=console_roles(403, 200, 200, 200,
                    outsider=200), change=OWN_ROWS, change_post=console_roles(403, 200, 200, 200)),
    **console_model("datasets.datasetversion", "version", changelist=ANY_MEMBER, add=NOBODY, change=OWN_ROWS,
                    change_post=NOBODY),
    **console_model("generation.generationjob", "job", changelist=ANY_MEMBER, add=NOBODY, change=OWN_ROWS,
                    change_post=NOBODY),
    **console_model("exports.export", "export", changelist=ANY_MEMBER, add=NOBODY, change=OWN_ROWS,
                    change_post=NOBODY),
    # Pushes name a target connection: admins and owners read them (with their events), nobody writes.
    **console_model("exports.push", "push", changelist=console_roles(403, 403, 200, 200, outsider=200), add=NOBODY,
                    change=CONSOLE_ADMINS, change_post=NOBODY, history=console_roles(404, 404, 200, 200)),
    # Schedules: the dataset's `generate` permission (editors and up) to add, change or delete.
    **console_model("schedules.schedule", "gen_schedule", changelist=ANY_MEMBER,
                    add=console_roles(403, 200, 200, 200, outsider=200), change=OWN_ROWS,
                    change_post=console_roles(403, 200, 200, 200), delete=console_roles(403, 200, 200, 200)),
    **console_model("documents.documentreport", "document_report", changelist=ANY_MEMBER, add=NOBODY,
                    change=OWN_ROWS, change_post=NOBODY),
    # Masking rules: members read, editors and up write; Run (a POST starts a masking job) is for admins and owners.
    **console_model("masking.maskingruleset", "masking_rules", changelist=ANY_MEMBER,
                    add=console_roles(403, 200, 200, 200, outsider=200), change=OWN_ROWS,
                    change_post=console_roles(403, 200, 200, 200), delete=console_roles(403, 200, 200, 200)),
    "console:masking_maskingruleset_run": page(CONSOLE_ADMINS, post=CONSOLE_ADMINS,
                                               objects={"object_id": "masking_rules"}),
    # Masking keys are for admins and owners; a key is made (or rotated) by Add, never changed or deleted.
    **console_model("masking.maskingkey", "masking_key", changelist=console_roles(403, 403, 200, 200, outsider=200),
                    add=console_roles(403, 403, 200, 200, outsider=200), change=CONSOLE_ADMINS,
                    change_post=NOBODY, history=console_roles(404, 404, 200, 200)),
    # Members and audit are for admins and owners: others are refused, and find no row's history.
    **console_model("tenants.membership", "membership", changelist=console_roles(403, 403, 200, 200, outsider=200),
                    add=console_roles(403, 403, 200, 200, outsider=200), change=CONSOLE_ADMINS,
                    history=console_roles(404, 404, 200, 200), delete=CONSOLE_ADMINS),
    **console_model("audit.auditevent", "audit_event", changelist=console_roles(403, 403, 200, 200, outsider=200),
                    add=NOBODY, change=CONSOLE_ADMINS, change_post=NOBODY, history=console_roles(404, 404, 200, 200)),
    # Samples are real data: only members holding `view` on one see it (editors and up; the viewer finds none);
    # editors and up upload (an empty upload shows the form again). A profile is seen by the viewers of every
    # one of its samples; its page is not a model form (a POST is refused).
    **console_model("profiling.sample", "sample", changelist=ANY_MEMBER,
                    add=console_roles(403, 200, 200, 200, outsider=200), change=console_roles(404, 200, 200, 200),
                    change_post=NOBODY),
    **console_model("profiling.profile", "profile", changelist=ANY_MEMBER,
                    add=console_roles(403, 200, 200, 200, outsider=200), change=console_roles(404, 200, 200, 200),
                    change_post=NOBODY),
    # Webhook endpoints and their delivery log are for admins and owners (as on the API): others are refused and
    # find no row's history. Endpoints are added, changed and deleted through the service (an empty form is shown
    # again); the log is read only. Rotating (shows the new secret) and a test delivery take a POST.
    **console_model("webhooks.webhookendpoint", "webhook", changelist=console_roles(403, 403, 200, 200, outsider=200),
                    add=console_roles(403, 403, 200, 200, outsider=200), change=CONSOLE_ADMINS,
                    history=console_roles(404, 404, 200, 200), delete=CONSOLE_ADMINS),
    "console:webhooks_webhookendpoint_rotate": page(console_roles(405, 405, 405, 405, outsider=405),
                                                    post=CONSOLE_ADMINS, objects={"object_id": "webhook"}),
    "console:webhooks_webhookendpoint_test": page(console_roles(405, 405, 405, 405, outsider=405),
                                                  post=console_roles(403, 403, 302, 302),
                                                  objects={"object_id": "webhook"}),
    **console_model("webhooks.webhookdelivery", "webhook_delivery",
                    changelist=console_roles(403, 403, 200, 200, outsider=200), add=NOBODY, change=CONSOLE_ADMINS,
                    change_post=NOBODY, history=console_roles(404, 404, 200, 200)),
    # Each member's own tokens: the owner's token is a missing row to everyone else.
    **console_model("tenants.apitoken", "token:owner", changelist=ANY_MEMBER, add=ANY_MEMBER,
                    change=console_roles(404, 404, 404, 200), change_post=NOBODY,
                    delete=console_roles(404, 404, 404, 200)),
}

ROUTES: dict[str, Route] = {**API_ROUTES, **PAGE_ROUTES, **ADMIN_ROUTES, **CONSOLE_ROUTES}
