"""quality_report: the database-free form (two directories) and the stored-version form, and bad inputs."""

import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from tests.conftest import SHOP_SPEC


def _people(rng, n, shift=0.0):
    age = rng.normal(40 + shift, 10, n).round()
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "age": age,
        "income": (age * 1000 + rng.normal(0, 4000, n)).round(2),
        "plan": rng.choice(["free", "pro", "team"], n, p=[0.7, 0.2, 0.1]),
        "joined": pd.date_range("2020-01-01", periods=n, freq="13h").strftime("%Y-%m-%dT%H:%M:%S"),
    })


@pytest.fixture
def dirs(tmp_path):
    rng = np.random.default_rng(5)
    sample, synthetic = tmp_path / "sample", tmp_path / "synthetic"
    sample.mkdir()
    synthetic.mkdir()
    _people(rng, 400).to_csv(sample / "people.csv", index=False)
    _people(rng, 500, shift=1).to_json(synthetic / "people.jsonl", orient="records", lines=True)
    return sample, synthetic


def test_two_directories_give_scores_a_json_and_a_standalone_html(dirs, tmp_path, capsys):
    sample, synthetic = dirs
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    call_command("quality_report", "--sample", str(sample), "--synthetic", str(synthetic),
                 "--json", str(out_json), "--html", str(out_html))
    printed = capsys.readouterr().out
    assert "overall quality 0.9" in printed
    assert "people: exact-copy rate 0.000" in printed
    report = json.loads(out_json.read_text())
    assert report["tables"]["people"]["sdtypes"] == {"id": "id", "age": "numerical", "income": "numerical",
                                                     "plan": "categorical", "joined": "datetime"}
    assert report["quality"]["properties"]["column_pair_trends"] > 0.9  # age and income stay correlated
    html = out_html.read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") >= 5
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "free" not in html  # category labels are ranks, not the sample's values


def test_a_version_scored_against_its_own_records_is_a_perfect_copy(make_tenant, make_dataset, make_version,
                                                                     tmp_path, capsys):
    tenant, users = make_tenant("acme")
    owner = users["owner"]
    version = make_version(make_dataset(tenant, owner, spec=SHOP_SPEC), actor=owner)
    from apps.exports.selectors import record_rows
    sample = tmp_path / "sample"
    sample.mkdir()
    rows = [json.loads(r) for r in record_rows(version_id=version.pk, table="customers")]
    pd.DataFrame(rows).to_csv(sample / "customers.csv", index=False)
    call_command("quality_report", "--sample", str(sample), "--dataset", str(version.dataset_id),
                 "--version", str(version.number))
    printed = capsys.readouterr().out
    assert "column shapes: 1.000" in printed
    assert "customers: exact-copy rate 1.000" in printed
    assert "PII columns 1" in printed  # name, from the version's spec


@pytest.mark.django_db
def test_unknown_version_and_table(dirs):
    sample, _ = dirs
    with pytest.raises(CommandError, match="dataset 999 has no version 1"):
        call_command("quality_report", "--sample", str(sample), "--dataset", "999", "--version", "1")


def test_bad_inputs_name_the_path(dirs, tmp_path):
    sample, synthetic = dirs
    with pytest.raises(CommandError, match="either --synthetic"):
        call_command("quality_report", "--sample", str(sample))
    with pytest.raises(CommandError, match="not a directory"):
        call_command("quality_report", "--sample", str(tmp_path / "nowhere"), "--synthetic", str(synthetic))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CommandError, match="holds no .csv"):
        call_command("quality_report", "--sample", str(empty), "--synthetic", str(synthetic))
    other = tmp_path / "other"
    other.mkdir()
    (other / "orders.csv").write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="no synthetic rows for table"):
        call_command("quality_report", "--sample", str(sample), "--synthetic", str(other))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "people.parquet").write_bytes(b"not parquet")
    with pytest.raises(CommandError, match=r"people.parquet: not a readable parquet table"):
        call_command("quality_report", "--sample", str(sample), "--synthetic", str(broken))
    bad_spec = tmp_path / "spec.yaml"
    bad_spec.write_text("- a list")
    with pytest.raises(CommandError, match="spec.yaml: not a schema document"):
        call_command("quality_report", "--sample", str(sample), "--synthetic", str(synthetic), "--spec",
                     str(bad_spec))
