"""Masking in the console: rules documents written through the service (refusals shown by path), the key made
and rotated by admins with its secret shown once, the Run form, and other teams' 404."""

from apps.audit.models import AuditEvent
from apps.masking import services
from apps.masking.models import MaskingKey, MaskingRuleSet

RULES_ADD = "/console/masking/maskingruleset/add/"
KEYS = "/console/masking/maskingkey/"

DOCUMENT = "tables:\n  customers:\n    columns:\n      name: {rule: fake, provider: name}\n"


def test_an_editor_saves_rules_and_bad_rules_are_shown_with_their_paths(team, console_client):
    tenant, users, _, _ = team
    client = console_client(users["editor"])
    response = client.post(RULES_ADD, {"tenant": tenant.pk, "name": "crm", "document": DOCUMENT})
    assert response.status_code == 302, response.content.decode()[:2000]
    rule_set = MaskingRuleSet.objects.get()
    assert rule_set.document == {"tables": {"customers": {"columns": {"name": {"rule": "fake", "provider": "name"}}}}}
    assert AuditEvent.objects.filter(action="masking_rules.create").exists()
    bad = DOCUMENT.replace("provider: name", "provider: nope") + "      born: {type: date, rule: hash}\n"
    response = client.post(RULES_ADD, {"tenant": tenant.pk, "name": "bad", "document": bad})
    page = response.content.decode()
    assert response.status_code == 200
    assert "tables.customers.columns.name.provider" in page and "tables.customers.columns.born.rule" in page
    assert MaskingRuleSet.objects.count() == 1
    assert console_client(users["viewer"]).post(RULES_ADD, {"tenant": tenant.pk, "name": "v",
                                                            "document": DOCUMENT}).status_code == 403


def test_rules_of_another_team_are_404(team, tenant_b, console_client):
    tenant, users, _, _ = team
    rule_set = services.rule_set_create(tenant=tenant, actor=users["owner"], name="crm", document=DOCUMENT)
    outsider = console_client(tenant_b[1]["owner"])
    for page in (f"/console/masking/maskingruleset/{rule_set.pk}/change/",
                 f"/console/masking/maskingruleset/{rule_set.pk}/run/"):
        assert outsider.get(page).status_code == 404
    assert outsider.post(f"/console/masking/maskingruleset/{rule_set.pk}/delete/", {"post": "yes"}).status_code == 404
    assert MaskingRuleSet.objects.filter(pk=rule_set.pk).exists()


def test_an_admin_makes_and_rotates_the_key_and_sees_the_secret_once(team, console_client):
    tenant, users, _, _ = team
    client = console_client(users["admin"])
    response = client.post(f"{KEYS}add/", {"tenant": tenant.pk})
    key = MaskingKey.objects.get()
    secret = services.masking_key_bytes(key).decode()
    assert response.status_code == 200 and secret in response.content.decode()
    assert all(secret not in morsel.value for morsel in response.cookies.values())  # not in a message cookie
    listing = client.get(KEYS).content.decode()
    assert key.key_id in listing and secret not in listing
    assert secret not in client.get(f"{KEYS}{key.pk}/change/").content.decode()
    client.post(f"{KEYS}add/", {"tenant": tenant.pk})
    assert list(MaskingKey.objects.order_by("id").values_list("active", flat=True)) == [False, True]
    assert console_client(users["editor"]).get(KEYS).status_code == 403


def test_the_run_form_shows_refusals_on_its_fields(team, console_client):
    from apps.exports import services as exports

    tenant, users, _, _ = team
    rule_set = services.rule_set_create(tenant=tenant, actor=users["owner"], name="crm", document=DOCUMENT)
    target = exports.target_create(tenant=tenant, actor=users["owner"], name="src", host="127.0.0.1", port=1,
                                   dbname="nowhere_test", user="postgres")
    client = console_client(users["admin"])
    page = f"/console/masking/maskingruleset/{rule_set.pk}/run/"
    assert "Start masking" in client.get(page).content.decode()
    response = client.post(page, {"source": target.pk, "tables": "customers"})
    assert response.status_code == 200
    assert "key: this tenant has no masking key yet" in response.content.decode()
    services.masking_key_rotate(tenant=tenant, actor=users["owner"])
    response = client.post(page, {"source": target.pk, "tables": "customers"})
    assert "the source database does not answer" in response.content.decode()
    assert console_client(users["editor"]).get(page).status_code == 403


def test_the_profile_page_leads_to_rules_suggested_from_its_findings(team, tenant_b, console_client,
                                                                     django_capture_on_commit_callbacks):
    from tests.masking import samples

    tenant, users, _, _ = team
    profile = samples.profile_of(tenant, users["editor"], [
        samples.upload(tenant, users["editor"], "persons", samples.people_csv(60))],
        django_capture_on_commit_callbacks)
    client = console_client(users["editor"])
    page = client.get(f"/console/profiling/profile/{profile.pk}/change/").content.decode()
    assert f'{RULES_ADD}?profile={profile.pk}' in page
    response = client.get(f"{RULES_ADD}?profile={profile.pk}")
    form = response.content.decode()
    assert response.status_code == 200
    assert "provider: first_name" in form and "format: iban" in form and "rule: redact_text" in form
    assert f"suggested from profile {profile.pk}" in form
    for secret in (samples.SECRET_NAME, samples.SECRET_EMAIL, samples.SECRET_IBAN):
        assert secret not in form
    assert not MaskingRuleSet.objects.exists()  # a draft until it is saved
    # Another team's profile, or a missing one, pre-fills nothing.
    other = console_client(tenant_b[1]["owner"]).get(f"{RULES_ADD}?profile={profile.pk}").content.decode()
    assert "No suggestion: profile: no such profile" in other and "provider: first_name" not in other
