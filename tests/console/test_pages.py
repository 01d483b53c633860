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
