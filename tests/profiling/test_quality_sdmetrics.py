"""SynthHub's quality scores equal SDMetrics' own (within 0.005) on the same data.

sdmetrics is a development dependency: this is the only place it is imported."""

import warnings

import numpy as np
import pandas as pd
import pytest

from apps.profiling.quality import quality_report

sdmetrics_reports = pytest.importorskip("sdmetrics.reports")

TOLERANCE = 0.005


def _sdmetrics_scores(real, synthetic, metadata):
    report = sdmetrics_reports.QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, synthetic, metadata, verbose=False)
    properties = dict(zip(report.get_properties()["Property"], report.get_properties()["Score"], strict=True))
    return report.get_score(), properties


def _assert_same(real, synthetic, metadata):
    theirs_overall, theirs = _sdmetrics_scores(real, synthetic, metadata)
    ours = quality_report(real, synthetic, metadata)
    names = {"Column Shapes": "column_shapes", "Column Pair Trends": "column_pair_trends",
             "Cardinality": "cardinality", "Intertable Trends": "intertable_trends"}
    for their_name, score in theirs.items():
        mine = ours["properties"][names[their_name]]
        if np.isnan(score):
            assert mine is None, their_name
        else:
            assert mine == pytest.approx(score, abs=TOLERANCE), their_name
    assert ours["overall"] == pytest.approx(theirs_overall, abs=TOLERANCE)
    return ours


def _correlated_table(rng, n, shift=0.0, noise=0.3, null_share=0.0):
    x = rng.normal(50 + shift, 10, n)
    y = 2 * x + rng.normal(0, 10 * noise * 3, n)
    city = np.where(x > 50, rng.choice(["ams", "rtm"], n, p=[0.8, 0.2]), rng.choice(["utr", "ams", "ehv"], n))
    tier = np.where(y > 100, "gold", np.where(rng.random(n) < 0.7, "silver", "bronze"))
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta((x * 86400 * 3).astype("int64"), unit="s")
    frame = pd.DataFrame({"id": np.arange(n), "x": x, "y": y, "city": city, "tier": tier, "when": when,
                          "active": rng.random(n) < (x / 100), "constant": 7.0})
    if null_share:
        frame["active"] = frame["active"].astype(object)
        for column in ("y", "city", "when", "active"):
            frame.loc[rng.random(n) < null_share, column] = None
    return frame


TABLE_META = {"columns": {"id": {"sdtype": "id"}, "x": {"sdtype": "numerical"}, "y": {"sdtype": "numerical"},
                          "city": {"sdtype": "categorical"}, "tier": {"sdtype": "categorical"},
                          "when": {"sdtype": "datetime"}, "active": {"sdtype": "boolean"},
                          "constant": {"sdtype": "numerical"}}, "primary_key": "id"}


@pytest.mark.parametrize(("shift", "noise", "null_share", "rows"), [
    (0.0, 0.3, 0.0, (800, 800)),      # a close copy
    (5.0, 1.0, 0.0, (600, 1500)),     # shifted, weaker correlation, more synthetic rows than real
    (0.0, 0.3, 0.15, (700, 500)),     # nulls in numbers, categories, dates and booleans
    (20.0, 3.0, 0.3, (400, 900)),     # far off
])
def test_single_table_scores_equal_sdmetrics(shift, noise, null_share, rows):
    rng = np.random.default_rng(7)
    real = _correlated_table(rng, rows[0], null_share=null_share)
    synthetic = _correlated_table(rng, rows[1], shift=shift, noise=noise, null_share=null_share)
    metadata = {"tables": {"people": TABLE_META}}
    ours = _assert_same({"people": real}, {"people": synthetic}, metadata)
    assert set(ours["properties"]) == {"column_shapes", "column_pair_trends"}


def test_unseen_categories_and_an_empty_column_equal_sdmetrics():
    rng = np.random.default_rng(3)
    real = _correlated_table(rng, 500)
    synthetic = _correlated_table(rng, 500, shift=2)
    synthetic.loc[:99, "city"] = "new-city"   # values the sample never had
    synthetic["y"] = np.nan                   # a column generated all null
    metadata = {"tables": {"people": TABLE_META}}
    ours = _assert_same({"people": real}, {"people": synthetic}, metadata)
    shapes = {row["column"]: row["score"] for row in ours["details"]["column_shapes"]}
    assert shapes["y"] is None
    assert shapes["constant"] == 1.0


def test_parent_child_scores_equal_sdmetrics():
    rng = np.random.default_rng(11)

    def tables(n_parents, mean_children, shift):
        parents = _correlated_table(rng, n_parents, shift=shift)
        children_per_parent = rng.poisson(mean_children, n_parents)
        parent_ids = np.repeat(parents["id"].to_numpy(), children_per_parent)
        n = parent_ids.size
        amount = parents.set_index("id").loc[parent_ids, "x"].to_numpy() * 3 + rng.normal(0, 5, n)
        children = pd.DataFrame({"order_id": np.arange(n), "person_id": parent_ids, "amount": amount,
                                 "channel": rng.choice(["web", "shop", "phone"], n, p=[0.6, 0.3, 0.1])})
        return {"people": parents, "orders": children}

    metadata = {
        "tables": {"people": TABLE_META,
                   "orders": {"columns": {"order_id": {"sdtype": "id"}, "person_id": {"sdtype": "id"},
                                          "amount": {"sdtype": "numerical"},
                                          "channel": {"sdtype": "categorical"}}, "primary_key": "order_id"}},
        "relationships": [{"parent_table_name": "people", "parent_primary_key": "id",
                           "child_table_name": "orders", "child_foreign_key": "person_id"}],
    }
    for mean_children, shift in ((3, 0.0), (1.5, 6.0)):
        ours = _assert_same(tables(300, 3, 0.0), tables(400, mean_children, shift), metadata)
        assert set(ours["properties"]) == {"column_shapes", "column_pair_trends", "cardinality",
                                           "intertable_trends"}
