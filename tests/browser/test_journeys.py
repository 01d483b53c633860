"""The whole journey in a real browser: an editor from nothing to downloaded data, an admin managing members,
permissions and reading the audit trail, and a viewer refused what their role does not allow."""

import time

import pytest

pytestmark = [pytest.mark.browser]

BROKEN_SPEC = """version: 1
name: broken
tables:
  people:
    rows: 5
    columns:
      id:
        type: sequence
      age:
        type: integer
        min: 90
        max: 10
"""


def test_editor_goes_from_nothing_to_downloaded_data(teams, journey, downloads):
    j = journey("editor")
    j.sign_in(teams["users"]["editor"])
    j.shot("dashboard")

    # A dataset from the template gallery: every template shows its tables and row counts.
    j.go("/console/datasets/dataset/add/")
    assert "employees: 1,000 rows" in j.text
    j.find("input[name=template][value=hr-basic]").click()
    j.find("input[name=name]").send_keys("HR test data")
    j.shot("template-gallery")
    j.find("input[name=_continue]").click()
    j.wait_for_text("was added successfully")
    assert "HR test data" in j.text
    j.shot("created")

    # The spec with a mistake: refused inline, with the path and the line; then fixed.
    editor = j.find("textarea[name=spec]")
    editor.clear()
    editor.send_keys(BROKEN_SPEC)
    j.find("input[name=_continue]").click()
    j.wait_for(".errorlist")
    errors = " ".join(e.text for e in j.all(".errorlist"))
    assert "line 9" in errors and "tables.people.columns.age" in errors, errors
    j.shot("spec-error")
    editor = j.find("textarea[name=spec]")
    editor.clear()
    editor.send_keys(BROKEN_SPEC.replace("min: 90", "min: 18").replace("max: 10", "max: 65"))
    j.find("input[name=_continue]").click()
    j.wait_for_text("was changed successfully")

    # Preview: the first rows of every table, scrollable sideways.
    j.find("#preview-button").click()
    j.wait_for("#preview table.console-grid")
    assert "people" in j.find("#preview").text
    assert j.find("#preview .console-scroll").value_of_css_property("overflow-x") == "auto"
    j.shot("preview")

    # Generate, and watch the job.
    j.find("#generate-link").click()
    j.find("input[name=rows_scale]").clear()
    j.find("input[name=rows_scale]").send_keys("2")
    j.find("input[name=seed]").clear()
    j.find("input[name=seed]").send_keys("42")
    j.shot("generate")
    j.find("#generate-form input[type=submit]").click()
    j.wait_for("#job-progress")
    j.wait_for_text("Succeeded", timeout=60)
    assert "10 of 10" in j.find("#job-rows").text
    j.shot("job")

    # The version's records, filtered, and its column statistics.
    j.find("#open-version").click()
    j.wait_for_text("Browse records")
    j.shot("version")
    version_page = j.driver.current_url
    j.driver.find_element("link text", "Browse records").click()
    j.wait_for("#records")
    assert len(j.all("#records tbody tr")) == 10
    j.find("input[name=data__id]").send_keys("3")
    j.find("#records-filter input[type=submit]").click()
    j.wait_until(lambda d: "data__id=3" in d.current_url)
    j.wait_for("#records")
    assert len(j.all("#records tbody tr")) == 1
    j.shot("records")
    j.driver.find_element("link text", "Column statistics").click()
    j.wait_for("#stat-age canvas")
    assert "Nulls: 0 of 10" in j.find("#stat-age").text
    j.shot("statistics")

    # An export, then its download.
    j.driver.get(version_page)
    j.wait_for("#export-link").click()
    j.find("select[name=format] option[value=jsonl]").click()
    j.find("#export-form input[type=submit]").click()
    j.wait_for_text("Succeeded", timeout=60)
    assert "sha256" in j.text.lower()
    j.shot("export")
    j.find("a.console-download").click()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not [p for p in downloads.iterdir() if not p.name.endswith(".crdownload")]:
        time.sleep(0.2)
    files = [p for p in downloads.iterdir() if not p.name.endswith(".crdownload")]
    assert files and files[0].name.endswith(".jsonl") and files[0].stat().st_size > 0, files


def test_admin_manages_members_permissions_and_reads_the_audit(teams, journey):
    j = journey("admin")
    j.sign_in(teams["users"]["admin"])
    j.go("/console/tenants/membership/add/")
    j.find("input[name=email]").send_keys("newcomer@alpha.test")
    j.find("select[name=role] option[value=editor]").click()
    j.shot("invite")
    j.find("input[name=_save]").click()
    j.wait_for_text("was added successfully")
    j.shot("members")

    # Promoting someone to admin is an owner's call: the service's refusal is shown on the form.
    j.driver.find_element("link text", "newcomer@alpha.test").click()
    j.find("select[name=role] option[value=admin]").click()
    j.find("input[name=_save]").click()
    j.wait_for(".errornote")
    assert "Only an owner can grant" in j.text
    j.shot("role-refused")

    j.go(f"/console/datasets/dataset/{teams['ours'].pk}/permissions/")
    j.find("input[name=role-viewer-view]").click()  # untick: viewers may no longer see it
    j.shot("permissions")
    j.find("#permissions-form input[type=submit]").click()
    j.wait_for_text("are saved")
    assert not j.find("input[name=role-viewer-view]").is_selected()

    j.go("/console/audit/auditevent/?area=membership")
    j.wait_for_text("membership.add")
    j.shot("audit")
    j.go("/console/audit/auditevent/?area=dataset")
    assert "dataset.permissions" in j.text


def test_viewer_has_no_generate_button_is_refused_and_cannot_reach_another_team(teams, journey):
    j = journey("viewer")
    j.sign_in(teams["users"]["viewer"])
    j.go(f"/console/datasets/dataset/{teams['ours'].pk}/change/")
    j.wait_for_text("team shop")
    assert not j.all("#generate-link")
    assert not j.all("input[name=_save]")
    j.shot("read-only-dataset")
    assert j.post_with_session(f"/console/datasets/dataset/{teams['ours'].pk}/generate/") == 403
    from apps.generation.models import GenerationJob

    assert not GenerationJob.objects.exists()
    j.go(f"/console/datasets/dataset/{teams['theirs'].pk}/change/")
    assert "beta secrets" not in j.driver.page_source
    assert "Not Found" in j.driver.page_source or "404" in j.driver.page_source
    j.shot("other-team-404")
