"""Profiles over samples: the job, the profile's contents, review, a dataset from the spec, purging; no value
of a sample ever reaches the spec, errors, the log or the audit trail unless its category list is approved."""

import json
import logging
import os

import pytest
from django.conf import settings

from apps.audit.models import AuditEvent
from apps.datasets.models import Dataset
from apps.profiling.models import Profile, Sample
from tests.conftest import assert_error_shape

from .conftest import SECRET_NAME, SECRET_SEGMENT, customers_csv, orders_csv

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def profiled(tenant_a, upload, api_client_for, django_capture_on_commit_callbacks):
    """An editor's profile over customers and orders (the queue runs synchronously in tests)."""
    _, users = tenant_a
    customers = upload(users["editor"], customers_csv(300)).json()["id"]
    orders = upload(users["editor"], orders_csv(300), filename="orders.csv", table_name="orders").json()["id"]
    client = api_client_for(users["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/profiles/", {"samples": [customers, orders]}, format="json")
    assert response.status_code == 202, response.content
    profile = client.get(f"{BASE}/profiles/{response.json()['id']}/").json()
    return client, profile, (customers, orders)


def test_the_profile_describes_the_samples(profiled):
    _, profile, _ = profiled
    assert profile["status"] == "succeeded" and profile["progress"] == 1.0
    customers = profile["result"]["tables"]["customers"]
    assert customers["rows"] == 300 and customers["primary_key"] == "id"
    columns = customers["columns"]
    assert columns["age"]["kind"] == "int" and 18 <= columns["age"]["min"] <= columns["age"]["max"] <= 80
    assert columns["income"]["kind"] == "float" and columns["signup"]["kind"] == "date"
    assert columns["segment"]["category"] and columns["segment"]["distinct"] == 4
    assert columns["code"]["patterns"][0] == {"regex": "[A-Z]{2}-\\d{5}", "share": 1.0}
    assert columns["id"]["distinct"] == 300 and columns["id"]["null_share"] == 0
    [fk] = profile["result"]["foreign_keys"]
    assert (fk["table"], fk["column"]) == ("orders", "customer_id")
    assert (fk["parent"], fk["parent_column"]) == ("customers", "id")
    assert fk["child_counts"]["min"] == 1 and fk["child_counts"]["max"] == 3
    kinds = {(f["table"], f["column"]): f["kind"] for f in profile["result"]["pii"]}
    assert kinds[("customers", "email")] == "email" and kinds[("customers", "first_name")] == "first_name"
    correlated = profile["result"]["tables"]["customers"]["correlations"]
    assert {"income", "age"} <= set(correlated["columns"])
    i, j = correlated["columns"].index("income"), correlated["columns"].index("age")
    assert correlated["matrix"][i][j] > 0.8  # income follows age in the sample


def test_the_inferred_spec_generates_look_alike_data_without_sample_values(profiled, api_client_for, tenant_a):
    client, profile, _ = profiled
    spec = profile["spec"]
    assert spec["version"] == 1.1
    customers = spec["tables"]["customers"]["columns"]
    assert customers["email"]["type"] == "faker" and customers["email"]["pii"] is True
    assert customers["income"]["type"] == "copula" and customers["age"]["type"] == "copula"
    assert spec["tables"]["orders"]["rows"]["per"] == "customer_id"
    assert spec["tables"]["orders"]["columns"]["customer_id"] == {"type": "reference", "table": "customers",
                                                                   "column": "id"}
    text = json.dumps(spec)
    assert SECRET_NAME not in text and SECRET_SEGMENT not in text and "retail" not in text
    response = client.post(f"{BASE}/profiles/{profile['id']}/dataset/", {"name": "look-alike"}, format="json")
    assert response.status_code == 201, response.content
    dataset = Dataset.objects.get(pk=response.json()["id"])
    assert dataset.name == "look-alike"
    assert client.get(f"{BASE}/profiles/{profile['id']}/").json()["dataset"] == dataset.pk


def test_approved_categories_keep_their_values_others_get_labels(profiled):
    client, profile, _ = profiled
    response = client.patch(f"{BASE}/profiles/{profile['id']}/", {"approved_categories": ["customers.segment"]},
                            format="json")
    assert response.status_code == 200, response.content
    marginal = response.json()["spec"]["tables"]["customers"]["columns"]["segment"]["marginal"]
    assert set(marginal["values"]) == {"retail", "pro", "enterprise", SECRET_SEGMENT}
    assert_error_shape(client.patch(f"{BASE}/profiles/{profile['id']}/", {"approved_categories": ["customers.age"]},
                                    format="json"), 400, paths={"approved_categories"})
    edited = response.json()["spec"]
    edited["tables"]["customers"]["rows"] = 12
    response = client.patch(f"{BASE}/profiles/{profile['id']}/", {"spec": edited}, format="json")
    assert response.status_code == 200 and response.json()["spec"]["tables"]["customers"]["rows"] == 12
    broken = {**edited, "tables": {"t": {"rows": 1, "columns": {"a": {"type": "nope"}}}}}
    assert_error_shape(client.patch(f"{BASE}/profiles/{profile['id']}/", {"spec": broken}, format="json"), 400,
                       paths={"spec.tables.t.columns.a.type"})


def test_values_never_reach_logs_audit_or_errors(tenant_a, upload, api_client_for, caplog,
                                                 django_capture_on_commit_callbacks):
    _, users = tenant_a
    caplog.set_level(logging.DEBUG)
    sample = upload(users["editor"], customers_csv(100)).json()["id"]
    client = api_client_for(users["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        profile = client.post(f"{BASE}/profiles/", {"samples": [sample]}, format="json").json()
    detail = client.get(f"{BASE}/profiles/{profile['id']}/").json()
    client.post(f"{BASE}/profiles/{profile['id']}/dataset/", {"name": "x"}, format="json")
    # a refused upload whose bad row holds the value
    bad = upload(users["editor"], f"id,name\n1,{SECRET_NAME}\n2,{SECRET_NAME},extra,fields\n".encode())
    assert bad.status_code == 400
    audit = json.dumps(list(AuditEvent.objects.values("action", "before", "after", "target_label")))
    for text in (caplog.text, audit, bad.content.decode(), json.dumps(detail["spec"])):
        assert SECRET_NAME not in text and SECRET_SEGMENT not in text
    # the profile itself holds them (it is the samples' statistics), shown only to their viewers
    assert SECRET_SEGMENT in json.dumps(detail["result"])


def test_profiles_are_visible_only_to_viewers_of_every_sample(profiled, tenant_a, tenant_b, api_client_for):
    _, profile, _ = profiled
    _, users = tenant_a
    viewer = api_client_for(users["viewer"])
    assert viewer.get(f"{BASE}/profiles/{profile['id']}/").status_code == 404
    assert viewer.get(f"{BASE}/profiles/").json()["results"] == []
    _, others = tenant_b
    outsider = api_client_for(others["owner"])
    assert outsider.get(f"/api/v1/tenants/beta/profiles/{profile['id']}/").status_code == 404
    assert outsider.post(f"/api/v1/tenants/beta/profiles/{profile['id']}/dataset/", {}, format="json").status_code \
        == 404
    assert api_client_for(users["admin"]).get(f"{BASE}/profiles/{profile['id']}/").status_code == 200


def test_purging_a_profile_removes_its_samples_and_their_files(profiled, tenant_a, api_client_for,
                                                                django_capture_on_commit_callbacks):
    client, profile, sample_ids = profiled
    _, users = tenant_a
    names = [Sample.objects.get(pk=pk).file.name for pk in sample_ids]
    assert all(os.path.exists(os.path.join(settings.MEDIA_ROOT, name)) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{BASE}/profiles/{profile['id']}/").status_code == 204  # the uploader may delete
    assert not Profile.all_objects.filter(pk=profile["id"]).exists()
    assert not Sample.all_objects.filter(pk__in=sample_ids).exists()
    assert not any(os.path.exists(os.path.join(settings.MEDIA_ROOT, name)) for name in names)
    assert AuditEvent.objects.filter(action="profile.purge").exists()


def test_bad_profile_requests(tenant_a, upload, api_client_for):
    _, users = tenant_a
    client = api_client_for(users["editor"])
    assert_error_shape(client.post(f"{BASE}/profiles/", {"samples": []}, format="json"), 400, paths={"samples"})
    assert_error_shape(client.post(f"{BASE}/profiles/", {"samples": [999]}, format="json"), 400, paths={"samples"})
    first = upload(users["editor"], customers_csv(20)).json()["id"]
    second = upload(users["editor"], customers_csv(20, seed=5)).json()["id"]
    assert_error_shape(client.post(f"{BASE}/profiles/", {"samples": [first, second]}, format="json"), 400,
                       paths={"samples"})
    assert api_client_for(users["viewer"]).post(f"{BASE}/profiles/", {"samples": [first]},
                                                format="json").status_code == 403


def test_a_profile_that_cannot_read_its_sample_fails_with_the_platforms_words(tenant_a, upload, api_client_for,
                                                                            django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    _, users = tenant_a
    sample_id = upload(users["editor"], customers_csv(20)).json()["id"]
    default_storage.delete(Sample.objects.get(pk=sample_id).file.name)
    client = api_client_for(users["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(f"{BASE}/profiles/", {"samples": [sample_id]}, format="json").json()
    profile = client.get(f"{BASE}/profiles/{created['id']}/").json()
    assert profile["status"] == "failed" and profile["error"] == "Reading or profiling the samples failed."
    assert profile["spec"] == {} and profile["result"] == {}
    assert_error_shape(client.post(f"{BASE}/profiles/{created['id']}/dataset/", {}, format="json"), 409)
