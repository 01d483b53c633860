"""Privacy figures on tiny data whose answers are known."""

import numpy as np
import pandas as pd
import pytest

from apps.profiling import privacy


def test_exact_copy_rate_counts_synthetic_rows_equal_to_a_sample_row():
    real = pd.DataFrame({"age": [30, 40, 50, 60], "city": ["a", "b", "c", None]})
    synthetic = pd.DataFrame({"age": [30.0, 41.0, 60.0, 50.0], "city": ["a", "b", None, "x"]})
    # (30, a) and (60, null) are copies; (41, b) and (50, x) are not.
    assert privacy.exact_copy_rate(real, synthetic, ["age", "city"]) == 0.5
    assert privacy.exact_copy_rate(real, synthetic, ["age"]) == 0.75


def test_exact_copy_rate_compares_dates_whatever_their_type():
    real = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-02-01"]), "n": [1, 2]})
    synthetic = pd.DataFrame({"day": ["2024-01-01", "2024-03-01"], "n": [1, 2]})
    assert privacy.exact_copy_rate(real, synthetic, ["day", "n"]) == 0.5


def test_a_copying_generator_is_closer_to_the_sample_than_the_holdout():
    rng = np.random.default_rng(1)
    real = pd.DataFrame({"x": rng.normal(0, 1, 400), "y": rng.normal(0, 1, 400),
                         "c": rng.choice(["a", "b", "c"], 400)})
    copied = real.sample(400, replace=True, random_state=2).reset_index(drop=True)
    fresh = pd.DataFrame({"x": rng.normal(0, 1, 400), "y": rng.normal(0, 1, 400),
                          "c": rng.choice(["a", "b", "c"], 400)})
    copies = privacy.distance_to_closest_record(real, copied, ["x", "y", "c"])
    learned = privacy.distance_to_closest_record(real, fresh, ["x", "y", "c"])
    assert copies["synthetic_median"] < copies["holdout_median"] / 2
    assert copies["synthetic_not_closer"] is False
    assert learned["synthetic_not_closer"] is True
    assert learned["synthetic_median"] == pytest.approx(learned["holdout_median"], rel=0.5)


def test_dcr_of_known_distances():
    real = pd.DataFrame({"x": [0.0, 10.0] * 20, "c": ["a"] * 40})
    # Every synthetic row is 1 away from the nearest 0 or 10 (a tenth of the range) on x, equal on c.
    synthetic = pd.DataFrame({"x": [1.0, 9.0, 11.0, -1.0], "c": ["a"] * 4})
    result = privacy.distance_to_closest_record(real, synthetic, ["x", "c"])
    assert result["synthetic_median"] == pytest.approx(0.05)
    assert result["holdout_median"] == 0.0


def test_dcr_work_is_capped(monkeypatch):
    monkeypatch.setattr(privacy, "DCR_MAX_QUERY_ROWS", 50)
    monkeypatch.setattr(privacy, "DCR_MAX_REFERENCE_ROWS", 80)
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.random(1000), "c": rng.choice(["a", "b"], 1000)})
    synthetic = pd.DataFrame({"x": rng.random(3000), "c": rng.choice(["a", "b"], 3000)})
    result = privacy.distance_to_closest_record(real, synthetic, ["x", "c"])
    assert result["rows_compared"] == {"synthetic": 50, "holdout": 50, "reference": 80}


def test_too_little_to_compare_gives_no_figure():
    real = pd.DataFrame({"x": [1.0, 2.0]})
    assert privacy.distance_to_closest_record(real, real, ["x"]) is None
    assert privacy.exact_copy_rate(real, real.iloc[:0], ["x"]) is None
    assert privacy.exact_copy_rate(real, real, []) is None


def test_pii_columns_say_how_they_were_generated_and_hold_no_values():
    spec = {"tables": {"people": {"columns": {
        "id": {"type": "sequence"},
        "email": {"type": "faker", "provider": "email", "pii": True},
        "iban": {"type": "iban", "country": "NL"},
        "handle": {"type": "template", "template": "{email}", "pii": True},
        "age": {"type": "integer", "min": 1, "max": 99}}}}}
    found = privacy.pii_columns(spec, "people")
    assert [(f["column"], f["generated_by"]) for f in found] == [
        ("email", "faker provider email"), ("iban", "iban generator"),
        ("handle", "template of other generated columns")]
    assert privacy.pii_columns(spec, "unknown") == []
    assert privacy.pii_columns(None, "people") == []


def test_categories_compare_equal_whatever_their_type_on_each_side():
    from apps.profiling.reports import aligned

    real = pd.DataFrame({"grade": [1, 2, 2, None], "ok": [True, False, True, None]})
    synthetic = pd.DataFrame({"grade": ["1", 2.0, "2", None], "ok": ["true", "false", "true", None]})
    columns = {"grade": {"sdtype": "categorical"}, "ok": {"sdtype": "boolean"}}
    real_a, synthetic_a = aligned(real, synthetic, columns)
    assert real_a["grade"].tolist() == synthetic_a["grade"].tolist() == ["1", "2", "2", None]
    assert real_a["ok"].tolist() == synthetic_a["ok"].tolist() == ["true", "false", "true", None]
    assert privacy.exact_copy_rate(real_a, synthetic_a, ["grade", "ok"]) == 1.0
