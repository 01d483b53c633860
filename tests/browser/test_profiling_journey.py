"""Learning from a sample in a real browser: upload two sample files, profile them, review the PII findings and
the inferred spec (approving one category list), and create a dataset from it."""

import pytest

from ..profiling.conftest import SECRET_NAME, customers_csv, orders_csv

pytestmark = [pytest.mark.browser]


def test_editor_uploads_samples_reviews_the_profile_and_creates_a_dataset(teams, journey, tmp_path):
    from apps.datasets.models import Dataset

    (tmp_path / "customers.csv").write_bytes(customers_csv(200))
    (tmp_path / "orders.csv").write_bytes(orders_csv(200))
    j = journey("profiling")
    j.sign_in(teams["users"]["editor"])

    for table in ("customers", "orders"):
        j.go("/console/profiling/sample/add/")
        j.find("input[name=table_name]").send_keys(table)
        j.find("input[name=file]").send_keys(str(tmp_path / f"{table}.csv"))
        j.shot(f"upload-{table}")
        j.find("#sample-upload-form input[type=submit]").click()
        j.wait_for_text("is stored")
    assert "customers" in j.text and "orders" in j.text

    # A bad file is refused on the form, with the reason.
    (tmp_path / "one.csv").write_bytes(b"id\n1\n2\n")
    j.go("/console/profiling/sample/add/")
    j.find("input[name=table_name]").send_keys("single")
    j.find("input[name=file]").send_keys(str(tmp_path / "one.csv"))
    j.find("#sample-upload-form input[type=submit]").click()
    j.wait_for(".errorlist")
    assert "at least 2" in j.find(".errorlist").text
    j.shot("upload-refused")

    j.go("/console/profiling/profile/add/")
    for box in j.all("input[name=samples]"):
        box.click()
    j.find("#profile-start-form input[type=submit]").click()
    j.wait_for_text("Succeeded", timeout=60)
    j.wait_for("#profile-pii")
    findings = j.find("#profile-pii").text
    assert "email" in findings and "first_name" in findings
    assert "orders.customer_id → customers.id" in j.find("#profile-foreign-keys").text
    spec_text = j.find("textarea[name=spec]").get_attribute("value")
    assert "type: copula" in spec_text and SECRET_NAME not in spec_text
    j.shot("profile-review")

    j.find("input[name=approved][value='customers.segment']").click()
    j.find("#save-review").click()
    j.wait_for_text("The reviewed spec is saved")
    assert "retail" in j.find("textarea[name=spec]").get_attribute("value")

    j.find("#profile-dataset-form input[name=name]").send_keys("customers look-alike")
    j.find("#create-dataset").click()
    j.wait_for_text("is created from the reviewed spec")
    j.shot("dataset-created")
    dataset = Dataset.objects.get(name="customers look-alike")
    assert dataset.spec["tables"]["orders"]["rows"]["per"] == "customer_id"
