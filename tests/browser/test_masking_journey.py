"""Masking in a real browser: an admin makes the team's masking key (its secret shown once), writes a rules
document (a bad rule refused with its path, then fixed), runs it against a source database and watches the
job finish; another team's rules are not found."""

import pytest

from tests.masking.test_api_jobs import scratch_postgres, source  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser]

RULES = """tables:
  customers:
    columns:
      id: {type: integer, rule: format_preserving}
      name: {rule: fake, provider: name}
      email: {rule: derive, template: "{name}@example.com", slug: true, unique: true}
      phone: {rule: format_preserving}
      iban: {rule: format_preserving, format: iban}
      born: {type: date, rule: shift_date, days: 30, entity: id}
      note: {rule: redact_text}
  orders:
    columns:
      id: {type: integer, rule: keep}
      customer_id: {type: integer, references: customers.id}
      amount: {type: float, rule: keep}
"""


def test_admin_makes_a_key_writes_rules_and_runs_a_masking(teams, journey, source):  # noqa: F811
    from selenium.webdriver.support.ui import Select

    from apps.datasets.models import Record
    from apps.exports import services as exports
    from apps.masking import services

    users = teams["users"]
    params = source["params"]
    exports.target_create(tenant=teams["a"], actor=users["owner"], name="production copy",
                          host=params.get("host", "127.0.0.1"), port=int(params.get("port", 5432)),
                          dbname=params["dbname"], user=params.get("user", "postgres"),
                          password=params.get("password", ""))
    theirs = services.rule_set_create(tenant=teams["b"], actor=None, name="beta rules",
                                      document={"tables": {"t": {"columns": {"a": "keep"}}}})

    j = journey("masking")
    j.sign_in(users["admin"])

    # The team's masking key: the secret is shown once, then only its id.
    j.go("/console/masking/maskingkey/add/")
    Select(j.find("select[name=tenant]")).select_by_visible_text(teams["a"].name)
    j.find("input[name=_save]").click()
    j.wait_for("#secret")
    secret = j.find("#secret").get_attribute("value")
    assert len(secret) >= 32 and "shown only once" in j.text
    j.shot("key-made")
    j.go("/console/masking/maskingkey/")
    assert secret not in j.driver.page_source

    # A rules document with a rule unfit for its column: refused with the path, nothing saved; then fixed.
    j.go("/console/masking/maskingruleset/add/")
    Select(j.find("select[name=tenant]")).select_by_visible_text(teams["a"].name)
    j.find("input[name=name]").send_keys("crm masking")
    editor = j.find("textarea[name=document]")
    editor.clear()
    editor.send_keys(RULES.replace("{type: date, rule: shift_date, days: 30, entity: id}",
                                   "{type: date, rule: fake, provider: name}"))
    j.find("input[name=_continue]").click()
    j.wait_for(".errorlist")
    assert "tables.customers.columns.born.rule" in " ".join(e.text for e in j.all(".errorlist"))
    j.shot("rules-error")
    editor = j.find("textarea[name=document]")
    editor.clear()
    editor.send_keys(RULES)
    j.find("input[name=_continue]").click()
    j.wait_for_text("was added successfully")

    # Run it against the source connection and watch the job.
    j.find("#run-link").click()
    Select(j.find("select[name=source]")).select_by_visible_text("production copy")
    j.find("input[name=tables]").send_keys("customers, orders")
    j.shot("run")
    j.find("#run-form input[type=submit]").click()
    j.wait_for("#job-progress")
    j.wait_for_text("Succeeded", timeout=90)
    j.shot("job")
    masked = {r.data["email"] for r in Record.objects.filter(table_name="customers")}
    assert len(masked) == 60 and not masked & set(source["customers"]["email"])

    # Another team's rules document is not found.
    j.go(f"/console/masking/maskingruleset/{theirs.pk}/change/")
    assert "beta rules" not in j.driver.page_source


def test_admin_masks_samples_with_rules_suggested_from_their_profile(teams, journey):
    from apps.datasets.models import Record
    from apps.masking import services
    from apps.profiling import services as profiling
    from tests.masking import samples

    users, tenant = teams["users"], teams["a"]
    persons = samples.upload(tenant, users["editor"], "persons", samples.people_csv(80))
    orders = samples.upload(tenant, users["editor"], "orders", samples.orders_csv(80))
    profile = profiling.profile_create(tenant=tenant, actor=users["editor"], samples=[persons, orders])
    profile.refresh_from_db()
    assert profile.status == "succeeded", profile.error
    services.masking_key_rotate(tenant=tenant, actor=users["owner"])

    j = journey("masking-samples")
    j.sign_in(users["admin"])
    # The profile page leads to the rules form, filled in with the suggestion.
    j.go(f"/console/profiling/profile/{profile.pk}/change/")
    j.find("#suggest-masking").click()
    j.wait_for_text("Rules suggested from")
    document = j.find("textarea[name=document]").get_attribute("value")
    assert "provider: first_name" in document and "references: persons.id" in document
    assert samples.SECRET_NAME not in j.driver.page_source
    j.shot("suggested")
    j.find("input[name=_continue]").click()
    j.wait_for_text("was added successfully")

    # Run it on the samples and watch the job.
    j.find("#run-link").click()
    for box in j.all("input[name=samples]"):
        box.click()
    j.shot("run-samples")
    j.find("#run-form input[type=submit]").click()
    j.wait_for("#job-progress")
    j.wait_for_text("Succeeded", timeout=90)
    j.shot("job")
    masked = [r.data for r in Record.objects.filter(table_name="persons")]
    assert len(masked) == 80 and samples.SECRET_EMAIL not in {r["email"] for r in masked}
