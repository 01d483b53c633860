"""VINs of a given make and model year: the built-in WMI table, position 10, check digit, unique serials."""

import numpy as np
import pytest

from apps.generation.engine import vin

from .test_domain import vin_is_valid

YEARS = np.arange(1980, 2040)


def test_the_table_knows_at_least_forty_makes_with_distinct_wmis():
    assert len(vin.MAKES) >= 40
    wmis = [wmi for wmis in vin.MAKE_WMIS.values() for wmi in wmis]
    assert len(wmis) == len(set(wmis))
    assert all(len(wmi) == 3 and set(wmi) <= set(vin.ALPHABET) for wmi in wmis)


@pytest.mark.parametrize(("year", "code"), [(1980, "A"), (1999, "X"), (2000, "Y"), (2001, "1"), (2009, "9"),
                                            (2010, "A"), (2020, "L"), (2024, "R"), (2025, "S"), (2039, "9")])
def test_position_10_codes_the_model_year(year, code):
    value = vin.vins(np.random.default_rng(0), [vin.make_index("Ford")], [year])[0]
    assert value[9] == code
    assert vin.decode(value)["model_year"] == year


def test_every_make_and_year_decodes_back_and_passes_the_check_digit():
    makes = np.repeat(np.arange(len(vin.MAKES)), len(YEARS))
    years = np.tile(YEARS, len(vin.MAKES))
    values = vin.vins(np.random.default_rng(1), makes, years)
    assert all(vin_is_valid(v) for v in values)
    assert not any(v[9] in "IOQUZ0" for v in values)
    decoded = [vin.decode(v) for v in values]
    assert [d["make"] for d in decoded] == [vin.MAKES[m] for m in makes]
    assert [d["model_year"] for d in decoded] == years.tolist()
    assert all(d["check_digit_valid"] for d in decoded)


def test_a_published_vin_decodes_to_its_year_and_an_unknown_wmi():
    # 1M8GDM9AXKP042788 (a 1989 Motor Coach Industries coach, the usual check-digit example).
    assert vin.decode("1M8GDM9AXKP042788") == {"make": None, "model_year": 1989, "check_digit_valid": True}
    assert vin.decode("1M8GDM9A1KP042788")["check_digit_valid"] is False


def test_makes_match_whatever_the_spelling():
    assert vin.make_index("citroën") == vin.make_index("Citroen") == vin.MAKES.index("Citroen")
    assert vin.make_index("mercedes benz") == vin.make_index("Mercedes") == vin.MAKES.index("Mercedes-Benz")
    assert vin.make_index("VW") == vin.MAKES.index("Volkswagen")
    assert vin.make_index("Trabant") == -1 and vin.make_index(None) == -1
    assert vin.make_indices(np.array(["Ford", "ford", "Yugo", None], dtype=object)).tolist() == [
        vin.MAKES.index("Ford")] * 2 + [-1, -1]


def test_serials_never_repeat_and_do_not_depend_on_chunking():
    rows = np.arange(300_000)
    whole = vin.serials(rows, key=42)
    assert len(np.unique(whole)) == len(rows)
    assert whole.min() >= 0 and whole.max() < vin.SERIAL_DOMAIN
    assert np.array_equal(vin.serials(rows[1000:1007], key=42), whole[1000:1007])
    makes = np.full(len(rows), vin.make_index("Toyota"))
    values = vin.vins(np.random.default_rng(2), makes, np.full(len(rows), 2020), whole)
    assert len(set(values)) == len(rows)


def test_unknown_makes_and_years_out_of_range_are_refused():
    with pytest.raises(ValueError, match="make"):
        vin.vins(np.random.default_rng(0), [-1], [2000])
    with pytest.raises(ValueError, match="1980-2039"):
        vin.vins(np.random.default_rng(0), [0], [1979])
    with pytest.raises(ValueError, match="1980-2039"):
        vin.vins(np.random.default_rng(0), [0], [2040])
    assert vin.vins(np.random.default_rng(0), [], []) == []
