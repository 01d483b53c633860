"""invalid_ratio: exactly the chosen rows fail their check digit; every other check digit stays valid."""

import datetime

import numpy as np
import pytest

from apps.generation.engine import domain, vin
from apps.generation.engine.invalid_values import break_check_digits, invalid_rows

from .test_domain import NATIONAL_VALIDATORS, iban_is_valid, luhn_is_valid, mrz_digit, vin_is_valid

N = 3000
ROWS = np.arange(10_000, 10_000 + N)


def mrz_fields_are_valid(value: str) -> bool:
    line2 = value.split("\n")[1]
    return (line2[9] == mrz_digit(line2[0:9]) and line2[19] == mrz_digit(line2[13:19])
            and line2[27] == mrz_digit(line2[21:27]) and line2[42] == mrz_digit(line2[28:42]))


def mrz_composite_is_valid(value: str) -> bool:
    line2 = value.split("\n")[1]
    return line2[43] == mrz_digit(line2[0:10] + line2[13:20] + line2[21:43])


def generated(kind: str) -> list[str]:
    rng = np.random.default_rng(4)
    if kind == "vin":
        return vin.vins(rng, rng.integers(0, len(vin.MAKES), N), rng.integers(1980, 2040, N))
    if kind == "credit_card":
        return domain.credit_card(rng, N)
    if kind == "iban":
        return domain.iban(rng, N)
    days = rng.integers(0, 20_000, N)
    return domain.mrz_td3(
        document_number=[f"C{d:08d}" for d in days], nationality=["NLD"] * N,
        birth_date=[datetime.date(1950, 1, 1) + datetime.timedelta(days=int(d)) for d in days],
        sex=["F"] * N, expiry_date=["2031-05-02"] * N, surname=["Jansen"] * N, given_names=["Eva"] * N,
        issuing_state=["NLD"] * N, optional_data=[f"{d}" for d in days])


CHECKERS = {"vin": vin_is_valid, "credit_card": luhn_is_valid, "iban": iban_is_valid, "mrz_td3": mrz_composite_is_valid}


@pytest.mark.parametrize("kind", ["vin", "credit_card", "iban", "mrz_td3"])
def test_exactly_the_chosen_rows_fail_the_checker(kind):
    values = generated(kind)
    assert all(CHECKERS[kind](v) for v in values)
    mask = invalid_rows(99, ROWS, 0.1)
    broken = break_check_digits(kind, values, 99, ROWS, mask)
    failing = np.array([not CHECKERS[kind](v) for v in broken])
    assert np.array_equal(failing, mask)
    assert 0.08 < mask.mean() < 0.12
    # Only the one check digit changed: same length, one or two characters apart.
    for before, after in zip(values, broken, strict=True):
        assert len(before) == len(after)
        assert sum(a != b for a, b in zip(before, after, strict=True)) <= 2
    if kind == "iban":
        for value in broken:
            national = NATIONAL_VALIDATORS.get(value[:2])
            assert national is None or national(value[4:])
    if kind == "mrz_td3":
        assert all(mrz_fields_are_valid(v) for v in broken)


def test_the_rows_do_not_depend_on_chunking_or_other_rows():
    whole = invalid_rows(5, np.arange(100_000), 0.25)
    assert np.array_equal(invalid_rows(5, np.arange(7, 14), 0.25), whole[7:14])
    assert np.array_equal(invalid_rows(5, np.arange(99_999, 100_000), 0.25), whole[-1:])
    assert 0.24 < whole.mean() < 0.26
    assert not invalid_rows(5, np.arange(1000), 0).any()
    assert invalid_rows(5, np.arange(1000), 1).all()
    assert not np.array_equal(invalid_rows(6, np.arange(1000), 0.5), invalid_rows(5, np.arange(1000), 0.5))


def test_nulls_stay_null():
    broken = break_check_digits("credit_card", [None, "4111111111111111"], 1, np.arange(2), np.array([True, True]))
    assert broken[0] is None and not luhn_is_valid(broken[1])
