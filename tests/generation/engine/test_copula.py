"""The `copula` column type: columns drawn jointly through a Gaussian copula over their marginals."""

import numpy as np
import pytest

from apps.generation.engine import SpecError, generate_chunk, parse_spec, plan
from apps.generation.engine.types.copula import normal_cdf, normal_ppf

from .all_types import REFERENCE_TIME
from .helpers import generate_table, problem_strings

MATRIX = [[1, 0.8, -0.5], [0.8, 1, -0.3], [-0.5, -0.3, 1]]


def copula_doc(rows=40_000, matrix=MATRIX):
    def column(index, marginal):
        return {"type": "copula", "group": "g", "index": index, "correlation": matrix, "marginal": marginal}

    return {"version": 1.1, "name": "t", "seed": 3, "tables": {"t": {"rows": rows, "columns": {
        "amount": column(0, {"kind": "float", "quantiles": [0, 10, 20, 50, 1000], "precision": 1}),
        "day": column(1, {"kind": "date", "quantiles": ["2020-01-01", "2020-06-01", "2021-12-31"]}),
        "tier": column(2, {"kind": "choice", "values": ["low", "mid", "high"], "weights": [5, 3, 2]}),
        "visits": {"type": "copula", "group": "h", "index": 0, "correlation": [[1]],
                   "marginal": {"kind": "int", "quantiles": [0, 2, 9]}},
    }}}}


def _ranks(values):
    return np.argsort(np.argsort(np.asarray(values), kind="stable"), kind="stable")


def test_rows_are_the_same_whatever_the_chunking():
    doc = copula_doc(rows=40_000)
    whole = generate_table(doc, chunk_size=40_000)
    pieces = generate_table(doc, chunk_size=7_001)
    assert whole == pieces
    # and a chunk cut inside a block equals the same rows of the whole table
    the_plan = plan(parse_spec(doc), reference_time=REFERENCE_TIME)
    middle = generate_chunk(the_plan, "t", 16_000, 17_000).json_rows()
    import orjson

    assert [orjson.loads(r) for r in middle] == whole[16_000:17_000]


def test_marginals_and_rank_correlations_follow_the_spec():
    rows = generate_table(copula_doc(rows=40_000))
    amount = np.array([r["amount"] for r in rows])
    days = np.array([np.datetime64(r["day"]).astype(np.int64) for r in rows])
    tier = np.array([["low", "mid", "high"].index(r["tier"]) for r in rows])
    assert amount.min() >= 0 and amount.max() <= 1000
    assert abs(np.median(amount) - 20) < 1.0  # the middle quantile point
    assert min(r["day"] for r in rows) >= "2020-01-01" and max(r["day"] for r in rows) <= "2021-12-31"
    shares = np.bincount(tier) / len(tier)
    assert np.allclose(shares, [0.5, 0.3, 0.2], atol=0.01)
    spearman = np.corrcoef(_ranks(amount), _ranks(days))[0, 1]
    assert abs(spearman - 6 / np.pi * np.arcsin(0.8 / 2)) < 0.03
    assert np.corrcoef(_ranks(amount), tier)[0, 1] < -0.3  # the negative correlation survives the choice
    assert {r["visits"] for r in rows} <= set(range(10))


def test_the_seed_changes_the_values_and_repeats_them():
    doc = copula_doc(rows=1000)
    assert generate_table(doc, seed=1) == generate_table(doc, seed=1)
    assert generate_table(doc, seed=1) != generate_table(doc, seed=2)


@pytest.mark.parametrize(("change", "path", "message"), [
    ({"correlation": [[1, 2], [2, 1]]}, "correlation", "between -1 and 1"),
    ({"correlation": [[1, 0.5], [0.4, 1]]}, "correlation", "symmetric"),
    ({"correlation": [[1, 0.99, -0.99], [0.99, 1, 0.99], [-0.99, 0.99, 1]]}, "correlation", "negative eigenvalue"),
    ({"correlation": [[2]]}, "correlation", "between -1 and 1"),
    ({"index": 5}, "index", "at most 2"),
    ({"marginal": {"kind": "float", "quantiles": [3, 1]}}, "marginal.quantiles", "ascending"),
    ({"marginal": {"kind": "date", "quantiles": ["2020-01-01", "soon"]}}, "marginal.quantiles[1]", "ISO date"),
    ({"marginal": {"kind": "wave"}}, "marginal.kind", "must be one of"),
    ({"marginal": None}, "marginal", "is required"),
    ({"unique": True}, "", "marginal distribution"),
])
def test_bad_copula_columns_are_refused_with_their_path(change, path, message):
    doc = copula_doc(rows=10)
    doc["tables"]["t"]["columns"]["amount"].update(change)
    problems = problem_strings(doc)
    prefix = "tables.t.columns.amount" + (f".{path}" if path else "")
    assert any(p.startswith(prefix) and message in p for p in problems), problems


def test_needs_version_1_1():
    doc = copula_doc(rows=10)
    doc["version"] = 1
    with pytest.raises(SpecError, match="copula type needs `version: 1.1`"):
        parse_spec(doc)


def test_normal_cdf_and_its_inverse_agree():
    p = np.linspace(0.0005, 0.9995, 2001)
    assert np.allclose(normal_cdf(normal_ppf(p)), p, atol=2e-7)
    assert abs(normal_cdf(np.array([1.959963985]))[0] - 0.975) < 1e-7


def given_doc(rows=30_000):
    matrix = [[1, 0.6, 0.0], [0.6, 1, 0.0], [0.0, 0.0, 1]]

    def column(index, marginal):
        return {"type": "copula", "group": "g", "index": index, "correlation": matrix, "marginal": marginal}

    return {"version": 1.1, "name": "t", "seed": 3, "tables": {"t": {"rows": rows, "columns": {
        "wait": column(0, {"kind": "float", "quantiles": [0, 10, 20], "precision": 1, "given": {
            "column": "mode", "values": ["car", "air"], "quantiles": [[0, 0, 0], [30, 40, 90]]}}),
        "seat": column(1, {"kind": "choice", "values": ["aisle", "window"], "weights": [1, 1], "given": {
            "column": "mode", "values": ["air"], "weights": [[1, 9]]}}),
        "mode": column(2, {"kind": "choice", "values": ["car", "bus", "air"], "weights": [5, 3, 2]}),
    }}}}


def test_given_marginals_follow_the_value_of_the_other_column():
    rows = generate_table(given_doc())
    mode = np.array([r["mode"] for r in rows])
    wait = np.array([r["wait"] for r in rows])
    window = np.array([r["seat"] == "window" for r in rows])
    assert np.allclose([(mode == m).mean() for m in ("car", "bus", "air")], [0.5, 0.3, 0.2], atol=0.015)
    assert set(wait[mode == "car"]) == {0.0}  # its own quantiles: always 0
    assert wait[mode == "air"].min() >= 30 and abs(np.median(wait[mode == "air"]) - 40) < 1.5
    bus = wait[mode == "bus"]  # not listed: the marginal's own quantiles
    assert bus.min() >= 0 and bus.max() <= 20 and abs(np.median(bus) - 10) < 0.5
    assert abs(window[mode == "air"].mean() - 0.9) < 0.02 and abs(window[mode != "air"].mean() - 0.5) < 0.02
    # the latent correlation still ties wait and seat within a case
    air = mode == "air"
    assert np.corrcoef(_ranks(wait[air]), window[air])[0, 1] > 0.1


def test_given_is_chunk_invariant_and_matches_numbers_and_nulls():
    doc = given_doc(rows=20_000)
    assert generate_table(doc, chunk_size=20_000) == generate_table(doc, chunk_size=3_001)
    columns = doc["tables"]["t"]["columns"]
    columns["mode"]["marginal"] = {"kind": "choice", "values": [1, 2, 3], "weights": [5, 3, 2]}
    columns["mode"]["null_ratio"] = 0.1
    columns["wait"]["marginal"]["given"] = {"column": "mode", "values": [1, 3], "quantiles": [[0, 0, 0], [30, 40, 90]]}
    del columns["seat"]["marginal"]["given"]
    rows = generate_table(doc)
    wait = {m: np.array([r["wait"] for r in rows if r["mode"] == m]) for m in (1, 2, 3, None)}
    assert set(wait[1]) == {0.0} and wait[3].min() >= 30
    assert wait[None].max() <= 20 and len(wait[None]) > 1000  # null: the marginal's own quantiles


@pytest.mark.parametrize(("given", "path", "message"), [
    ({"column": "nowhere", "values": ["car"], "quantiles": [[0, 1, 2]]}, "given.column", "names no column"),
    ({"column": "wait", "values": ["car"], "quantiles": [[0, 1, 2]]}, "given.column", "not the column itself"),
    ({"column": "mode", "values": ["car", "car"], "quantiles": [[0, 1, 2], [0, 1, 2]]}, "given.values", "repeat"),
    ({"column": "mode", "values": ["car"], "quantiles": [[0, 1, 2], [0, 1, 2]]}, "given.quantiles", "1 lists"),
    ({"column": "mode", "values": ["car"], "quantiles": [[0, 1]]}, "given.quantiles[0]", "as many points"),
    ({"column": "mode", "values": ["car"], "quantiles": [[2, 1, 0]]}, "given.quantiles[0]", "ascending"),
    ({"column": "mode", "values": [], "quantiles": []}, "given.values", "1 to 50 values"),
    ({"column": "mode", "values": [["car"]], "quantiles": [[0, 1, 2]]}, "given.values[0]", "string, number"),
    ({"column": "mode", "values": ["car"], "weights": [[1, 2]]}, "given.weights", "unknown key"),
    ("mode", "given", "must be a mapping"),
])
def test_bad_given_marginals_are_refused_with_their_path(given, path, message):
    doc = given_doc(rows=10)
    doc["tables"]["t"]["columns"]["wait"]["marginal"]["given"] = given
    problems = problem_strings(doc)
    prefix = f"tables.t.columns.wait.marginal.{path}"
    assert any(p.startswith(prefix) and message in p for p in problems), problems


def test_bad_given_weights_are_refused_with_their_path():
    doc = given_doc(rows=10)
    doc["tables"]["t"]["columns"]["seat"]["marginal"]["given"]["weights"] = [[1, 2, 3]]
    problems = problem_strings(doc)
    assert any(p.startswith("tables.t.columns.seat.marginal.given.weights[0]") and "2 non-negative weights" in p
               for p in problems), problems


@pytest.mark.parametrize(("column", "message"), [("nope", "names no column"), ("seat", "not the column itself")])
def test_a_given_inside_a_when_clause_is_checked_too(column, message):
    doc = given_doc(rows=10)
    columns = doc["tables"]["t"]["columns"]
    columns["x"] = {"type": "constant", "value": 1}
    columns["seat"]["when"] = [{"if": {"column": "x", "op": "==", "value": 1}, "then": {"marginal": {
        "kind": "choice", "values": ["car"], "given": {"column": column, "values": [1], "weights": [[1]]}}}}]
    problems = problem_strings(doc)
    assert any(p.startswith("tables.t.columns.seat.when[0].then.marginal.given.column") and message in p
               for p in problems), problems
