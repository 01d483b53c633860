"""The `national_id` column type (version 1.1): every value of every scheme passes the profiler's independent
validator, numbers agree with the row's birth date and sex, invalid_ratio breaks exactly the labelled rows'
check, unique columns, bad keys as problems with paths, and the same bytes in any chunking."""

import datetime as dt

import numpy as np
import pytest

from apps.generation.engine.errors import GenerationError
from apps.generation.engine.invalid_values import invalid_rows
from apps.generation.engine.randomness import derive_key
from apps.profiling import national_ids as validators

from .helpers import generate_table, problem_strings
from .test_domain_types_v11 import assert_chunk_invariant, doc

SCHEMES = list(validators.SCHEMES)
DATED = ["fr_nir", "it_codice_fiscale", "se_personnummer", "fi_hetu", "dk_cpr"]
PEOPLE = {
    "born": {"type": "date", "start": "1890-01-01", "end": "2030-12-31"},
    "sex": {"type": "choice", "values": ["F", "M", "female", "male"]},
}


def test_the_registry_knows_the_same_ten_schemes_as_the_profiler():
    from apps.generation.engine import national_ids

    assert set(national_ids.SCHEMES) == set(SCHEMES)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_value_of_every_scheme_passes_its_check(scheme):
    values = [row["v"] for row in generate_table(doc({"v": {"type": "national_id", "scheme": scheme}}, rows=10_000))]
    invalid = [v for v in values if not validators.is_valid(scheme, v)]
    assert invalid == []
    assert len(set(values)) > 9_900  # drawn from a large domain, not a handful of numbers
    if scheme in DATED:  # drawn birth dates, spread over the years
        assert len({_decoded(scheme, v)[0] for v in values}) > 500


# ----------------------------------------------------------------------------- birth date and sex

def _decoded(scheme: str, value: str) -> tuple:
    """(what the number says of the birth date, female?) read from the number by hand."""
    if scheme == "fr_nir":
        return (int(value[1:3]), int(value[3:5])), value[0] == "2"
    if scheme == "it_codice_fiscale":
        day = int(value[9:11])
        return (int(value[6:8]), "ABCDEHLMPRST".index(value[8]) + 1, day % 40), day > 40
    if scheme == "se_personnummer":
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8])), int(value[11]) % 2 == 0
    if scheme == "fi_hetu":
        century = {"+": 1800, "-": 1900, "A": 2000}[value[6]]
        return dt.date(century + int(value[4:6]), int(value[2:4]), int(value[:2])), int(value[7:10]) % 2 == 0
    yy, digit = int(value[4:6]), int(value[7])  # dk_cpr: the century from the 7th digit (the CPR table)
    if digit <= 3:
        century = 1900
    elif digit in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    return dt.date(century + yy, int(value[2:4]), int(value[:2])), int(value[10]) % 2 == 0


def _expected(scheme: str, born: dt.date) -> object:
    if scheme == "fr_nir":
        return born.year % 100, born.month
    if scheme == "it_codice_fiscale":
        return born.year % 100, born.month, born.day
    return born


@pytest.mark.parametrize("scheme", DATED)
def test_each_number_agrees_with_its_rows_birth_date_and_sex(scheme):
    born = {"type": "date", "start": "1900-01-01" if scheme != "dk_cpr" else "1858-01-01", "end": "2030-12-31"}
    columns = {**PEOPLE, "born": born, "v": {"type": "national_id", "scheme": scheme, "birth_date": "born",
                                             "sex": "sex"}}
    rows = generate_table(doc(columns, rows=3000))
    for row in rows:
        assert validators.is_valid(scheme, row["v"]), row
        date, female = _decoded(scheme, row["v"])
        assert date == _expected(scheme, dt.date.fromisoformat(row["born"])), row
        assert female == (row["sex"] in ("F", "female")), row
    assert_chunk_invariant(doc(columns, rows=300))


def test_null_birth_dates_and_sexes_get_drawn_ones_and_the_number_stays_valid():
    columns = {"born": {**PEOPLE["born"], "start": "1950-01-01", "null_ratio": 0.3},
               "sex": {**PEOPLE["sex"], "null_ratio": 0.3},
               "v": {"type": "national_id", "scheme": "fi_hetu", "birth_date": "born", "sex": "sex"}}
    rows = generate_table(doc(columns, rows=2000))
    assert any(row["born"] is None for row in rows) and any(row["sex"] is None for row in rows)
    assert all(validators.is_valid("fi_hetu", row["v"]) for row in rows)
    drawn_sexes = {_decoded("fi_hetu", row["v"])[1] for row in rows if row["sex"] is None}
    assert drawn_sexes == {True, False}
    assert_chunk_invariant(doc(columns))


@pytest.mark.parametrize(("scheme", "start", "message"), [
    ("fi_hetu", "1700-01-01", r"birth year 17\d\d is outside 1800-2099"),
    ("dk_cpr", "2060-01-01", r"birth year 20\d\d is outside 1858-2057"),
])
def test_a_birth_date_the_scheme_cannot_write_fails_the_chunk_naming_column_and_row(scheme, start, message):
    columns = {"born": {"type": "date", "start": start, "end": start[:4] + "-12-31"},
               "v": {"type": "national_id", "scheme": scheme, "birth_date": "born"}}
    with pytest.raises(GenerationError, match=r"tables\.t\.columns\.v\.birth_date: row \d+: " + message):
        generate_table(doc(columns, rows=20))


def test_a_sex_value_it_cannot_read_fails_the_chunk_naming_column_and_row():
    columns = {"sex": {"type": "string", "pattern": "[XY]"},
               "v": {"type": "national_id", "scheme": "se_personnummer", "sex": "sex"}}
    with pytest.raises(GenerationError, match=r"tables\.t\.columns\.v\.sex: row \d+: '[XY]' is no sex"):
        generate_table(doc(columns, rows=20))


# ----------------------------------------------------------------------------- invalid_ratio

@pytest.mark.parametrize("scheme", SCHEMES)
def test_invalid_ratio_breaks_exactly_the_labelled_rows_and_only_their_check(scheme):
    rows = 3000
    spec = {"type": "national_id", "scheme": scheme}
    clean = [row["v"] for row in generate_table(doc({"v": spec}, rows=rows))]
    broken = [row["v"] for row in generate_table(doc({"v": {**spec, "invalid_ratio": 0.2}}, rows=rows))]
    labelled = invalid_rows(derive_key(5, "t", "v", "invalid"), np.arange(rows), 0.2).tolist()
    assert 0.17 < sum(labelled) / rows < 0.23
    assert [not validators.is_valid(scheme, v) for v in broken] == labelled
    for before, after, wrong in zip(clean, broken, labelled, strict=True):
        assert (before != after) == wrong
        assert sum(a != b for a, b in zip(before, after, strict=True)) <= 2 and len(before) == len(after)
    assert_chunk_invariant(doc({"v": {**spec, "invalid_ratio": 0.2}}))


# ----------------------------------------------------------------------------- unique

@pytest.mark.parametrize("scheme", SCHEMES)
def test_unique_numbers_can_be_a_primary_key(scheme):
    columns = {"sex": PEOPLE["sex"]} if scheme in DATED else {}
    spec = {"type": "national_id", "scheme": scheme, "unique": True}
    if scheme == "fi_hetu":
        spec["sex"] = "sex"
    if scheme not in ("us_ssn", "uk_nino"):
        spec["invalid_ratio"] = 0.05
    document = doc({**columns, "v": spec}, rows=20_000)
    document["tables"]["t"]["primary_key"] = "v"
    values = [row["v"] for row in generate_table(document)]
    assert len(set(values)) == 20_000
    broken = sum(not validators.is_valid(scheme, v) for v in values) / 20_000
    assert 0.03 < broken < 0.07 if "invalid_ratio" in spec else broken == 0


def test_unique_is_refused_where_numbers_could_repeat():
    cases = {
        "with_date": ({**PEOPLE, "v": {"type": "national_id", "scheme": "se_personnummer", "birth_date": "born",
                                        "unique": True}}, "reads its birth date from a column cannot be unique"),
        "ssn_broken": ({"v": {"type": "national_id", "scheme": "us_ssn", "unique": True, "invalid_ratio": 0.1}},
                       "a unique us_ssn column cannot have invalid_ratio"),
    }
    for columns, message in cases.values():
        problems = problem_strings(doc(columns))
        assert any(p.startswith("tables.t.columns.v") and message in p for p in problems), problems


def test_a_table_larger_than_the_unique_domain_is_refused():
    # A HETU numbers 898 individuals (002-899) per birth date drawn from 1940-2007: 22,303,626 in all.
    document = doc({"v": {"type": "national_id", "scheme": "fi_hetu", "unique": True}}, rows=30_000_000)
    problems = problem_strings(document)
    assert any(p.startswith("tables.t.columns.v") and "22303626" in p for p in problems), problems


# ----------------------------------------------------------------------------- bad keys

@pytest.mark.parametrize(("columns", "problem"), [
    ({"v": {"type": "national_id"}}, "tables.t.columns.v.scheme: is required"),
    ({"v": {"type": "national_id", "scheme": "xx_id"}},
     "tables.t.columns.v.scheme: unknown scheme 'xx_id' (expected one of nl_bsn, de_steuer_id, fr_nir"),
    ({"v": {"type": "national_id", "scheme": 7}}, "tables.t.columns.v.scheme: "),
    ({"b": {"type": "string"}, "v": {"type": "national_id", "scheme": "fi_hetu", "birth_date": "b"}},
     "tables.t.columns.v.birth_date: column 'b' holds str values; a birth_date column holds dates"),
    ({"b": {"type": "datetime"}, "v": {"type": "national_id", "scheme": "fr_nir", "birth_date": "b"}},
     "tables.t.columns.v.birth_date: column 'b' holds datetime values; a birth_date column holds dates"),
    ({"v": {"type": "national_id", "scheme": "fi_hetu", "birth_date": "nope"}},
     "tables.t.columns.v.birth_date: names unknown column 'nope'"),
    ({"v": {"type": "national_id", "scheme": "fi_hetu", "birth_date": "v"}},
     "tables.t.columns.v.birth_date: cannot name the national_id column itself"),
    ({**PEOPLE, "v": {"type": "national_id", "scheme": "es_dni", "birth_date": "born"}},
     "tables.t.columns.v.birth_date: es_dni numbers do not encode a birth date (only fr_nir, it_codice_fiscale"),
    ({**PEOPLE, "v": {"type": "national_id", "scheme": "nl_bsn", "sex": "sex"}},
     "tables.t.columns.v.sex: nl_bsn numbers do not encode the sex"),
    ({"s": {"type": "integer"}, "v": {"type": "national_id", "scheme": "dk_cpr", "sex": "s"}},
     "tables.t.columns.v.sex: column 's' holds int values; a sex column holds strings (F or M)"),
    ({"s": {"type": "choice", "values": ["F", "M", "X"]}, "v": {"type": "national_id", "scheme": "dk_cpr", "sex": "s"}},
     "tables.t.columns.v.sex: column 's' can hold values that are no sex: X"),
    ({"v": {"type": "national_id", "scheme": "fi_hetu", "birth_date": ["born"]}},
     "tables.t.columns.v.birth_date: must be a column name, got a list"),
    ({"v": {"type": "national_id", "scheme": "nl_bsn", "invalid_ratio": 2}},
     "tables.t.columns.v.invalid_ratio: must be at most 1, got 2"),
    ({"v": {"type": "national_id", "scheme": "nl_bsn", "country": "NL"}},
     "tables.t.columns.v.country: unknown key for type national_id"),
    ({**PEOPLE, "a": {"type": "array", "of": {"type": "national_id", "scheme": "fi_hetu", "birth_date": "born"}}},
     "tables.t.columns.a.of: a national_id that reads a birth date or sex column cannot be nested"),
    ({"n": {"type": "integer"}, "v": {"type": "national_id", "scheme": "nl_bsn", "when": [
        {"if": {"column": "n", "op": ">", "value": 5}, "then": {"scheme": "es_dni"}}]}},
     "tables.t.columns.v.when[0].then.scheme: scheme cannot be overridden by a when clause"),
])
def test_bad_keys_are_reported_with_their_path(columns, problem):
    problems = problem_strings(doc(columns))
    assert any(p.startswith(problem) for p in problems), problems


def test_version_1_refuses_the_type():
    problems = problem_strings(doc({"v": {"type": "national_id", "scheme": "nl_bsn", "invalid_ratio": 0.1}},
                                   version=1))
    assert problems == ["tables.t.columns.v.type: the national_id type needs `version: 1.1`",
                        "tables.t.columns.v.invalid_ratio: needs version: 1.1"]


def test_nested_numbers_without_columns_and_when_clauses_are_valid():
    columns = {"n": {"type": "integer", "min": 0, "max": 9},
               "a": {"type": "array", "of": {"type": "national_id", "scheme": "de_steuer_id"}, "min_length": 1,
                     "max_length": 3},
               "v": {"type": "national_id", "scheme": "it_codice_fiscale", "null_ratio": 0.1, "when": [
                   {"if": {"column": "n", "op": ">", "value": 4}, "then": {"invalid_ratio": 1}}]}}
    rows = generate_table(doc(columns, rows=500))
    assert all(validators.is_valid("de_steuer_id", item) for row in rows for item in row["a"])
    for row in rows:
        if row["v"] is not None:
            assert validators.is_valid("it_codice_fiscale", row["v"]) == (row["n"] <= 4), row
    assert any(row["v"] is None for row in rows)
    assert_chunk_invariant(doc(columns))
