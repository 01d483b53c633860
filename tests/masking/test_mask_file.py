"""`manage.py mask_file`: files in, masked files out, no database; bad rules and files write nothing.

No `db` fixture here: pytest-django refuses database access, so a command touching the database fails.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from . import data


def write_csv(path: Path, table: dict[str, list]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(table))
        writer.writerows(zip(*table.values(), strict=True))
    return path


def read_csv(path: Path) -> dict[str, list]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}


@pytest.fixture
def files(tmp_path):
    customers = data.customers()
    orders = data.orders(customers["id"])
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "rules.yaml").write_text(data.RULES)
    (tmp_path / "key").write_text(data.KEY.decode() + "\n")
    return {
        "tmp": tmp_path, "customers": customers, "orders": orders,
        "inputs": [str(write_csv(src / "orders.csv", orders)), str(write_csv(src / "customers.csv", customers))],
    }


def run(files, out="out", *extra, key="key", rules="rules.yaml"):
    tmp = files["tmp"]
    call_command("mask_file", *files["inputs"], "--rules", str(tmp / rules), "--key-file", str(tmp / key),
                 "--out", str(tmp / out), *extra)
    return tmp / out


def test_masks_files_keeping_joins_formats_and_no_pii(files):
    out = run(files)
    customers, orders = read_csv(out / "customers.csv"), read_csv(out / "orders.csv")
    assert len(customers["id"]) == 200 and len(orders["id"]) == 500
    assert set(orders["customer_id"]) <= set(customers["id"])
    assert all(data.iban_ok(v) for v in customers["iban"]) and all(data.luhn_ok(v) for v in customers["card"])
    text = (out / "customers.csv").read_text() + (out / "orders.csv").read_text()
    assert [v for v in data.pii_values(files["customers"]) if v in text] == []
    assert sorted(p.name for p in out.iterdir()) == ["customers.csv", "orders.csv"]


def test_same_key_same_bytes_whatever_the_chunk_rows_and_another_key_differs(files):
    first = run(files, "a")
    second = run(files, "b", "--chunk-rows", "13")
    assert (first / "customers.csv").read_bytes() == (second / "customers.csv").read_bytes()
    assert (first / "orders.csv").read_bytes() == (second / "orders.csv").read_bytes()
    (files["tmp"] / "key2").write_text(data.OTHER_KEY.decode())
    third = run(files, "c", key="key2")
    assert (first / "customers.csv").read_bytes() != (third / "customers.csv").read_bytes()


def test_jsonl_in_and_out(files):
    tmp = files["tmp"]
    jsonl = tmp / "src" / "customers.jsonl"
    with jsonl.open("w") as handle:
        for row in zip(*files["customers"].values(), strict=True):
            handle.write(json.dumps(dict(zip(files["customers"], row, strict=True))) + "\n")
    files["inputs"] = [str(jsonl), files["inputs"][0]]
    out = run(files)
    rows = [json.loads(line) for line in (out / "customers.jsonl").read_text().splitlines()]
    csv_run = read_csv(run({**files, "inputs": [str(tmp / "src" / "customers.csv"), files["inputs"][1]]}, "o2")
                       / "customers.csv")
    assert [r["iban"] for r in rows] == csv_run["iban"]
    assert [str(r["id"]) for r in rows] == csv_run["id"]


def test_bad_rules_list_every_problem_with_its_path_and_write_nothing(files):
    (files["tmp"] / "bad.yaml").write_text(data.RULES.replace("{type: date, rule: shift_date, days: 60, entity: id}",
                                                              "{rule: shift_date, days: 60}")
                                           .replace("id: {type: integer, rule: keep}", "ghost: keep"))
    with pytest.raises(CommandError) as caught:
        run(files, rules="bad.yaml")
    assert "tables.customers.columns.born.rule" in str(caught.value)
    assert not (files["tmp"] / "out").exists()


def test_rules_not_fitting_the_files_write_nothing(files):
    (files["tmp"] / "ghost.yaml").write_text(data.RULES.replace("id: {type: integer, rule: keep}", "ghost: keep"))
    with pytest.raises(CommandError) as caught:
        run(files, rules="ghost.yaml")
    message = str(caught.value)
    assert "tables.orders.columns.ghost: unknown column" in message
    assert "tables.orders.columns.id: no rule" in message
    assert not (files["tmp"] / "out").exists()


def test_a_bad_value_stops_without_output_and_without_the_value(files):
    files["customers"]["salary"][150] = "secret-salary-99"
    write_csv(Path(files["inputs"][1]), files["customers"])
    with pytest.raises(CommandError) as caught:
        run(files)
    assert "row 151" in str(caught.value) and "secret" not in str(caught.value)
    assert list((files["tmp"] / "out").iterdir()) == []


def test_short_key_and_bad_files_are_refused(files):
    (files["tmp"] / "short").write_text("too-short")
    with pytest.raises(CommandError, match="at least 32 bytes"):
        run(files, key="short")
    (files["tmp"] / "src" / "x.txt").write_text("a\n")
    files["inputs"].append(str(files["tmp"] / "src" / "x.txt"))
    with pytest.raises(CommandError, match="csv or .jsonl"):
        run(files)


def test_runs_without_any_database(files):
    tmp = files["tmp"]
    database = tmp / "never-created.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env.update({"DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "synthhub.settings.test",
                "MASK_KEY": data.KEY.decode()})
    result = subprocess.run(
        [sys.executable, "manage.py", "mask_file", *files["inputs"], "--rules", str(tmp / "rules.yaml"),
         "--key-env", "MASK_KEY", "--out", str(tmp / "out")],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "customers.csv: 200 rows" in result.stdout
    assert not database.exists()
