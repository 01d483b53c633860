"""Sizes and reference time of a generation request (API and job_run), and regenerating a version byte for byte.

A version made through the API with a seed, a reference time and absolute rows holds exactly the rows that
`synth_generate` writes from the same document and inputs: the exported files of each table are the same bytes.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.models import AuditEvent
from apps.datasets.models import DatasetVersion
from apps.exports.services import export_to_path
from apps.generation.models import GenerationJob
from tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"
REFERENCE = "2025-06-01T12:00:00Z"
SPEC = """\
version: 1.1
name: registry
seed: 11
tables:
  countries:
    rows: 4
    scale: false
    primary_key: code
    columns:
      code: {type: choice, values: [AT, BE, CH, DE], unique: true}
      label: {type: choice, values: ["=HYPERLINK(1)", "@risk", "plain", "+43"]}
  people:
    rows: 20
    primary_key: id
    columns:
      id: {type: sequence}
      country: {type: reference, table: countries}
      name: {type: faker, provider: name, pii: true}
      born: {type: date, start: -80y, end: -18y}
      seen_at: {type: datetime, start: -30d, end: now}
      score: {type: float, min: 0, max: 1, precision: 3, null_ratio: 0.2}
  visits:
    rows: {per: person, min: 0, max: 3}
    primary_key: id
    columns:
      id: {type: sequence}
      person: {type: reference, table: people}
      on: {type: date, start: -1y, end: today}
"""


@pytest.fixture
def dataset(tenant_a, make_dataset):
    tenant, users = tenant_a
    return make_dataset(tenant, users["owner"], name="registry", spec=SPEC)


def post(client, dataset, body, capture):
    with capture(execute=True):
        return client.post(f"{BASE}/datasets/{dataset.pk}/generate/", body, format="json")


def test_rows_and_reference_time_are_used_and_recorded(dataset, tenant_a, api_client_for,
                                                       django_capture_on_commit_callbacks):
    client = api_client_for(tenant_a[1]["editor"])
    response = post(client, dataset, {"seed": 5, "rows_scale": 3, "rows": {"people": 7},
                                      "reference_time": "2025-06-01T14:00:00.250+02:00"},
                    django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["parameters"]["rows"] == {"people": 7}
    assert job["parameters"]["reference_time"] == REFERENCE
    version = client.get(f"{BASE}/datasets/{dataset.pk}/versions/1/").json()
    assert version["status"] == "ready"
    assert version["rows"] == {"people": 7} and version["rows_scale"] == 3.0
    assert version["reference_time"].startswith("2025-06-01T12:00:00")
    # countries says scale: false, people was given, visits follow people.
    assert version["row_counts"]["countries"] == 4 and version["row_counts"]["people"] == 7
    assert version["manifest"]["rows"] == {"people": 7}
    assert version["manifest"]["reference_time"] == REFERENCE
    event = AuditEvent.objects.filter(action="version.create").get()
    assert event.after["rows_requested"] == {"people": 7}


@pytest.mark.parametrize(("body", "paths"), [
    ({"rows": {"nope": 3}}, {"rows.nope"}),
    ({"rows": {"visits": 3}}, {"rows.visits"}),
    ({"rows": {"people": -1}}, {"rows.people"}),
    ({"rows": {"people": "7"}}, {"rows.people"}),
    ({"rows": {"people": 7.5}}, {"rows.people"}),
    ({"rows": {"people": True}}, {"rows.people"}),
    ({"rows": {"people": 10**11}}, {"rows.people"}),
    ({"rows": {"countries": 5}}, {"rows.countries"}),  # beyond the 4 distinct codes of a unique column
    ({"rows": [["people", 3]]}, {"rows"}),
    ({"rows": {f"t{i}": 1 for i in range(101)}}, {"rows"}),
    ({"reference_time": "yesterday"}, {"reference_time"}),
    ({"reference_time": "2025-06-01T12:00:00"}, {"reference_time"}),  # no zone
    ({"reference_time": "0001-01-01T00:00:00+05:00"}, {"reference_time"}),
    ({"reference_time": "9999-12-31T23:59:59Z"}, {"reference_time"}),
    ({"reference_time": 1717243200}, {"reference_time"}),
    # Relative dates that leave the calendar at this reference time: the reference time's fault.
    ({"reference_time": "0050-01-01T00:00:00Z"}, {"reference_time"}),
])
def test_bad_sizes_and_times_are_400_with_paths_and_create_nothing(dataset, tenant_a, api_client_for, body, paths):
    client = api_client_for(tenant_a[1]["editor"])
    assert_error_shape(client.post(f"{BASE}/datasets/{dataset.pk}/generate/", body, format="json"), 400, paths=paths)
    assert not GenerationJob.objects.exists() and not DatasetVersion.all_objects.exists()


def test_a_per_table_explains_that_it_follows_its_parent(dataset, tenant_a, api_client_for):
    client = api_client_for(tenant_a[1]["editor"])
    error = assert_error_shape(client.post(f"{BASE}/datasets/{dataset.pk}/generate/", {"rows": {"visits": 3}},
                                           format="json"), 400, paths={"rows.visits"})
    assert "follows its parent" in error["details"][0]["message"] and "people" in error["details"][0]["message"]


def test_rows_are_held_to_the_quota_before_anything_is_written(dataset, tenant_a, api_client_for):
    dataset.tenant.max_rows_per_version = 1000
    dataset.tenant.save()
    client = api_client_for(tenant_a[1]["editor"])
    url = f"{BASE}/datasets/{dataset.pk}/generate/"
    error = assert_error_shape(client.post(url, {"rows": {"people": 5000}}, format="json"), 400,
                               paths={"rows.people"})
    assert "above the limit of 1000" in json.dumps(error)
    assert not GenerationJob.objects.exists() and not DatasetVersion.all_objects.exists()


def test_another_tenant_cannot_generate_with_sizes(dataset, tenant_b, api_client_for):
    client = api_client_for(tenant_b[1]["owner"])
    body = {"rows": {"people": 3}, "reference_time": REFERENCE}
    assert_error_shape(client.post(f"{BASE}/datasets/{dataset.pk}/generate/", body, format="json"), 404)
    assert_error_shape(client.post(f"/api/v1/tenants/beta/datasets/{dataset.pk}/generate/", body, format="json"),
                       404)
    assert not GenerationJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_job_run_takes_rows_and_reference_time(dataset, capsys):
    call_command("job_run", "--dataset", str(dataset.pk), "--seed", "4", "--rows", "people=6",
                 "--reference-time", REFERENCE, "--wait", "--timeout", "60")
    assert "succeeded" in capsys.readouterr().out
    version = DatasetVersion.objects.get()
    assert version.rows == {"people": 6} and version.row_counts["people"] == 6
    assert version.reference_time == datetime(2025, 6, 1, 12, tzinfo=UTC)
    for args, words in ((["--rows", "visits=2"], "rows.visits"), (["--rows", "people"], "TABLE=N"),
                        (["--reference-time", "soon"], "--reference-time")):
        with pytest.raises(CommandError, match=words):
            call_command("job_run", "--dataset", str(dataset.pk), *args)
    assert DatasetVersion.objects.count() == 1


def test_a_version_made_through_the_api_is_byte_identical_to_synth_generate(
        dataset, tenant_a, api_client_for, django_capture_on_commit_callbacks, tmp_path):
    client = api_client_for(tenant_a[1]["editor"])
    body = {"seed": 99, "reference_time": REFERENCE, "rows_scale": 2, "rows": {"people": 57}}
    assert post(client, dataset, body, django_capture_on_commit_callbacks).status_code == 202
    version = DatasetVersion.objects.get()
    assert version.status == "ready" and version.row_counts["visits"] > 0

    spec_path = tmp_path / "registry.yaml"
    spec_path.write_text(SPEC, encoding="utf-8")
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"files-{fmt}"
        call_command("synth_generate", "--spec", str(spec_path), "--seed", "99", "--reference-time", REFERENCE,
                     "--rows-scale", "2", "--rows", "people=57", "--format", fmt, "--chunk-size", "13",
                     "--out", str(out), stdout=io.StringIO())
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["spec_hash"] == version.spec_hash
        assert {t: e["rows"] for t, e in manifest["tables"].items()} == version.row_counts
        for table in version.row_counts:
            exported = tmp_path / f"export-{table}.{fmt}"
            export_to_path(version=version, fmt=fmt, path=exported, tables=[table])
            assert exported.read_bytes() == (out / f"{table}.{fmt}").read_bytes(), (fmt, table)
    # The CSV neutralised the formula-like labels in both.
    assert b"'=HYPERLINK(1)" in (tmp_path / "files-csv" / "countries.csv").read_bytes()
