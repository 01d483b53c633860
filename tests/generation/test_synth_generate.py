"""`manage.py synth_generate`: files and manifest, determinism, errors, and no database needed.

These tests have no `db` fixture: pytest-django refuses database access in them, so a command that
touched the database would fail here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.generation.engine import generate_chunk, plan
from apps.generation.engine.builtin_templates import load_template, template_names

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = "2025-06-01T12:00:00Z"
BROKEN_SPEC = """
version: 1
name: broken
tables:
  employees:
    rows: 10
    columns:
      emp_id: {type: sequence}
      salary: {type: float, min: 90000, max: 30000}
  orders:
    rows: 5
    columns:
      customer_id: {type: reference, table: customer}
"""


def generate(out: Path, *args: str) -> dict:
    stdout = io.StringIO()
    call_command("synth_generate", *args, "--out", str(out), stdout=stdout)
    assert "manifest" in stdout.getvalue()
    return json.loads((out / "manifest.json").read_text())


def engine_rows(name: str, seed: int, table: str, rows_scale: float = 1.0) -> list[dict]:
    the_plan = plan(load_template(name), seed=seed, rows_scale=rows_scale,
                    reference_time=datetime(2025, 6, 1, 12, tzinfo=UTC))
    return list(generate_chunk(the_plan, table, 0, the_plan.row_counts[table]).rows())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_csv_files_and_manifest(tmp_path):
    manifest = generate(tmp_path, "--template", "hr-basic", "--seed", "7", "--reference-time", REFERENCE,
                        "--chunk-size", "300")
    spec = load_template("hr-basic")
    assert manifest["template"] == "hr-basic" and manifest["dataset"] == "hr-basic"
    assert manifest["version"] is None and manifest["synthetic"] is True and manifest["rows"] == {}
    assert manifest["spec"] is None
    assert manifest["spec_hash"] == spec.hash
    assert manifest["seed"] == 7
    assert manifest["reference_time"] == REFERENCE
    assert manifest["rows_scale"] == 1.0
    assert manifest["format"] == "csv"
    assert manifest["generator_version"]
    assert set(manifest["tables"]) == {"departments", "employees"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["departments.csv", "employees.csv", "manifest.json"]
    assert [entry["table"] for entry in manifest["files"]] == ["departments", "employees"]
    for entry in manifest["files"]:
        table, path = entry["table"], tmp_path / entry["name"]
        assert entry["name"] == f"{table}.csv" and entry["rows"] == manifest["tables"][table]["rows"]
        assert entry["sha256"] == sha256(path) and entry["bytes"] == path.stat().st_size
        raw = path.read_bytes()
        assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
        with path.open(newline="", encoding="utf-8") as handle:
            records = list(csv.reader(handle))
        assert records[0] == list(spec.table(table)["columns"])
        assert len(records) - 1 == entry["rows"] == len(engine_rows("hr-basic", 7, table))

    expected = engine_rows("hr-basic", 7, "employees")
    with (tmp_path / "employees.csv").open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    for row, record in zip(expected, records, strict=True):
        assert record["emp_id"] == str(row["emp_id"])
        assert record["email"] == row["email"]
        assert record["salary"] == str(row["salary"])
        assert record["is_active"] == ("true" if row["is_active"] else "false")
        assert record["manager_id"] == ("" if row["manager_id"] is None else str(row["manager_id"]))


def test_csv_writes_arrays_and_objects_as_compact_json(tmp_path):
    manifest = generate(tmp_path, "--template", "travel-documents", "--seed", "3", "--reference-time", REFERENCE,
                        "--rows-scale", "0.1")
    assert manifest["rows_scale"] == 0.1
    expected = engine_rows("travel-documents", 3, "mdl_credentials", rows_scale=0.1)
    with (tmp_path / "mdl_credentials.csv").open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    assert len(records) == len(expected) == manifest["tables"]["mdl_credentials"]["rows"]
    for row, record in zip(expected, records, strict=True):
        assert json.loads(record["categories"]) == row["categories"]
        assert json.loads(record["wallet"]) == row["wallet"]
        assert ", " not in record["categories"] and ": " not in record["wallet"]
    # The MRZ holds a line break: CSV quotes the field and it reads back whole.
    passports = engine_rows("travel-documents", 3, "passports", rows_scale=0.1)
    with (tmp_path / "passports.csv").open(newline="", encoding="utf-8") as handle:
        assert [r["mrz"] for r in csv.DictReader(handle)] == [p["mrz"] for p in passports]


@pytest.mark.parametrize("file_format", ["jsonl", "json"])
def test_json_formats_hold_the_engine_rows(tmp_path, file_format):
    manifest = generate(tmp_path, "--template", "ecommerce", "--seed", "11", "--reference-time", REFERENCE,
                        "--format", file_format, "--chunk-size", "700")
    assert manifest["format"] == file_format
    for entry in manifest["files"]:
        table = entry["table"]
        path = tmp_path / f"{table}.{file_format}"
        assert entry["name"] == path.name and entry["sha256"] == sha256(path)
        text = path.read_text(encoding="utf-8")
        if file_format == "jsonl":
            rows = [json.loads(line) for line in text.splitlines()]
            assert text.endswith("\n")
        else:
            rows = json.loads(text)
        assert rows == engine_rows("ecommerce", 11, table)
        assert entry["rows"] == len(rows)


def test_same_seed_gives_the_same_bytes_whatever_the_chunk_size(tmp_path):
    common = ("--template", "content-platform", "--seed", "5", "--reference-time", REFERENCE,
              "--rows-scale", "0.2")
    first = generate(tmp_path / "a", *common, "--chunk-size", "50000")
    second = generate(tmp_path / "b", *common, "--chunk-size", "97")
    hashes = {entry["table"]: entry["sha256"] for entry in first["files"]}
    assert hashes == {entry["table"]: entry["sha256"] for entry in second["files"]}
    other = generate(tmp_path / "c", *common[:2], "--seed", "6", *common[4:])
    assert other["seed"] == 6
    other_hashes = {entry["table"]: entry["sha256"] for entry in other["files"]}
    assert all(other_hashes[t] != h for t, h in hashes.items() if first["tables"][t]["rows"])


def test_default_seed_is_the_documents_and_is_recorded(tmp_path):
    manifest = generate(tmp_path, "--template", "hr-basic", "--reference-time", REFERENCE)
    assert manifest["seed"] == load_template("hr-basic").doc["seed"]


def test_spec_file(tmp_path):
    spec_path = tmp_path / "people.yaml"
    spec_path.write_text(
        "version: 1\nname: people\nseed: 1\ntables:\n  people:\n    rows: 25\n    columns:\n"
        "      id: {type: sequence}\n      nick: {type: choice, values: [a, b]}\n", encoding="utf-8")
    manifest = generate(tmp_path / "out", "--spec", str(spec_path), "--format", "jsonl")
    assert manifest["spec"] == str(spec_path) and manifest["template"] is None
    assert manifest["dataset"] == "people" and manifest["tables"]["people"]["rows"] == 25
    lines = (tmp_path / "out" / "people.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(range(1, 26))


def test_empty_table_still_gets_a_file(tmp_path):
    spec_path = tmp_path / "empty.yaml"
    spec_path.write_text("version: 1\nname: empty\ntables:\n  nothing:\n    rows: 0\n    columns:\n"
                         "      id: {type: sequence}\n      label: {type: constant, value: x}\n", encoding="utf-8")
    for file_format, content in (("csv", "id,label\r\n"), ("jsonl", ""), ("json", "[]\n")):
        out = tmp_path / file_format
        manifest = generate(out, "--spec", str(spec_path), "--format", file_format)
        assert manifest["tables"]["nothing"]["rows"] == 0
        assert (out / f"nothing.{file_format}").read_bytes().decode() == content


# ------------------------------------------------------------------------------------------ errors
def test_invalid_spec_lists_every_problem_with_its_path(tmp_path):
    spec_path = tmp_path / "broken.yaml"
    spec_path.write_text(BROKEN_SPEC, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("synth_generate", "--spec", str(spec_path), "--out", str(tmp_path / "out"))
    message = str(caught.value)
    assert str(spec_path) in message
    assert "tables.employees.columns.salary: min (90000) is greater than max (30000)" in message
    assert "tables.orders.columns.customer_id:" in message and "'customer'" in message
    assert not (tmp_path / "out").exists()


def test_scale_beyond_a_unique_domain_names_the_column(tmp_path):
    # Five distinct codes cannot fill ten rows of a unique column.
    spec_path = tmp_path / "codes.yaml"
    spec_path.write_text("version: 1\nname: codes\ntables:\n  codes:\n    rows: 5\n    columns:\n"
                         "      code: {type: choice, values: [a, b, c, d, e], unique: true}\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("synth_generate", "--spec", str(spec_path), "--rows-scale", "2", "--out", str(tmp_path / "out"))
    assert "--rows-scale 2" in str(caught.value)
    assert "tables.codes.columns.code: unique column can hold only 5" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_unreadable_spec_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read spec file"):
        call_command("synth_generate", "--spec", str(tmp_path / "missing.yaml"), "--out", str(tmp_path))


def test_unknown_template_lists_the_available_ones(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("synth_generate", "--template", "hr-advanced", "--out", str(tmp_path))
    message = str(caught.value)
    assert "hr-advanced" in message
    assert all(name in message for name in template_names())


@pytest.mark.parametrize("value", ["abc", "0", "-1", "nan", "inf"])
def test_bad_rows_scale(tmp_path, value):
    with pytest.raises(CommandError, match="--rows-scale"):
        call_command("synth_generate", "--template", "hr-basic", "--rows-scale", value, "--out", str(tmp_path))


@pytest.mark.parametrize(("option", "value"), [("--chunk-size", "0"), ("--chunk-size", "many"), ("--seed", "-3"),
                                               ("--seed", "x"), ("--reference-time", "yesterday-ish")])
def test_bad_numbers_and_times(tmp_path, option, value):
    with pytest.raises(CommandError, match=option):
        call_command("synth_generate", "--template", "hr-basic", option, value, "--out", str(tmp_path))


def test_template_and_spec_are_exclusive(tmp_path):
    with pytest.raises(CommandError):
        call_command("synth_generate", "--template", "hr-basic", "--spec", "x.yaml", "--out", str(tmp_path))
    with pytest.raises(CommandError):
        call_command("synth_generate", "--out", str(tmp_path))


# ------------------------------------------------------------------------------------------ no database
def test_runs_without_any_database(tmp_path):
    database = tmp_path / "never-created.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env.update({"DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "synthhub.settings.test",
                "PYTHONPATH": str(ROOT), "SYNTHHUB_VAR_DIR": str(tmp_path / "var")})
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "synth_generate", "--template", "hr-basic", "--seed", "1",
         "--out", "out"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["tables"]["employees"]["rows"] == 1000
    # Output captured, not a terminal: no progress bar in it.
    assert "\r" not in result.stdout and "it/s" not in result.stdout + result.stderr
    assert not database.exists()
    assert not (tmp_path / "var").exists()


# ------------------------------------------------------------------------------------------ sizes, writers
FORMULA_SPEC = """
version: 1.1
name: sheet
seed: 3
tables:
  kinds:
    rows: 3
    scale: false
    columns:
      id: {type: sequence, unique: true}
      cell: {type: choice, values: ["=1+2", "@SUM(A1)", "plain"]}
  items:
    rows: 10
    columns:
      id: {type: sequence, unique: true}
      kind: {type: reference, table: kinds, column: id}
  parts:
    rows: {per: item, min: 1, max: 1}
    columns:
      item: {type: reference, table: items, column: id}
"""


def write_spec(tmp_path: Path, text: str = FORMULA_SPEC) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_per_table_win_over_rows_scale_and_are_recorded(tmp_path):
    spec_path = write_spec(tmp_path)
    manifest = generate(tmp_path / "out", "--spec", str(spec_path), "--rows-scale", "3", "--rows", "items=7",
                        "--rows", "kinds=2", "--reference-time", REFERENCE)
    assert manifest["rows"] == {"items": 7, "kinds": 2} and manifest["rows_scale"] == 3.0
    assert {t: e["rows"] for t, e in manifest["tables"].items()} == {"kinds": 2, "items": 7, "parts": 7}
    scaled = generate(tmp_path / "scaled", "--spec", str(spec_path), "--rows-scale", "3")
    # kinds says scale: false; items scales; parts follows items.
    assert {t: e["rows"] for t, e in scaled["tables"].items()} == {"kinds": 3, "items": 30, "parts": 30}


@pytest.mark.parametrize(("args", "words"), [
    (["--rows", "items"], "--rows must be TABLE=N"),
    (["--rows", "=4"], "--rows must be TABLE=N"),
    (["--rows", "items=many"], "must be an integer"),
    (["--rows", "items=-1"], "at least 0"),
    (["--rows", "items=1", "--rows", "items=2"], "given twice"),
    (["--rows", "nope=3"], "rows.nope: unknown table 'nope'"),
    (["--rows", "parts=3"], "rows.parts: parts has rows per row of items"),
    (["--rows", "kinds=4"], "tables.kinds.columns.cell: unique column"),
    (["--reference-time", "0001-01-01T00:00:00+05:00"], "--reference-time must be from"),
    (["--format", "csv", "--dialect", "mysql"], "--dialect applies to --format sql only"),
])
def test_bad_sizes_and_options_write_nothing(tmp_path, args, words):
    spec_path = write_spec(tmp_path, FORMULA_SPEC.replace('values: ["=1+2", "@SUM(A1)", "plain"]',
                                                          'values: ["=1+2", "@SUM(A1)", "plain"], unique: true'))
    with pytest.raises(CommandError) as caught:
        call_command("synth_generate", "--spec", str(spec_path), *args, "--out", str(tmp_path / "out"))
    assert words in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_csv_neutralises_formulas_like_an_export_unless_told_not_to(tmp_path):
    spec_path = write_spec(tmp_path)
    generate(tmp_path / "safe", "--spec", str(spec_path))
    generate(tmp_path / "raw", "--spec", str(spec_path), "--keep-formulas")
    with (tmp_path / "safe" / "kinds.csv").open(newline="", encoding="utf-8") as handle:
        safe = {row["cell"] for row in csv.DictReader(handle)}
    with (tmp_path / "raw" / "kinds.csv").open(newline="", encoding="utf-8") as handle:
        raw = {row["cell"] for row in csv.DictReader(handle)}
    assert all(not cell.startswith(("=", "@")) for cell in safe)
    assert {cell.lstrip("'") for cell in safe} == raw and any(cell.startswith(("=", "@")) for cell in raw)


def test_files_and_manifest_are_those_of_an_export_bundle(tmp_path):
    import zipfile

    from apps.exports.files import generator_version
    from apps.exports.writers import write_bundle

    manifest = generate(tmp_path / "out", "--template", "ecommerce", "--seed", "2", "--reference-time", REFERENCE,
                        "--rows-scale", "0.1", "--chunk-size", "333")
    spec = load_template("ecommerce")
    the_plan = plan(spec, seed=2, rows_scale=0.1, reference_time=datetime(2025, 6, 1, 12, tzinfo=UTC))
    rows = {t: generate_chunk(the_plan, t, 0, the_plan.row_counts[t]).json_rows() for t in the_plan.table_order}
    base = {key: manifest[key] for key in ("dataset", "version", "seed", "spec_hash", "reference_time",
                                           "rows_scale", "rows", "generator_version", "template", "spec")}
    assert base["generator_version"] == generator_version()
    archive_path = tmp_path / "bundle.zip"
    with archive_path.open("wb") as stream:
        bundled = write_bundle(stream, fmt="csv", doc=spec.doc, tables_rows=rows, manifest_base=base,
                               options={"neutralise_formulas": True})
    assert bundled == manifest
    with zipfile.ZipFile(archive_path) as archive:
        for entry in manifest["files"]:
            assert archive.read(entry["name"]) == (tmp_path / "out" / entry["name"]).read_bytes()
        assert archive.read("manifest.json") == (tmp_path / "out" / "manifest.json").read_bytes()


@pytest.mark.parametrize("file_format", ["parquet", "sql"])
def test_parquet_and_sql_formats(tmp_path, file_format):
    manifest = generate(tmp_path, "--template", "hr-basic", "--seed", "1", "--reference-time", REFERENCE,
                        "--format", file_format)
    assert manifest["format"] == file_format
    for entry in manifest["files"]:
        assert sha256(tmp_path / entry["name"]) == entry["sha256"]
    if file_format == "sql":
        assert [e["name"] for e in manifest["files"]] == ["hr-basic.sql"]
        script = (tmp_path / "hr-basic.sql").read_text(encoding="utf-8")
        assert script.index("departments") < script.index("employees")
    else:
        import pyarrow.parquet as pq

        assert pq.read_table(tmp_path / "employees.parquet").num_rows == 1000


def test_a_row_the_document_cannot_make_is_a_command_error_naming_column_and_row(tmp_path):
    spec_path = tmp_path / "passports.yaml"
    spec_path.write_text("""
version: 1.1
name: passports
seed: 1
tables:
  p:
    rows: 5
    columns:
      nationality: {type: constant, value: CHN}
      surname: {type: faker, provider: last_name, locale: {column: nationality}}
      mrz: {type: mrz_td3, fields: {surname: surname, nationality: nationality}}
""")
    with pytest.raises(CommandError, match=r"tables\.p\.columns\.mrz: row 0: .* cannot be written in an MRZ"):
        call_command("synth_generate", "--spec", str(spec_path), "--out", str(tmp_path / "out"))
    assert not list((tmp_path / "out").glob("*.jsonl")) and not list((tmp_path / "out").glob("*.csv"))
