"""Export and push pages of the console show their timeline (the events table of the job page); another team's
rows are 404, and pushes (they name a target connection) are for admins and owners, as on the API."""

import pytest

from apps.exports import services as exports

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushes(team):
    tenant, users, _, theirs = team
    target = exports.target_create(tenant=tenant, actor=users["owner"], name="scratch", host="127.0.0.1", port=5432,
                                   dbname="shop_test", user="postgres")
    mine = exports.version_push(target=target, actor=users["owner"], dataset_id=team[2]["dataset"].pk,
                                version_number=team[2]["version"].number)
    b_tenant = theirs["dataset"].tenant
    b_owner = b_tenant.memberships.get(role="owner").user
    b_target = exports.target_create(tenant=b_tenant, actor=b_owner, name="scratch", host="127.0.0.1", port=5432,
                                     dbname="shop_test", user="postgres")
    other = exports.version_push(target=b_target, actor=b_owner, dataset_id=theirs["dataset"].pk,
                                 version_number=theirs["version"].number)
    return mine, other


def test_the_export_page_shows_its_events(team, console_client):
    _, users, mine, theirs = team
    client = console_client(users["viewer"])
    html = client.get(f"/console/exports/export/{mine['export'].pk}/change/").content.decode()
    assert 'class="job-events"' in html
    assert "Queued" in html and "Claimed by a worker" in html and "Succeeded" in html
    assert "requested by owner@alpha.test" in html
    assert client.get(f"/console/exports/export/{theirs['export'].pk}/change/").status_code == 404


def test_the_push_page_shows_its_events_to_admins_only(team, pushes, console_client):
    _, users, _, _ = team
    mine, other = pushes
    client = console_client(users["admin"])
    listing = client.get("/console/exports/push/").content.decode()
    assert f"push {mine.pk} to scratch" in listing and f"push {other.pk} " not in listing
    page = client.get(f"/console/exports/push/{mine.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="job-events"' in html and "Queued" in html and 'id="push-running"' in html
    assert client.get(f"/console/exports/push/{other.pk}/change/").status_code == 404
    assert client.post(f"/console/exports/push/{mine.pk}/change/", {}).status_code == 403  # read only
    for role in ("viewer", "editor"):
        assert console_client(users[role]).get(f"/console/exports/push/{mine.pk}/change/").status_code == 403


def test_pushing_from_the_console_lands_on_the_push_page(team, console_client):
    tenant, users, mine, _ = team
    target = exports.target_create(tenant=tenant, actor=users["owner"], name="scratch", host="127.0.0.1", port=5432,
                                   dbname="shop_test", user="postgres")
    client = console_client(users["admin"])
    response = client.post(f"/console/datasets/datasetversion/{mine['version'].pk}/push/", {"target": target.pk})
    assert response.status_code == 302
    from apps.exports.models import Push

    push = Push.objects.get(target=target)
    assert response["Location"] == f"/console/exports/push/{push.pk}/change/"
