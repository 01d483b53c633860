import copy

import pytest

from apps.audit.models import AuditEvent
from apps.datasets.models import Dataset, DatasetVersion, Record
from tests.conftest import SHOP_SPEC, assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def shop(tenant_a, make_dataset, make_version):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["editor"])
    version = make_version(dataset, users["editor"])
    return dataset, version


def test_create_from_spec_and_from_template(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["editor"])
    response = client.post(f"{BASE}/datasets/", {"name": "Shop", "spec": SHOP_SPEC}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["spec_hash"] and len(body["spec_hash"]) == 64 and body["default_seed"] == 7
    response = client.post(f"{BASE}/datasets/", {"template": "ecommerce"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["template_name"] == "ecommerce"
    assert AuditEvent.objects.filter(tenant=tenant, action="dataset.create").count() == 2


def test_yaml_text_spec_is_accepted(tenant_a, api_client_for):
    import yaml

    tenant, users = tenant_a
    response = api_client_for(users["editor"]).post(
        f"{BASE}/datasets/", {"spec": yaml.safe_dump(SHOP_SPEC)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "shop"


def test_yaml_text_means_what_the_engine_reads(tenant_a, api_client_for):
    """`NO` (Norway) stays a string: the stored document is read by the engine's loader, not plain YAML."""
    tenant, users = tenant_a
    text = (
        "version: 1\nname: nordics\ntables:\n  people:\n    rows: 5\n    columns:\n"
        "      country: {type: choice, values: [NO, SE, DK]}\n"
    )
    client = api_client_for(users["editor"])
    response = client.post(f"{BASE}/datasets/", {"spec": text}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["spec"]["tables"]["people"]["columns"]["country"]["values"] == ["NO", "SE", "DK"]
    assert_error_shape(client.post(f"{BASE}/datasets/", {"spec": "a: &x 1\nb: *x"}, format="json"), 400,
                       paths={"spec"})


def test_bad_spec_answers_400_with_every_path_and_stores_nothing(tenant_a, api_client_for):
    tenant, users = tenant_a
    bad = copy.deepcopy(SHOP_SPEC)
    bad["tables"]["customers"]["columns"]["age"] = {"type": "integer", "min": 90, "max": 18}
    bad["tables"]["orders"]["columns"]["customer_id"] = {"type": "reference", "table": "customer"}
    bad["tables"]["orders"]["colour"] = "blue"
    response = api_client_for(users["editor"]).post(f"{BASE}/datasets/", {"spec": bad}, format="json")
    assert_error_shape(response, 400, paths={
        "spec.tables.customers.columns.age",
        "spec.tables.orders.columns.customer_id",
        "spec.tables.orders.colour",
    })
    assert not Dataset.all_objects.exists()
    assert not AuditEvent.objects.filter(action="dataset.create").exists()


def test_other_bad_create_inputs(tenant_a, api_client_for, make_dataset):
    tenant, users = tenant_a
    make_dataset(tenant, users["owner"], name="taken")
    client = api_client_for(users["editor"])
    assert_error_shape(client.post(f"{BASE}/datasets/", {}, format="json"), 400, paths={"spec"})
    assert_error_shape(client.post(f"{BASE}/datasets/", {"spec": "a: [unclosed"}, format="json"), 400,
                       paths={"spec"})
    assert_error_shape(client.post(f"{BASE}/datasets/", {"template": "nope"}, format="json"), 400,
                       paths={"template"})
    assert_error_shape(client.post(f"{BASE}/datasets/", {"spec": SHOP_SPEC, "template": "ecommerce"},
                                   format="json"), 400, paths={"template"})
    assert_error_shape(client.post(f"{BASE}/datasets/", {"name": "taken", "spec": SHOP_SPEC}, format="json"), 400,
                       paths={"name"})
    assert_error_shape(client.post(f"{BASE}/datasets/", {"spec": SHOP_SPEC, "default_seed": -1}, format="json"),
                       400, paths={"default_seed"})
    assert Dataset.objects.count() == 1


def test_spec_over_the_row_quota_is_refused(tenant_a, api_client_for):
    tenant, users = tenant_a
    tenant.max_rows_per_version = 20
    tenant.save()
    response = api_client_for(users["editor"]).post(f"{BASE}/datasets/", {"spec": SHOP_SPEC}, format="json")
    error = assert_error_shape(response, 400)
    assert any(d["path"].startswith("spec") for d in error["details"])
    assert not Dataset.objects.exists()


def test_viewer_cannot_create_change_or_delete(tenant_a, api_client_for, make_dataset):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    client = api_client_for(users["viewer"])
    assert client.get(f"{BASE}/datasets/{dataset.pk}/").status_code == 200
    assert_error_shape(client.post(f"{BASE}/datasets/", {"spec": SHOP_SPEC}, format="json"), 403)
    assert_error_shape(client.patch(f"{BASE}/datasets/{dataset.pk}/", {"name": "x"}, format="json"), 403)
    assert_error_shape(client.delete(f"{BASE}/datasets/{dataset.pk}/"), 403)
    dataset.refresh_from_db()
    assert dataset.name == "shop" and dataset.deleted_at is None


def test_update_changes_spec_and_audits(tenant_a, api_client_for, make_dataset):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    spec = copy.deepcopy(SHOP_SPEC)
    spec["tables"]["customers"]["rows"] = 5
    response = api_client_for(users["editor"]).patch(f"{BASE}/datasets/{dataset.pk}/",
                                                      {"spec": spec, "name": "shop2"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["spec_hash"] != dataset.spec_hash
    event = AuditEvent.objects.get(action="dataset.update")
    assert event.before["name"] == "shop" and event.after["name"] == "shop2"
    bad = copy.deepcopy(SHOP_SPEC)
    bad["tables"]["customers"]["rows"] = -1
    assert_error_shape(api_client_for(users["editor"]).patch(f"{BASE}/datasets/{dataset.pk}/", {"spec": bad},
                                                             format="json"), 400,
                       paths={"spec.tables.customers.rows"})
    dataset.refresh_from_db()
    assert dataset.spec["tables"]["customers"]["rows"] == 5


def test_list_filter_search_ordering(tenant_a, api_client_for, make_dataset):
    tenant, users = tenant_a
    make_dataset(tenant, users["owner"], name="alpha shop")
    make_dataset(tenant, users["owner"], name="beta shop", description="for payments")
    client = api_client_for(users["viewer"])
    names = [d["name"] for d in client.get(f"{BASE}/datasets/", {"ordering": "name"}).json()["results"]]
    assert names == ["alpha shop", "beta shop"]
    names = [d["name"] for d in client.get(f"{BASE}/datasets/", {"search": "payments"}).json()["results"]]
    assert names == ["beta shop"]


def test_trash_and_restore(tenant_a, api_client_for, make_dataset):
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    client = api_client_for(users["admin"])
    assert client.delete(f"{BASE}/datasets/{dataset.pk}/").status_code == 204
    assert_error_shape(client.get(f"{BASE}/datasets/{dataset.pk}/"), 404)
    assert client.get(f"{BASE}/datasets/").json()["results"] == []
    trash = client.get(f"{BASE}/trash/datasets/").json()["results"]
    assert [d["id"] for d in trash] == [dataset.pk]
    # A new dataset took the name meanwhile: restoring would clash.
    other = Dataset.objects.create(tenant=tenant, name="shop", spec={}, spec_hash="x")
    assert_error_shape(client.post(f"{BASE}/trash/datasets/{dataset.pk}/restore/"), 409)
    other.delete()
    assert client.post(f"{BASE}/trash/datasets/{dataset.pk}/restore/").status_code == 200
    assert client.get(f"{BASE}/datasets/{dataset.pk}/").status_code == 200
    # The route API.md names works too; restoring a dataset that is not in the trash is a 404.
    assert client.delete(f"{BASE}/datasets/{dataset.pk}/").status_code == 204
    assert client.post(f"{BASE}/datasets/{dataset.pk}/restore/").status_code == 200
    assert_error_shape(client.post(f"{BASE}/datasets/{dataset.pk}/restore/"), 404)
    actions = set(AuditEvent.objects.filter(target_id=str(dataset.pk), target_type="datasets.dataset")
                  .values_list("action", flat=True))
    assert {"dataset.delete", "dataset.restore"} <= actions


def test_versions_and_records(shop, tenant_a, api_client_for):
    dataset, version = shop
    tenant, users = tenant_a
    client = api_client_for(users["viewer"])
    versions = client.get(f"{BASE}/datasets/{dataset.pk}/versions/").json()["results"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "ready")]
    detail = client.get(f"{BASE}/datasets/{dataset.pk}/versions/1/").json()
    assert detail["row_counts"]["customers"] == 30 and detail["manifest"]["seed"] == 7
    page = client.get(f"{BASE}/datasets/{dataset.pk}/versions/1/records/", {"table": "customers", "page_size": 10})
    body = page.json()
    assert [r["row_index"] for r in body["results"]] == list(range(10))
    second = client.get(body["next"]).json()
    assert [r["row_index"] for r in second["results"]] == list(range(10, 20))
    one = client.get(f"{BASE}/datasets/{dataset.pk}/versions/1/records/3/", {"table": "customers"}).json()
    assert one["data"]["id"] == 4 and one["table"] == "customers"
    # Columns come back in the spec's order on every database (JSONB would sort them by length).
    assert list(one["data"]) == ["id", "country", "age", "name"]
    assert list(body["results"][0]["data"]) == ["id", "country", "age", "name"]
    stored_spec = client.get(f"{BASE}/datasets/{dataset.pk}/").json()["spec"]
    assert list(stored_spec["tables"]["customers"]["columns"]) == ["id", "country", "age", "name"]
    assert_error_shape(client.get(f"{BASE}/datasets/{dataset.pk}/versions/1/records/"), 400, paths={"table"})
    assert_error_shape(client.get(f"{BASE}/datasets/{dataset.pk}/versions/1/records/", {"table": "nope"}), 400,
                       paths={"table"})
    assert_error_shape(client.get(f"{BASE}/datasets/{dataset.pk}/versions/9/"), 404)


def test_record_filters(shop, tenant_a, api_client_for):
    dataset, version = shop
    tenant, users = tenant_a
    client = api_client_for(users["viewer"])
    url = f"{BASE}/datasets/{dataset.pk}/versions/1/records/"
    stored = {r.row_index: r.data for r in Record.objects.filter(version=version, table_name="customers")}

    def indexes(**params):
        response = client.get(url, {"table": "customers", "page_size": 100, **params})
        assert response.status_code == 200, response.content
        return sorted(r["row_index"] for r in response.json()["results"])

    assert indexes(data__country="NL") == sorted(i for i, d in stored.items() if d["country"] == "NL")
    assert indexes(data__age__gte=50) == sorted(i for i, d in stored.items() if d["age"] >= 50)
    assert indexes(data__age__lte=30) == sorted(i for i, d in stored.items() if d["age"] <= 30)
    assert indexes(data__country__in="NL,FR") == sorted(i for i, d in stored.items() if d["country"] in ("NL", "FR"))
    some_name = stored[0]["name"].split()[0][1:4].lower()
    assert indexes(data__name__icontains=some_name) == sorted(
        i for i, d in stored.items() if some_name in d["name"].lower())
    assert_error_shape(client.get(url, {"table": "customers", "data__Bad-Key": "1"}), 400, paths={"data__Bad-Key"})
    assert_error_shape(client.get(url, {"table": "customers", "data__age__isnull": "maybe"}), 400,
                       paths={"data__age__isnull"})


def test_deleted_records_vanish_and_come_back(shop, tenant_a, api_client_for):
    dataset, version = shop
    tenant, users = tenant_a
    url = f"{BASE}/datasets/{dataset.pk}/versions/1/records/"

    def listed(client):
        return [r["row_index"] for r in client.get(url, {"table": "customers", "page_size": 100}).json()["results"]]

    viewer = api_client_for(users["viewer"])
    assert_error_shape(viewer.delete(f"{url}5/?table=customers"), 403)
    editor = api_client_for(users["editor"])
    assert editor.delete(f"{url}5/?table=customers").status_code == 204
    assert 5 not in listed(viewer)
    assert_error_shape(viewer.get(f"{url}5/", {"table": "customers"}), 404)
    assert editor.post(f"{url}5/restore/?table=customers").status_code == 200
    assert 5 in listed(viewer)
    assert {"record.delete", "record.restore"} <= set(AuditEvent.objects.values_list("action", flat=True))


def test_version_trash_and_restore(shop, tenant_a, api_client_for):
    dataset, version = shop
    tenant, users = tenant_a
    client = api_client_for(users["admin"])
    assert client.delete(f"{BASE}/datasets/{dataset.pk}/versions/1/").status_code == 204
    assert client.get(f"{BASE}/datasets/{dataset.pk}/versions/").json()["results"] == []
    assert_error_shape(client.get(f"{BASE}/datasets/{dataset.pk}/versions/1/records/", {"table": "customers"}), 404)
    assert client.post(f"{BASE}/datasets/{dataset.pk}/versions/1/restore/").status_code == 200
    assert DatasetVersion.objects.filter(pk=version.pk).exists()


def test_preview_validate_and_templates(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["viewer"])
    preview = client.post(f"{BASE}/preview/", {"spec": SHOP_SPEC, "rows": 5}, format="json")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert len(body["tables"]["customers"]) == 5 and body["row_counts"]["customers"] == 30
    assert not Dataset.objects.exists()
    assert_error_shape(client.post(f"{BASE}/preview/", {"spec": SHOP_SPEC, "rows": 101}, format="json"), 400,
                       paths={"rows"})
    ok = client.post(f"{BASE}/specs/validate/", {"spec": SHOP_SPEC}, format="json").json()
    assert ok["valid"] is True and ok["errors"] == [] and len(ok["spec_hash"]) == 64
    bad = copy.deepcopy(SHOP_SPEC)
    bad["tables"]["customers"]["columns"]["age"]["min"] = 100
    result = client.post(f"{BASE}/specs/validate/", {"spec": bad}, format="json").json()
    assert result["valid"] is False
    assert [e["path"] for e in result["errors"]] == ["spec.tables.customers.columns.age"]
    templates = client.get("/api/v1/templates/").json()
    names = {t["name"] for t in templates}
    assert {"persons-vehicles", "hr-basic", "travel-documents", "tailings-monitoring", "content-platform",
            "ecommerce"} <= names
    detail = client.get("/api/v1/templates/hr-basic/").json()
    assert "departments" in detail["spec"]["tables"] and "source" in detail
    assert_error_shape(client.get("/api/v1/templates/nope/"), 404)


def test_preview_of_a_row_the_document_cannot_make_is_a_400_naming_column_and_row(tenant_a, api_client_for):
    tenant, users = tenant_a
    client = api_client_for(users["viewer"])
    spec = {"version": 1.1, "name": "passports", "seed": 1, "tables": {"p": {"rows": 5, "columns": {
        "nationality": {"type": "constant", "value": "CHN"},
        "surname": {"type": "faker", "provider": "last_name", "locale": {"column": "nationality"}},
        "mrz": {"type": "mrz_td3", "fields": {"surname": "surname", "nationality": "nationality"}},
    }}}}
    error = assert_error_shape(client.post(f"{BASE}/preview/", {"spec": spec, "rows": 5}, format="json"), 400,
                               paths={"spec.tables.p.columns.mrz"})
    assert "row 0" in str(error["details"]) and "cannot be written in an MRZ" in str(error["details"])
    assert not Dataset.objects.exists()
