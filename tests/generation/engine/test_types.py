"""Every column type and key: values in range, distributions roughly right, nulls, overrides."""

import re
import statistics
import uuid
from collections import Counter
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from apps.generation.engine import generate_chunk, parse_spec, plan

from .all_types import REFERENCE_TIME
from .helpers import column, doc_with, generate_table

N = 4000


def values_of(spec: dict, rows: int = N, **others) -> list:
    return column(doc_with({**others, "c": spec}, rows=rows), "c")


def test_sequence_start_and_step():
    assert values_of({"type": "sequence"}, rows=5) == [1, 2, 3, 4, 5]
    assert values_of({"type": "sequence", "start": 10, "step": -5}, rows=4) == [10, 5, 0, -5]


def test_integer_uniform_covers_the_range():
    values = values_of({"type": "integer", "min": -3, "max": 3})
    assert set(values) == set(range(-3, 4))
    assert all(type(v) is int for v in values)


@pytest.mark.parametrize(("distribution", "check"), [
    ({"normal": {"mean": 50, "std": 5}}, lambda v: abs(statistics.mean(v) - 50) < 1 and 4 < statistics.stdev(v) < 6),
    ({"lognormal": {"mean": 2, "sigma": 0.3}}, lambda v: abs(statistics.median(v) - np.exp(2)) < 0.6),
    ({"exponential": {"scale": 10}}, lambda v: 9 < statistics.mean(v) < 11),
    ({"poisson": {"lam": 4}}, lambda v: 3.8 < statistics.mean(v) < 4.2),
    ({"zipf": {"a": 2}}, lambda v: Counter(v).most_common(1)[0][0] == 1 and 0.55 < v.count(1) / len(v) < 0.66),
])
def test_integer_distributions(distribution, check):
    values = values_of({"type": "integer", "min": 0, "max": 1000, "distribution": distribution})
    assert all(0 <= v <= 1000 for v in values)
    assert check(values)


def test_distributions_are_clipped_to_min_max():
    values = values_of({"type": "integer", "min": 45, "max": 55, "distribution": {"normal": {"mean": 50, "std": 50}}})
    assert min(values) == 45 and max(values) == 55
    floats = values_of({"type": "float", "min": 1, "max": 2, "distribution": {"exponential": {"scale": 100}}})
    assert min(floats) >= 1 and max(floats) == 2


def test_float_precision_and_range():
    values = values_of({"type": "float", "min": 1.5, "max": 2.5, "precision": 1})
    assert set(values) <= {1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5}
    assert abs(statistics.mean(values) - 2.0) < 0.05
    normal = values_of({"type": "float", "min": 0, "max": 100, "distribution": "normal"})
    assert abs(statistics.mean(normal) - 50) < 1.5


def test_boolean_probability():
    values = values_of({"type": "boolean", "probability": 0.3})
    assert set(values) == {True, False}
    assert 0.27 < sum(values) / N < 0.33


def test_choice_weights_and_value_types():
    values = values_of({"type": "choice", "values": ["a", "b", "c"], "weights": [1, 0, 3]})
    counts = Counter(values)
    assert counts["b"] == 0 and 0.72 < counts["c"] / N < 0.78
    mixed = values_of({"type": "choice", "values": [1, 2.5, "x", True]}, rows=200)
    assert {(type(v), v) for v in mixed} == {(int, 1), (float, 2.5), (str, "x"), (bool, True)}
    assert all(type(v) is int for v in values_of({"type": "choice", "values": [1, 2]}, rows=20))


def test_string_pattern_and_length_alphabet():
    values = values_of({"type": "string", "pattern": "(AB|CD)-\\d{3}[X-Z]?"}, rows=500)
    assert all(re.fullmatch(r"(AB|CD)-\d{3}[X-Z]?", v) for v in values)
    assert len(set(values)) > 300
    lengths = values_of({"type": "string", "length": {"min": 2, "max": 5}, "alphabet": "xy"}, rows=500)
    assert all(re.fullmatch(r"[xy]{2,5}", v) for v in lengths)
    assert {len(v) for v in lengths} == {2, 3, 4, 5}
    default = values_of({"type": "string"}, rows=100)
    assert all(re.fullmatch(r"[A-Za-z0-9]{8,16}", v) for v in default)


def test_uuid_is_version_4_and_reproducible():
    values = values_of({"type": "uuid"}, rows=300)
    assert all(uuid.UUID(v).version == 4 and uuid.UUID(v).variant == uuid.RFC_4122 for v in values)
    assert len(set(values)) == 300
    assert values == values_of({"type": "uuid"}, rows=300)


def test_dates_absolute_and_relative():
    values = values_of({"type": "date", "start": "2020-02-01", "end": "2020-02-29"}, rows=1000)
    days = {date.fromisoformat(v) for v in values}
    assert min(days) == date(2020, 2, 1) and max(days) == date(2020, 2, 29)
    relative = values_of({"type": "date", "start": "-2y", "end": "+30d"}, rows=1000)
    parsed = [date.fromisoformat(v) for v in relative]
    assert min(parsed) >= date(2023, 5, 1) and max(parsed) <= date(2025, 5, 31)
    assert max(parsed) > date(2025, 5, 1)  # some fall after the reference day
    today = values_of({"type": "date", "start": "today", "end": "today"}, rows=5)
    assert set(today) == {"2025-05-01"}


def test_datetimes_relative_hours_and_timezone():
    values = values_of({"type": "datetime", "start": "-6h", "end": "now"}, rows=500)
    assert all(v.endswith("Z") for v in values)
    stamps = [datetime.fromisoformat(v) for v in values]
    assert min(stamps) >= REFERENCE_TIME - timedelta(hours=6) and max(stamps) <= REFERENCE_TIME
    paris = values_of({"type": "datetime", "start": "2025-07-01T00:00:00", "end": "2025-07-02T00:00:00",
                       "timezone": "Europe/Paris"}, rows=200)
    assert all(v.endswith("+02:00") for v in paris)
    # A naive start is read in the column's time zone: midnight in Paris is 22:00 UTC.
    assert min(datetime.fromisoformat(v) for v in paris) >= datetime.fromisoformat("2025-06-30T22:00:00+00:00")
    tokyo_today = values_of({"type": "date", "start": "today", "end": "today", "timezone": "Asia/Tokyo"}, rows=3)
    assert set(tokyo_today) == {"2025-05-01"}
    late = values_of({"type": "date", "start": "today", "end": "today", "timezone": "Pacific/Kiritimati"}, rows=3)
    assert set(late) == {"2025-05-02"}  # 13:45 UTC is already the next day at UTC+14


def test_datetime_distribution_skews_towards_start():
    values = values_of({"type": "datetime", "start": "-30d", "end": "now",
                        "distribution": {"exponential": {"scale": 86400}}}, rows=2000)
    ages = [(REFERENCE_TIME - datetime.fromisoformat(v)).total_seconds() / 86400 for v in values]
    assert statistics.median(ages) > 28  # most values lie within the first days after the start


def test_time_ranges_and_wrap_past_midnight():
    values = values_of({"type": "time", "start": "08:00", "end": "09:30"}, rows=500)
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", v) and "08:00:00" <= v <= "09:30:00" for v in values)
    night = values_of({"type": "time", "start": "22:00:00", "end": "02:00:00"}, rows=500)
    assert all(v >= "22:00:00" or v <= "02:00:00" for v in night)
    assert any(v < "02:00:00" for v in night) and any(v > "22:00:00" for v in night)


def test_faker_bulk_row_by_row_args_and_locale():
    names = values_of({"type": "faker", "provider": "first_name"}, rows=300)
    assert all(isinstance(v, str) and v for v in names) and len(set(names)) > 50
    ints = values_of({"type": "faker", "provider": "pyint", "args": {"min_value": 3, "max_value": 5}}, rows=200)
    assert set(ints) == {3, 4, 5}
    dates = values_of({"type": "faker", "provider": "date_object"}, rows=20)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in dates)
    german = values_of({"type": "faker", "provider": "city", "locale": "de_DE"}, rows=300)
    from faker import Faker

    known = set()
    fake = Faker("de_DE")
    for _ in range(3000):
        known.add(fake.city())
    assert len(set(german) & known) > 20


def test_template_reads_columns_and_transforms():
    doc = doc_with({"a": {"type": "choice", "values": ["Ab Cd"]}, "n": {"type": "sequence"},
                    "b": {"type": "boolean", "probability": 1},
                    "plain": {"type": "template", "template": "{a}/{n}/{b} {{x}}"},
                    "low": {"type": "template", "template": "{a}", "lower": True},
                    "up": {"type": "template", "template": "{a}", "upper": True},
                    "slug": {"type": "template", "template": "{a} & Ünïcode!", "slug": True}}, rows=3)
    rows = generate_table(doc)
    assert [r["plain"] for r in rows] == ["Ab Cd/1/true {x}", "Ab Cd/2/true {x}", "Ab Cd/3/true {x}"]
    assert rows[0]["low"] == "ab cd" and rows[0]["up"] == "AB CD" and rows[0]["slug"] == "ab-cd-unicode"


def test_expression_arithmetic_and_nulls():
    doc = doc_with({"a": {"type": "integer", "min": 1, "max": 9}, "b": {"type": "integer", "min": 0, "max": 3},
                    "f": {"type": "float", "min": 0, "max": 1, "null_ratio": 0.2},
                    "e": {"type": "expression", "expr": "a * 2 + b ** 2 - a // 2 + a % 3"},
                    "d": {"type": "expression", "expr": "a / b"},
                    "r": {"type": "expression", "expr": "round(a / 3, 2) + max(a, b, 5) - min(a, 2) + abs(-b)"},
                    "g": {"type": "expression", "expr": "f * 10"}}, rows=500)
    for row in generate_table(doc):
        a, b = row["a"], row["b"]
        assert row["e"] == a * 2 + b**2 - a // 2 + a % 3
        assert row["d"] is None if b == 0 else row["d"] == pytest.approx(a / b)
        assert row["r"] == pytest.approx(round(a / 3, 2) + max(a, b, 5) - min(a, 2) + abs(-b))
        assert (row["g"] is None) == (row["f"] is None)


def test_null_ratio_share():
    values = values_of({"type": "integer", "null_ratio": 0.25})
    assert 0.22 < values.count(None) / N < 0.28
    assert values_of({"type": "integer", "null_ratio": 1}, rows=10) == [None] * 10


def test_when_overrides_listed_keys_first_match_wins():
    doc = doc_with({"tier": {"type": "choice", "values": ["a", "b", "c"]},
                    "v": {"type": "integer", "min": 0, "max": 10, "when": [
                        {"if": {"column": "tier", "op": "==", "value": "a"}, "then": {"min": 100, "max": 110}},
                        {"if": {"column": "tier", "op": "in", "value": ["a", "b"]}, "then": {"min": 200, "max": 210,
                                                                                              "null_ratio": 0.5}}]}},
                   rows=3000)
    rows = generate_table(doc)
    by_tier = {t: [r["v"] for r in rows if r["tier"] == t] for t in "abc"}
    assert all(100 <= v <= 110 for v in by_tier["a"])
    assert 0.4 < by_tier["b"].count(None) / len(by_tier["b"]) < 0.6
    assert all(200 <= v <= 210 for v in by_tier["b"] if v is not None)
    assert all(0 <= v <= 10 for v in by_tier["c"])


@pytest.mark.parametrize(("op", "value", "expected"), [
    ("!=", 5, lambda x: x != 5), ("<", 5, lambda x: x < 5), ("<=", 5, lambda x: x <= 5),
    (">", 5, lambda x: x > 5), (">=", 5, lambda x: x >= 5), ("not_in", [1, 2], lambda x: x not in (1, 2)),
])
def test_when_operators(op, value, expected):
    doc = doc_with({"x": {"type": "integer", "min": 0, "max": 9},
                    "y": {"type": "constant", "value": "no",
                          "when": [{"if": {"column": "x", "op": op, "value": value}, "then": {"value": "yes"}}]}},
                   rows=300)
    for row in generate_table(doc):
        assert (row["y"] == "yes") == expected(row["x"])


def test_when_on_dates_and_nulls():
    doc = doc_with({"d": {"type": "date", "start": "2020-01-01", "end": "2020-12-31", "null_ratio": 0.2},
                    "half": {"type": "constant", "value": 1, "when": [
                        {"if": {"column": "d", "op": "==", "value": None}, "then": {"value": 0}},
                        {"if": {"column": "d", "op": ">=", "value": "2020-07-01"}, "then": {"value": 2}}]}},
                   rows=500)
    for row in generate_table(doc):
        expected = 0 if row["d"] is None else 2 if row["d"] >= "2020-07-01" else 1
        assert row["half"] == expected


def test_array_lengths_items_and_unique_items():
    values = values_of({"type": "array", "of": {"type": "integer", "min": 0, "max": 5}, "min_length": 2,
                        "max_length": 4}, rows=500)
    assert {len(v) for v in values} == {2, 3, 4}
    assert all(0 <= x <= 5 for v in values for x in v)
    unique = values_of({"type": "array", "of": {"type": "choice", "values": ["a", "b", "c", "d"]},
                        "min_length": 4, "max_length": 4, "unique_items": True}, rows=300)
    assert all(sorted(v) == ["a", "b", "c", "d"] for v in unique)
    assert len({tuple(v) for v in unique}) > 10
    tags = values_of({"type": "array", "of": {"type": "string", "pattern": "t\\d"}, "max_length": 10,
                      "unique_items": True}, rows=300)
    assert all(len(set(v)) == len(v) for v in tags)
    seq = values_of({"type": "array", "of": {"type": "sequence", "start": 0}, "min_length": 3, "max_length": 3},
                    rows=3)
    assert seq == [[0, 1, 2]] * 3


def test_object_fields_nested():
    values = values_of({"type": "object", "fields": {
        "n": {"type": "integer", "min": 1, "max": 1},
        "inner": {"type": "object", "fields": {"flag": {"type": "boolean", "probability": 1}}},
        "maybe": {"type": "uuid", "null_ratio": 1}}}, rows=5)
    assert values == [{"n": 1, "inner": {"flag": True}, "maybe": None}] * 5


def test_constant_of_any_json_value():
    assert values_of({"type": "constant", "value": {"a": [1, 2]}}, rows=2) == [{"a": [1, 2]}] * 2
    assert values_of({"type": "constant", "value": 3.5}, rows=2) == [3.5, 3.5]
    assert values_of({"type": "constant", "value": None}, rows=2) == [None, None]


def test_timeseries_components():
    flat = values_of({"type": "timeseries", "base": 10, "trend": 2}, rows=5)
    assert flat == [10.0, 12.0, 14.0, 16.0, 18.0]
    seasonal = values_of({"type": "timeseries", "seasonality": {"amplitude": 3, "period": 4}}, rows=8)
    assert seasonal == pytest.approx([0, 3, 0, -3, 0, 3, 0, -3], abs=1e-9)
    noisy = values_of({"type": "timeseries", "noise": 2}, rows=3000)
    assert abs(statistics.mean(noisy)) < 0.2 and 1.8 < statistics.stdev(noisy) < 2.2
    walk = values_of({"type": "timeseries", "walk": 1}, rows=9000)
    steps = np.diff(walk)
    assert walk[0] == 0.0 and 0.95 < np.std(steps) < 1.05
    assert abs(np.corrcoef(walk[:-1], walk[1:])[0, 1]) > 0.9  # a walk, not noise


def test_series_time_steps():
    values = values_of({"type": "series_time", "start": "2025-01-01T00:00:00Z", "step": "15m"}, rows=4)
    assert values == ["2025-01-01T00:00:00Z", "2025-01-01T00:15:00Z", "2025-01-01T00:30:00Z",
                      "2025-01-01T00:45:00Z"]
    daily = values_of({"type": "series_time", "start": "today", "step": "1d"}, rows=2)
    assert daily == ["2025-05-01T00:00:00Z", "2025-05-02T00:00:00Z"]


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_vin_credit_card_iban():
    vins = values_of({"type": "vin"}, rows=50)
    assert all(re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", v) for v in vins)
    cards = values_of({"type": "credit_card", "brand": "visa"}, rows=50)
    assert all(c.startswith("4") and _luhn_ok(c) for c in cards)
    any_brand = values_of({"type": "credit_card"}, rows=50)
    assert all(_luhn_ok(c) for c in any_brand)
    ibans = values_of({"type": "iban", "country": "NL"}, rows=50)
    for value in ibans:
        assert value.startswith("NL")
        digits = "".join(str(int(ch, 36)) for ch in value[4:] + value[:4])
        assert int(digits) % 97 == 1


def test_mrz_td3_reads_row_columns():
    doc = doc_with({"surname": {"type": "constant", "value": "Müller"},
                    "given": {"type": "constant", "value": "Anna"},
                    "born": {"type": "date", "start": "1980-05-17", "end": "1980-05-17"},
                    "mrz": {"type": "mrz_td3", "fields": {"surname": "surname", "given_names": "given",
                                                          "birth_date": "born"}}}, rows=3)
    for row in generate_table(doc):
        line1, line2 = row["mrz"].split("\n")
        assert len(line1) == len(line2) == 44
        assert line1.startswith("P<") and "MULLER<<ANNA" in line1
        assert line2[13:19] == "800517"


def test_pii_and_description_are_kept_in_the_document():
    spec = parse_spec(doc_with({"c": {"type": "uuid", "pii": True, "description": "who"}}))
    col = spec.doc["tables"]["t"]["columns"]["c"]
    assert col["pii"] is True and col["description"] == "who"


def test_batch_interface():
    spec = parse_spec(doc_with({"n": {"type": "sequence"}, "d": {"type": "date", "start": "2020-01-01",
                                                                 "end": "2020-01-01"}}, rows=10))
    the_plan = plan(spec, reference_time=REFERENCE_TIME)
    batch = generate_chunk(the_plan, "t", 3, 6)
    assert (batch.table, batch.start, batch.stop, len(batch)) == ("t", 3, 6, 3)
    assert batch.column_names == ["n", "d"]
    assert batch.columns == {"n": [4, 5, 6], "d": ["2020-01-01"] * 3}
    assert list(batch.rows())[0] == {"n": 4, "d": "2020-01-01"}
    assert batch.json_rows()[0] == b'{"n":4,"d":"2020-01-01"}'
    assert batch.kinds == {"n": "int", "d": "date"}
    assert generate_chunk(the_plan, "t", 5, 5).json_rows() == []
    with pytest.raises(ValueError):
        generate_chunk(the_plan, "t", 5, 11)


def test_relative_times_of_day():
    values = values_of({"type": "time", "start": "-1h", "end": "now"}, rows=300)
    assert all("12:45:00" <= v <= "13:45:00" for v in values)


def test_document_locale_is_the_default_for_faker_columns():
    doc = doc_with({"c": {"type": "faker", "provider": "city"}})
    doc["locale"] = "fr_FR"
    spec = parse_spec(doc)
    assert spec.doc["tables"]["t"]["columns"]["c"]["locale"] == "fr_FR"


def test_long_strings_are_made_in_bounded_slices():
    values = values_of({"type": "string", "length": {"min": 900, "max": 1000}, "alphabet": "ab"}, rows=3000)
    assert all(900 <= len(v) <= 1000 and set(v) <= {"a", "b"} for v in values)
