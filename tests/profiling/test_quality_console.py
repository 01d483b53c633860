"""The console's quality page of a version: it says why there is no report, and is not another team's."""

from tests.console.conftest import console_client, team  # noqa: F401


def test_a_version_without_a_sample_says_so(team, console_client):  # noqa: F811
    _, users, mine, _ = team
    page = console_client(users["viewer"]).get(f"/console/datasets/datasetversion/{mine['version'].pk}/quality/")
    assert page.status_code == 200
    assert "was not created from a profile of samples" in page.content.decode()
    version = mine["version"]
    version.refresh_from_db()
    assert version.quality_report == {}


def test_the_version_page_links_to_its_report(team, console_client):  # noqa: F811
    _, users, mine, _ = team
    page = console_client(users["viewer"]).get(f"/console/datasets/datasetversion/{mine['version'].pk}/change/")
    assert f"/console/datasets/datasetversion/{mine['version'].pk}/quality/" in page.content.decode()


def test_another_teams_version_is_404(team, console_client):  # noqa: F811
    _, users, _, theirs = team
    page = console_client(users["owner"]).get(f"/console/datasets/datasetversion/{theirs['version'].pk}/quality/")
    assert page.status_code == 404
