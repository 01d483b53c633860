"""GET .../datasets/{id}/versions/{n}/quality/: refusals, another tenant, and (with the profiling models) the
report computed in a task from the samples the dataset was inferred from."""

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import SHOP_SPEC, assert_error_shape


def quality_url(version, number=None, tenant=None):
    return (f"/api/v1/tenants/{(tenant or version.tenant).slug}/datasets/{version.dataset_id}/versions/"
            f"{number or version.number}/quality/")


@pytest.fixture
def shop(make_tenant, make_dataset, make_version, api_client_for):
    tenant, users = make_tenant("acme")
    version = make_version(make_dataset(tenant, users["owner"], spec=SHOP_SPEC), actor=users["owner"])
    return version, users, api_client_for


def test_unknown_version_is_404(shop):
    version, users, client_for = shop
    response = client_for(users["viewer"]).get(quality_url(version, number=99))
    assert_error_shape(response, 404)


def test_another_tenant_gets_404(shop, make_tenant):
    version, _, client_for = shop
    _, others = make_tenant("other")
    assert_error_shape(client_for(others["owner"]).get(quality_url(version)), 404)
    # Its own tenant in the URL does not reach the version either.
    other_tenant = others["owner"].memberships.first().tenant
    assert_error_shape(client_for(others["owner"]).get(quality_url(version, tenant=other_tenant)), 404)


def test_a_version_without_a_sample_is_400_naming_the_sample(shop):
    version, users, client_for = shop
    response = client_for(users["viewer"]).get(quality_url(version))
    assert_error_shape(response, 400, paths={"sample"})
    version.refresh_from_db()
    assert version.quality_report == {}  # nothing written


def test_a_version_not_ready_is_400(shop):
    version, users, client_for = shop
    type(version).all_objects.filter(pk=version.pk).update(status="generating")
    assert_error_shape(client_for(users["viewer"]).get(quality_url(version)), 400, paths={"version"})


def test_bad_download_value_is_400(shop):
    version, users, client_for = shop
    # The sample check comes first, so a wrong download value is reported on a version with a sample only;
    # here the sample is what is missing.
    assert_error_shape(client_for(users["viewer"]).get(quality_url(version) + "?download=pdf"), 400)


# --- with samples (needs the profiling app's models) ---------------------------------------------------------

def _sample_csv(n=300, seed=3):
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    frame = pd.DataFrame({"id": np.arange(1, n + 1), "country": rng.choice(["NL", "DE", "FR"], n),
                          "age": age, "name": [f"person {i}" for i in range(n)]})
    return frame.to_csv(index=False).encode()


def test_the_report_is_computed_in_a_task_and_stored_with_the_version(shop, django_capture_on_commit_callbacks):
    models = pytest.importorskip("apps.profiling.models")
    from apps.profiling import services as profiling_services

    version, users, client_for = shop
    owner = users["owner"]
    sample = profiling_services.sample_upload(
        tenant=version.tenant, actor=owner, table_name="customers",
        uploaded=SimpleUploadedFile("customers.csv", _sample_csv()))
    profile = models.Profile.objects.create(tenant=version.tenant, status="succeeded",
                                            created_dataset_id=version.dataset_id, requested_by=owner)
    profile.samples.add(sample)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).get(quality_url(version))
    # The first answer is the queued state; the queue runs the task synchronously in the tests once the
    # request's transaction commits.
    assert response.status_code == 202 and response.json()["status"] == "queued"
    response = client_for(owner).get(quality_url(version))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready" and body["progress"] == 1.0
    report = body["report"]
    assert 0 < report["quality"]["overall"] <= 1
    customers = report["tables"]["customers"]
    assert customers["sdtypes"]["age"] == "numerical" and customers["sdtypes"]["country"] == "categorical"
    assert [p["column"] for p in customers["privacy"]["pii_columns"]] == ["name"]
    assert "person 1" not in response.content.decode()  # no sample value in the report

    html = client_for(owner).get(quality_url(version) + "?download=html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert "attachment" in html["Content-Disposition"] and b"<svg" in html.content

    # A viewer of the dataset who may not view the sample gets no report built from it.
    assert_error_shape(client_for(users["viewer"]).get(quality_url(version)), 403)
