"""The profiler on small known data, the command without a database, and the reader's limits."""

import io
import json

import pyarrow as pa
import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.generation.engine import generate_chunk, parse_spec, plan
from apps.profiling.infer import infer_spec
from apps.profiling.pii import findings_for, iban_ok, luhn_ok
from apps.profiling.profiler import TableSource, profile_tables
from apps.profiling.stats import DISTINCT_CAP, ColumnAccumulator, shape_to_regex

from .conftest import SECRET_NAME, SECRET_SEGMENT, customers_csv, orders_csv


def _source(name, columns: dict, batch_rows=3):
    table = pa.table(columns)

    def batches():
        yield from table.to_batches(max_chunksize=batch_rows)

    return TableSource(name, batches, table.num_rows)


def test_statistics_of_a_known_table_whatever_the_chunking():
    columns = {
        "id": ["1", "2", "3", "4", "5", "6", "7", "8"],
        "score": ["1.5", "2.5", None, "4.0", "10", "2.5", "3", "7.25"],
        "kind": ["a", "b", "a", "a", None, "b", "a", "a"],
        "day": ["2020-01-01", "2020-01-03", "2020-02-01", None, "2021-01-01", "2020-01-01", "2020-01-01", "2020-06-30"],
        "code": ["AB-12345", "CD-00001", "EF-99999", "GH-12000", "IJ-11111", "KL-22222", "MN-33333", "OP-44444"],
    }
    profiles = [profile_tables([_source("t", columns, batch_rows=n)]) for n in (1, 3, 8)]
    assert profiles[0] == profiles[1] == profiles[2]
    table = profiles[0]["tables"]["t"]
    assert table["rows"] == 8 and table["primary_key"] == "id" and set(table["key_candidates"]) == {"id", "code"}
    score = table["columns"]["score"]
    assert score["kind"] == "float" and score["min"] == 1.5 and score["max"] == 10.0
    assert score["null_share"] == 0.125 and score["distinct"] == 6 and score["decimals"] == 2
    assert score["quantiles"][0] == 1.5 and score["quantiles"][-1] == 10.0 and score["quantiles"][50] == 3.0
    kind = table["columns"]["kind"]
    assert kind["category"] and kind["categories"][0] == {"value": "a", "share": 0.714286}
    assert kind["top_values"][0] == {"value": "a", "count": 5}
    day = table["columns"]["day"]
    assert day["kind"] == "date" and day["min"] == "2020-01-01" and day["max"] == "2021-01-01"
    assert table["columns"]["code"]["patterns"] == [{"regex": "[A-Z]{2}-\\d{5}", "share": 1.0}]
    assert table["columns"]["code"]["length"] == {"min": 8, "max": 8, "mean": 8.0}


def test_distinct_counts_are_exact_to_the_cap_then_estimated():
    accumulator = ColumnAccumulator("n", "int")
    values = pa.array(range(DISTINCT_CAP + 50_000), pa.int64())
    for start in range(0, len(values), 40_000):
        accumulator.add(values.slice(start, 40_000))
    assert accumulator.exact is None
    assert abs(accumulator.distinct - len(values)) / len(values) < 0.1


def test_foreign_keys_child_counts_and_the_spec_of_two_tables():
    customers = _source("customers", {"id": [str(i) for i in range(1, 7)], "name": list("abcdef")})
    orders = _source("orders", {"order_id": [str(i) for i in range(1, 10)],
                                "customer_id": ["1", "1", "1", "2", "2", "3", "4", "5", "6"]})
    profile = profile_tables([customers, orders])
    [fk] = profile["foreign_keys"]
    assert (fk["table"], fk["column"]) == ("orders", "customer_id") and (fk["parent"], fk["parent_column"]) == (
        "customers", "id")
    assert fk["child_counts"]["min"] == 1 and fk["child_counts"]["max"] == 3 and fk["child_counts"]["mean"] == 1.5
    assert fk["child_counts"]["histogram"] == [0, 4, 1, 1]
    spec = infer_spec(profile)
    assert spec["tables"]["orders"]["rows"] == {"per": "customer_id", "min": 1, "max": 3,
                                                "distribution": {"poisson": {"lam": 1.5}}}
    parse_spec(spec)


def test_integer_ranges_that_overlap_by_accident_are_no_foreign_key():
    a = _source("a", {"id": [str(i) for i in range(1, 5)], "x": list("abcd")})
    b = _source("b", {"id": [str(i) for i in range(1, 9)], "size": ["1", "2", "3", "4", "1", "2", "3", "4"]})
    assert profile_tables([a, b])["foreign_keys"] == []


@pytest.mark.parametrize(("column", "values", "kind"), [
    ("contact", ["ann@example.org", "bo.b@mail.example.com", "c@d.io"], "email"),
    ("account", ["DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300"], "iban"),
    ("pan", ["4111 1111 1111 1111", "5500005555555559", "378282246310005"], "card"),
    ("tel", ["+1 415 555 2671", "(030) 1234567", "+44 20 7946 0958"], "phone"),
    ("who", ["Mary Smith", "James Brown", "Linda Jones"], "name"),
    ("ssn", ["123-45-6789", "234-56-7890", "345-67-8901"], "national_id"),
    ("notes", ["please call me at +1 415 555 2671 tomorrow morning about the order",
               "write to ann@example.org if the parcel does not arrive by friday please"], "free_text"),
    ("street", ["12 Main Street", "400 Oak Ave", "9 Elm Road"], "address"),
])
def test_pii_found_from_values(column, values, kind):
    [finding] = findings_for(column, "string", values)
    assert finding.kind == kind and finding.confidence >= 0.5


def test_check_digits_decide_ibans_and_cards():
    assert iban_ok("DE89370400440532013000") and not iban_ok("DE89370400440532013001")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    wrong_digits = findings_for("order_no", "string", ["4111111111111112", "4111111111111113"])
    assert all(finding.kind != "card" for finding in wrong_digits)


def test_shape_regexes():
    assert shape_to_regex("AA-99999") == "[A-Z]{2}-\\d{5}"
    assert shape_to_regex("a.9") == "[a-z]\\.\\d"


def test_profile_sample_command_needs_no_database(tmp_path):
    # No `db` fixture: pytest-django refuses any database access in this test.
    (tmp_path / "customers.csv").write_bytes(customers_csv(200))
    (tmp_path / "orders.csv").write_bytes(orders_csv(200))
    out, profile_out = tmp_path / "spec.yaml", tmp_path / "profile.json"
    call_command("profile_sample", str(tmp_path / "customers.csv"), str(tmp_path / "orders.csv"), "--out", str(out),
                 "--profile", str(profile_out), stderr=io.StringIO())
    text = out.read_text()
    assert SECRET_NAME not in text and SECRET_SEGMENT not in text and "&id" not in text
    spec = yaml.safe_load(text)
    the_plan = plan(parse_spec(spec), seed=1)
    rows = generate_chunk(the_plan, "customers", 0, 50).json_rows()
    assert len(rows) == 50 and json.loads(rows[0])["email"].count("@") == 1
    assert json.loads(profile_out.read_text())["foreign_keys"][0]["parent"] == "customers"
    call_command("profile_sample", str(tmp_path / "customers.csv"), "--out", str(out), "--approve",
                 "customers.segment", stderr=io.StringIO())
    assert SECRET_SEGMENT in out.read_text()  # approved: the category list keeps its values


def test_profile_sample_command_refuses_bad_files(tmp_path):
    bad = tmp_path / "one.csv"
    bad.write_bytes(b"id\n1\n")
    with pytest.raises(CommandError, match="at least 2"):
        call_command("profile_sample", str(bad), "--out", str(tmp_path / "s.yaml"), stderr=io.StringIO())
    with pytest.raises(CommandError, match="not a category column"):
        (tmp_path / "c.csv").write_bytes(customers_csv(20))
        call_command("profile_sample", str(tmp_path / "c.csv"), "--out", str(tmp_path / "s.yaml"), "--approve",
                     "c.age", stderr=io.StringIO())


def test_every_pii_generator_is_a_valid_column():
    from apps.profiling.pii import GENERATORS

    columns = {"id": {"type": "sequence"}}
    columns.update({f"c_{kind}": {**generator, "pii": True} for kind, generator in GENERATORS.items() if generator})
    spec = {"version": 1.1, "name": "pii", "seed": 1, "tables": {"t": {"rows": 5, "columns": columns}}}
    rows = generate_chunk(plan(parse_spec(spec), seed=1), "t", 0, 5).json_rows()
    assert len(rows) == 5


def test_wide_tables_keep_fewer_exact_values_and_sample_rows(monkeypatch):
    import numpy as np

    from apps.profiling import stats

    assert stats.distinct_cap(20) == DISTINCT_CAP and stats.distinct_cap(500) * 500 <= stats.DISTINCT_BUDGET
    assert stats.reservoir_rows(20) == 20_000 and stats.reservoir_rows(500) * 500 <= stats.SAMPLE_CELLS
    monkeypatch.setattr(stats, "DISTINCT_BUDGET", 40 * 1_000)  # 40 columns: 1,000 exact values each
    rows = 1_500
    wide = {f"c{i}": pa.array(np.arange(rows).astype(str)) for i in range(40)}
    profile = profile_tables([_source("wide", wide, batch_rows=500)])
    column = profile["tables"]["wide"]["columns"]["c7"]
    assert not column["distinct_exact"] and abs(column["distinct"] - rows) / rows < 0.15
    assert profile["limits"]["distinct_cap"]["wide"] == 1_000


def _travel_sample(rows=4000, seed=5):
    """A nominal category (mode) that moves a number up and down (wait: car 0, bus high, air middle, train low)
    and a number that follows the wait within each mode (cost), the kind of relation a copula over category
    ranks cannot keep."""
    import numpy as np

    rng = np.random.default_rng(seed)
    modes = np.array(["car", "bus", "air", "train"])[rng.integers(0, 4, rows)]
    centre = {"car": 0.0, "bus": 60.0, "air": 35.0, "train": 15.0}
    wait = np.array([centre[m] for m in modes]) + np.where(modes == "car", 0, rng.gamma(4, 2.5, rows))
    cost = np.round(20 + 0.8 * wait + rng.normal(0, 4, rows), 2)
    return {"mode": modes.tolist(), "wait": np.round(wait, 1).tolist(), "cost": cost.tolist()}


def test_a_category_that_moves_numbers_up_and_down_stratifies_the_copula():
    import numpy as np

    columns = _travel_sample()
    profile = profile_tables([_source("trips", columns, batch_rows=1000)])
    given = profile["tables"]["trips"]["correlations"]["given"]
    assert given["column"] == "mode" and sorted(given["values"]) == ["air", "bus", "car", "train"]
    spec = infer_spec(profile)  # category list not approved: the spec names the modes by labels
    wait_spec = spec["tables"]["trips"]["columns"]["wait"]
    assert wait_spec["marginal"]["given"]["column"] == "mode"
    assert set(wait_spec["marginal"]["given"]["values"]) <= set(
        spec["tables"]["trips"]["columns"]["mode"]["marginal"]["values"])
    assert "car" not in yaml.safe_dump(spec)
    approved = infer_spec(profile, approved={"trips.mode"})
    the_plan = plan(parse_spec(approved), seed=2)
    out = generate_chunk(the_plan, "trips", 0, 4000).columns
    mode, wait, cost = (np.array(out[name]) for name in ("mode", "wait", "cost"))
    real_mode, real_wait = np.array(columns["mode"]), np.array(columns["wait"])
    for value in ("car", "bus", "air", "train"):
        # each mode keeps its own waits (a copula over the mode's rank would blur them into each other)
        assert abs(np.median(wait[mode == value]) - np.median(real_wait[real_mode == value])) < 3, value
    assert set(wait[mode == "car"]) == {0.0}
    # and within a mode, cost still follows the wait
    bus = mode == "bus"
    assert np.corrcoef(wait[bus], cost[bus])[0, 1] > 0.4


def test_monotone_relations_and_small_strata_leave_the_copula_unstratified():
    import numpy as np

    rng = np.random.default_rng(3)
    latent = rng.standard_normal(3000)
    columns = {"level": np.clip(np.rint(2 + latent), 0, 4).astype(int).tolist(),
               "amount": np.round(100 + 30 * latent + rng.normal(0, 5, 3000), 2).tolist()}
    correlations = profile_tables([_source("t", columns, batch_rows=1000)])["tables"]["t"]["correlations"]
    assert "given" not in correlations and correlations["matrix"][0][1] > 0.8
    small = _travel_sample(rows=120)  # 30 rows a mode: below MIN_STRATUM_ROWS
    correlations = profile_tables([_source("t", small, batch_rows=50)])["tables"]["t"]["correlations"]
    assert "given" not in correlations


def test_a_stratified_inferred_spec_gives_the_same_rows_whatever_the_chunking():
    profile = profile_tables([_source("trips", _travel_sample(rows=3000), batch_rows=700)])
    the_plan = plan(parse_spec(infer_spec(profile, seed=4)), seed=4)
    whole = generate_chunk(the_plan, "trips", 0, 3000).json_rows()
    pieces = [row for start in range(0, 3000, 777)
              for row in generate_chunk(the_plan, "trips", start, min(3000, start + 777)).json_rows()]
    assert whole == pieces
