"""Masking rules suggested from a profile: each PII finding gets a fitting rule, keys and foreign keys share
one keyed function, the draft validates against the samples' tables, holds no sample value, and nothing is
saved. Bad ids in the body are 400s with paths, another tenant's profile like a missing one."""

from __future__ import annotations

import json

import pytest

from apps.audit.models import AuditEvent
from apps.masking.engine import MaskingRun, parse_rules
from apps.masking.models import MaskingRuleSet
from apps.masking.suggest import national_format, suggest_rules
from apps.profiling import services as profiling
from tests.conftest import assert_error_shape

from . import data, samples

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def profile(tenant_a, django_capture_on_commit_callbacks):
    tenant, users = tenant_a
    people = samples.upload(tenant, users["editor"], "persons", samples.people_csv())
    orders = samples.upload(tenant, users["editor"], "orders", samples.orders_csv())
    return samples.profile_of(tenant, users["editor"], [people, orders], django_capture_on_commit_callbacks)


def suggest(client, body):
    return client.post(f"{BASE}/masking-rules/suggest/", body, format="json")


def test_findings_become_rules_and_keys_share_their_function(profile, api_client_for, tenant_a):
    client = api_client_for(tenant_a[1]["editor"])
    response = suggest(client, {"profile": profile.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    people = body["document"]["tables"]["persons"]["columns"]
    assert people["first_name"] == {"rule": "fake", "provider": "first_name"}
    assert people["last_name"] == {"rule": "fake", "provider": "last_name"}
    assert people["email"]["rule"] == "derive" and people["email"]["template"] == "{first_name}.{last_name}@example.com"
    assert people["email"]["unique"] is True  # every email of the sample is distinct: a key candidate
    assert people["phone"] == {"rule": "format_preserving", "unique": True}  # distinct in the sample
    assert people["iban"] == {"rule": "format_preserving", "format": "iban"}
    assert people["national_id"]["rule"] == "format_preserving"
    assert people["birth_date"] == {"type": "date", "rule": "shift_date", "days": 180, "entity": "id"}
    assert people["note"] == {"rule": "redact_text"}
    assert people["score"] == {"type": "float", "rule": "keep"}
    assert people["id"] == {"type": "integer", "rule": "format_preserving"}
    orders = body["document"]["tables"]["orders"]["columns"]
    assert orders["person_id"] == {"type": "integer", "references": "persons.id"}
    assert orders["order_id"]["rule"] == "format_preserving" and orders["amount"]["rule"] == "keep"
    reasons = {(c["table"], c["column"]): c for c in body["columns"]}
    assert reasons[("persons", "email")]["reason"].startswith("PII: email")
    assert 0 < reasons[("persons", "email")]["confidence"] <= 1
    assert reasons[("orders", "person_id")]["rule"] == "references"

    # The draft validates against the samples' columns and masks: orders still join people.
    rules = parse_rules(body["document"])
    rules.check_source({s.table_name: s.columns for s in profile.samples.all()})
    run = MaskingRun(rules, data.KEY)
    ids = run.table("persons", ["id"]).mask({"id": [1, 2, 3]})["id"]
    assert run.table("orders", ["person_id"]).mask({"person_id": [3, 1]})["person_id"] == [ids[2], ids[0]]

    # No sample value in the answer, and nothing saved or audited.
    text = json.dumps(body)
    for secret in (samples.SECRET_NAME, samples.SECRET_EMAIL, samples.SECRET_IBAN, "mail.example", "+31 6"):
        assert secret not in text
    assert not MaskingRuleSet.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="masking").exists()


def test_the_suggested_document_saves_as_it_is(profile, api_client_for, tenant_a):
    client = api_client_for(tenant_a[1]["editor"])
    document = suggest(client, {"profile": profile.pk, "locale": "nl_NL"}).json()["document"]
    assert document["locale"] == "nl_NL"
    saved = client.post(f"{BASE}/masking-rules/", {"name": "from profile", "document": document}, format="json")
    assert saved.status_code == 201, saved.content


def test_bad_bodies_are_400_with_paths(profile, api_client_for, tenant_a, tenant_b, django_capture_on_commit_callbacks):
    client = api_client_for(tenant_a[1]["editor"])
    # Another tenant's profile answers as a missing one.
    tenant, users = tenant_b
    theirs = samples.profile_of(
        tenant,
        users["owner"],
        [samples.upload(tenant, users["owner"], "people", samples.people_csv(30))],
        django_capture_on_commit_callbacks,
    )
    missing = assert_error_shape(suggest(client, {"profile": 999_999}), 400, paths={"profile"})
    other = assert_error_shape(suggest(client, {"profile": theirs.pk}), 400, paths={"profile"})
    assert missing["details"] == other["details"]
    assert_error_shape(suggest(client, {"profile": "x"}), 400, paths={"profile"})
    assert_error_shape(suggest(client, {}), 400, paths={"profile"})
    assert_error_shape(suggest(client, {"profile": profile.pk, "locale": "xx_YY"}), 400, paths={"locale"})
    # A profile that has not finished yet.
    queued = profiling.profile_create(
        tenant=tenant_a[0], actor=tenant_a[1]["editor"], samples=list(profile.samples.all())
    )
    error = assert_error_shape(suggest(client, {"profile": queued.pk}), 400, paths={"profile"})
    assert "not ready" in error["details"][0]["message"]


def test_viewers_may_not_and_a_profile_hidden_from_the_caller_is_missing(profile, api_client_for, tenant_a):
    _, users = tenant_a
    assert suggest(api_client_for(users["viewer"]), {"profile": profile.pk}).status_code == 403
    # The editor loses view on one of the profile's samples: the profile is now missing for them.
    from guardian.shortcuts import remove_perm

    from apps.tenants.models import TenantGroup

    group = TenantGroup.objects.get(tenant=tenant_a[0], role="editor").group
    uploader = users["editor"]
    for sample in profile.samples.all():
        remove_perm("view_sample", group, sample)
        remove_perm("view_sample", uploader, sample)
    assert_error_shape(suggest(api_client_for(uploader), {"profile": profile.pk}), 400, paths={"profile"})


def test_unfit_findings_fall_back_and_national_formats_come_from_names():
    result = {
        "tables": {
            "t": {
                "primary_key": None,
                "key_candidates": [],
                "columns": {
                    "phone": {"kind": "float", "pii": [{"kind": "phone", "confidence": 0.3, "evidence": "name"}]},
                    "dob": {"kind": "string", "pii": [{"kind": "birth_date", "confidence": 0.5, "evidence": "name"}]},
                    "name": {"kind": "string", "pii": [{"kind": "name", "confidence": 0.9, "evidence": "values"}]},
                    "email": {"kind": "string", "pii": [{"kind": "email", "confidence": 0.9, "evidence": "values"}]},
                },
            }
        }
    }
    document, _ = suggest_rules(result)
    columns = document["tables"]["t"]["columns"]
    assert columns["phone"] == {"type": "float", "rule": "null"}
    assert columns["dob"] == {"rule": "format_preserving"}
    assert columns["email"]["template"] == "{name}@example.com"
    parse_rules(document)
    assert national_format("bsn") == "nl_bsn" and national_format("Personnummer") == "se_personnummer"
    assert national_format("codice_fiscale") == "it_codice_fiscale" and national_format("dni") == "es_dni"
    assert national_format("steuer_id") == "de_steuer_id" and national_format("hetu") == "fi_hetu"
    assert national_format("nir") == "fr_nir" and national_format("ssn") == "plain"


def test_a_national_id_found_by_its_values_keeps_its_scheme_whatever_the_column_is_called():
    def result(scheme):
        finding = {"kind": "national_id", "confidence": 0.95, "evidence": "values", "scheme": scheme}
        return {"tables": {"t": {"primary_key": None, "key_candidates": [],
                                 "columns": {"id_number": {"kind": "string", "pii": [finding]},
                                             "bsn": {"kind": "string", "pii": [{**finding}]}}}}}

    columns = suggest_rules(result("fi_hetu"))[0]["tables"]["t"]["columns"]
    assert columns["id_number"] == {"rule": "format_preserving", "format": "fi_hetu"}
    assert columns["bsn"] == {"rule": "format_preserving", "format": "fi_hetu"}  # the values outweigh the name
    # a scheme masking has no check for (no check digit): the name decides, else plain characters
    columns = suggest_rules(result("us_ssn"))[0]["tables"]["t"]["columns"]
    assert columns["id_number"] == {"rule": "format_preserving", "format": "plain"}
    assert columns["bsn"] == {"rule": "format_preserving", "format": "nl_bsn"}
    parse_rules(suggest_rules(result("fi_hetu"))[0])
