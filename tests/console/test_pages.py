"""Every console list, add and change page answers each role without a 500; B's objects are 404 to A."""

import pytest

pytestmark = pytest.mark.django_db

ROLES = ("viewer", "editor", "admin", "owner")
MODELS = {
    "datasets/dataset": "dataset", "datasets/datasetversion": "version", "generation/generationjob": "job",
    "exports/export": "export", "tenants/membership": "membership", "audit/auditevent": None,
    "tenants/apitoken": None,
}
ADMIN_ONLY = {"tenants/membership", "audit/auditevent"}


def expected_list_status(model: str, role: str) -> int:
    return 403 if model in ADMIN_ONLY and role in ("viewer", "editor") else 200


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_and_every_list_answer(team, console_client, role):
    _, users, _, _ = team
    client = console_client(users[role])
    page = client.get("/console/")
    assert page.status_code == 200
    assert b"SynthHub" in page.content and b"Django administration" not in page.content
    for model in MODELS:
        response = client.get(f"/console/{model}/")
        assert response.status_code == expected_list_status(model, role), (model, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_every_change_page_answers_and_other_tenants_objects_are_404(team, console_client, role):
    _, users, mine, theirs = team
    client = console_client(users[role])
    for model, key in MODELS.items():
        if key is None:
            continue
        response = client.get(f"/console/{model}/{mine[key].pk}/change/")
        assert response.status_code == expected_list_status(model, role), (model, role, response.status_code)
        foreign = client.get(f"/console/{model}/{theirs[key].pk}/change/")
        assert foreign.status_code in (404, 403), (model, role, foreign.status_code)
        if expected_list_status(model, role) == 200:
            assert foreign.status_code == 404, (model, role)


@pytest.mark.parametrize("role", ROLES)
def test_add_pages(team, console_client, role):
    _, users, _, _ = team
    client = console_client(users[role])
    expect = {"datasets/dataset": 403 if role == "viewer" else 200,
              "tenants/membership": 200 if role in ("admin", "owner") else 403,
              "tenants/apitoken": 200, "datasets/datasetversion": 403, "generation/generationjob": 403,
              "exports/export": 403, "audit/auditevent": 403}
    for model, status in expect.items():
        assert client.get(f"/console/{model}/add/").status_code == status, (model, role)


def test_non_staff_member_signs_in_and_outsider_is_refused(team, client, make_user):
    _, users, _, _ = team
    assert not users["editor"].is_staff
    page = client.post("/console/login/?next=/console/", {"username": users["editor"].username,
                                                          "password": "pw-for-tests"})
    assert page.status_code == 302 and page["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    client.logout()
    stranger = make_user("nobody@nowhere.test")
    page = client.post("/console/login/", {"username": stranger.username, "password": "pw-for-tests"})
    assert page.status_code == 200 and b"not a member of any active team" in page.content


def test_spec_error_is_shown_inline_with_its_line_and_nothing_changes(team, console_client):
    from apps.datasets.models import Dataset

    _, users, mine, _ = team
    client = console_client(users["editor"])
    dataset = mine["dataset"]
    before = Dataset.objects.get(pk=dataset.pk).spec
    text = ("version: 1\nname: shop\ntables:\n  people:\n    rows: 5\n    columns:\n      age:\n"
            "        type: integer\n        min: 90\n        max: 10\n")
    page = client.post(f"/console/datasets/dataset/{dataset.pk}/change/",
                       {"name": "shop", "description": "", "default_seed": 0, "spec": text})
    assert page.status_code == 200
    body = page.content.decode()
    assert "tables.people.columns.age" in body and "line " in body
    assert Dataset.objects.get(pk=dataset.pk).spec == before


def test_a_trashed_teams_members_find_nothing_of_it(team, console_client, django_user_model):
    from apps.tenants import services

    tenant, users, mine, _ = team
    operator = django_user_model.objects.create_superuser("op", "op@synthhub.test", "pw-for-tests")
    services.tenant_delete(tenant=tenant, actor=operator)
    client = console_client(users["owner"])
    assert client.get("/console/").status_code == 302  # no live team left: back to the login page
    assert client.get(f"/console/datasets/dataset/{mine['dataset'].pk}/change/").status_code == 302


def test_writes_go_through_the_services_and_are_audited(team, console_client):
    from apps.audit.models import AuditEvent
    from apps.datasets.models import Dataset
    from apps.generation.models import GenerationJob

    tenant, users, mine, _ = team
    client = console_client(users["editor"])
    page = client.post("/console/datasets/dataset/add/", {"tenant": tenant.pk, "name": "from the gallery",
                                                         "description": "", "template": "hr-basic", "spec": ""})
    assert page.status_code == 302, page.content[:500]
    created = Dataset.objects.get(tenant=tenant, name="from the gallery")
    assert created.template_name == "hr-basic"
    event = AuditEvent.objects.filter(action="dataset.create").order_by("-id").first()
    assert event.actor_id == users["editor"].pk and event.target_id == str(created.pk)
    page = client.post(f"/console/datasets/dataset/{created.pk}/generate/", {"seed": 5, "rows_scale": 0.01})
    job = GenerationJob.objects.get(dataset=created)
    assert page.status_code == 302 and page["Location"].endswith(f"/generationjob/{job.pk}/change/")
    assert AuditEvent.objects.filter(action="job.start", target_id=str(job.pk), actor=users["editor"]).exists()


def test_a_viewer_cannot_post_writes(team, console_client):
    from apps.audit.models import AuditEvent

    tenant, users, mine, _ = team
    client = console_client(users["viewer"])
    events = AuditEvent.objects.count()
    dataset = mine["dataset"]
    assert client.post(f"/console/datasets/dataset/{dataset.pk}/change/",
                       {"name": "renamed", "description": "", "default_seed": 0, "spec": "x"}).status_code == 403
    assert client.post(f"/console/datasets/dataset/{dataset.pk}/generate/", {"rows_scale": 1}).status_code == 403
    assert client.post(f"/console/datasets/dataset/{dataset.pk}/permissions/", {}).status_code == 403
    assert client.post("/console/tenants/membership/add/", {"tenant": tenant.pk, "email": "x@y.test",
                                                            "role": "owner"}).status_code == 403
    assert client.post(f"/console/datasets/datasetversion/{mine['version'].pk}/export/",
                       {"format": "csv"}).status_code == 403
    client.post("/console/datasets/dataset/", {"action": "move_to_trash", "_selected_action": dataset.pk})
    dataset.refresh_from_db()
    assert dataset.name == "shop" and dataset.deleted_at is None
    assert AuditEvent.objects.count() == events


def test_an_admin_cannot_make_an_owner_the_refusal_is_on_the_form(team, console_client):
    from apps.tenants.models import Membership

    tenant, users, mine, _ = team
    client = console_client(users["admin"])
    membership = mine["membership"]
    page = client.post(f"/console/tenants/membership/{membership.pk}/change/", {"role": "owner"})
    assert page.status_code == 200 and b"Only an owner can grant" in page.content
    assert Membership.objects.get(pk=membership.pk).role == "viewer"


def test_a_token_secret_is_shown_once_and_revoked_through_the_service(team, console_client):
    from apps.audit.models import AuditEvent
    from apps.tenants.models import ApiToken

    _, users, _, _ = team
    client = console_client(users["viewer"])
    page = client.post("/console/tenants/apitoken/add/", {"name": "ci script"})
    assert page.status_code == 200 and b"shown only once" in page.content
    token = ApiToken.objects.get(user=users["viewer"], name="ci script")
    assert client.get(f"/console/tenants/apitoken/{token.pk}/change/").status_code == 200
    assert b"console-secret" not in client.get("/console/tenants/apitoken/").content
    page = client.post(f"/console/tenants/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert page.status_code == 302 and not ApiToken.objects.filter(pk=token.pk).exists()
    assert AuditEvent.objects.filter(action="token.revoke", actor=users["viewer"]).exists()


def test_records_filters_paging_and_statistics(team, console_client):
    _, users, mine, _ = team
    client = console_client(users["viewer"])
    version = mine["version"]
    page = client.get(f"/console/datasets/datasetversion/{version.pk}/records/customers/")
    assert page.status_code == 200 and page.content.count(b'<td class="num">') == 6
    page = client.get(f"/console/datasets/datasetversion/{version.pk}/records/customers/?data__id=2")
    assert page.content.count(b'<td class="num">') == 1
    page = client.get(f"/console/datasets/datasetversion/{version.pk}/records/customers/?data__regex=x")
    assert page.status_code == 200 and b"data__regex" in page.content  # refused by the API's filter rules
    page = client.get(f"/console/datasets/datasetversion/{version.pk}/records/customers/?after=3")
    assert page.content.count(b'<td class="num">') == 2
    page = client.get(f"/console/datasets/datasetversion/{version.pk}/stats/customers/")
    assert page.status_code == 200
    stats = {entry["column"]: entry for entry in page.context["stats"]}
    assert sum(n for _, n in stats["age"]["buckets"]) == 6 and stats["age"]["null_share"] == 0
    assert {value for value, _ in stats["tier"]["top"]} <= {"gold", "silver"}
    assert client.get(f"/console/datasets/datasetversion/{version.pk}/records/nope/").status_code == 404


def test_generate_takes_rows_per_table_and_a_reference_time(team, console_client):
    from apps.datasets.models import Dataset, DatasetVersion
    from apps.generation.models import GenerationJob

    tenant, users, mine, _ = team
    client = console_client(users["editor"])
    client.post("/console/datasets/dataset/add/", {"tenant": tenant.pk, "name": "sized", "description": "",
                                                  "template": "hr-basic", "spec": ""})
    dataset = Dataset.objects.get(tenant=tenant, name="sized")
    url = f"/console/datasets/dataset/{dataset.pk}/generate/"
    form = client.get(url).content.decode()
    assert 'name="rows__employees"' in form and 'name="reference_time"' in form

    for bad, field in ((("reference_time", "yesterday"), "reference_time"),
                       (("reference_time", "2025-06-01T12:00:00"), "reference_time"),
                       (("rows__employees", "-1"), "rows__employees"),
                       (("rows__employees", str(10**12)), "rows__employees")):
        page = client.post(url, {"seed": 1, "rows_scale": 1, bad[0]: bad[1]})
        assert page.status_code == 200 and page.context["form"].errors.get(field), (bad, page.context["form"].errors)
    assert not GenerationJob.objects.filter(dataset=dataset).exists()
    assert not DatasetVersion.objects.filter(dataset=dataset).exists()

    page = client.post(url, {"seed": 3, "rows_scale": 1, "rows__employees": 7,
                             "reference_time": "2025-06-01T12:00:00+02:00"})
    assert page.status_code == 302, page.context["form"].errors
    version = DatasetVersion.objects.get(dataset=dataset)
    assert version.rows == {"employees": 7}
    assert version.reference_time.isoformat() == "2025-06-01T10:00:00+00:00"
    assert GenerationJob.objects.get(dataset=dataset).parameters["rows"] == {"employees": 7}


def test_preview_of_a_row_the_document_cannot_make_shows_the_problem(team, console_client):
    import json

    tenant, users, _mine, _theirs = team
    spec = {"version": 1.1, "name": "passports", "seed": 1, "tables": {"p": {"rows": 5, "columns": {
        "nationality": {"type": "constant", "value": "CHN"},
        "surname": {"type": "faker", "provider": "last_name", "locale": {"column": "nationality"}},
        "mrz": {"type": "mrz_td3", "fields": {"surname": "surname", "nationality": "nationality"}},
    }}}}
    page = console_client(users["editor"]).post("/console/datasets/dataset/preview/",
                                                 {"spec": json.dumps(spec), "tenant": str(tenant.pk)})
    assert page.status_code == 200
    text = page.content.decode()
    assert "spec.tables.p.columns.mrz" in text and "cannot be written in an MRZ" in text
