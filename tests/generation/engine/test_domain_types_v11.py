"""Version 1.1 keys of the domain types, through documents: vin make/year/unique, invalid_ratio, names in
the MRZ, and a locale per row; each with bad inputs (problems with paths) and chunk invariance."""

import copy
import re

import pytest
from faker import Faker

from apps.generation.engine import SpecError, generate_chunk, parse_spec, plan, vin
from apps.generation.engine.errors import GenerationError
from apps.generation.engine.mrz_transliteration import icao_latin
from apps.generation.engine.row_locales import romanised_names

from .all_types import REFERENCE_TIME
from .helpers import generate_table, problem_strings
from .test_domain import NATIONAL_VALIDATORS, assert_valid_td3, iban_is_valid, luhn_is_valid, mrz_digit, vin_is_valid

CHUNK_SIZES = (1, 7, 1000, None)  # None: the whole table in one chunk


def doc(columns: dict, rows=300, **document) -> dict:
    return {"version": 1.1, "name": "t", "seed": 5, **document,
            "tables": {"t": {"rows": rows, "columns": copy.deepcopy(columns)}}}


def table_bytes(document: dict, chunk_size: int | None) -> bytes:
    rows = document["tables"]["t"]["rows"]
    the_plan = plan(parse_spec(document), reference_time=REFERENCE_TIME, chunk_size=chunk_size or rows)
    return b"\n".join(line for chunk in the_plan.chunks
                      for line in generate_chunk(the_plan, "t", chunk.start, chunk.stop).json_rows())


def assert_chunk_invariant(document: dict) -> None:
    whole = table_bytes(document, None)
    for size in CHUNK_SIZES[:-1]:
        assert table_bytes(document, size) == whole, size


VEHICLES = {
    "make": {"type": "choice", "values": ["Toyota", "Ford", "Mercedes-Benz", "Citroën", "Tesla", "VW"]},
    "model_year": {"type": "integer", "min": 1981, "max": 2030},
    "vin": {"type": "vin", "make": "make", "year": "model_year"},
    "fixed": {"type": "vin", "make": "Volvo", "year": 2024},
    "any": {"type": "vin"},
}


# ----------------------------------------------------------------------------- vin
def test_each_vin_decodes_to_its_rows_make_and_model_year():
    rows = generate_table(doc(VEHICLES, rows=2000))
    for row in rows:
        decoded = vin.decode(row["vin"])
        assert vin_is_valid(row["vin"]) and vin_is_valid(row["fixed"]) and vin_is_valid(row["any"])
        assert vin.make_index(decoded["make"]) == vin.make_index(row["make"])
        assert decoded["model_year"] == row["model_year"]
        assert vin.decode(row["fixed"])["make"] == "Volvo" and vin.decode(row["fixed"])["model_year"] == 2024
        assert vin.decode(row["any"])["make"] in vin.MAKES


def test_unique_vins_can_be_a_primary_key():
    columns = {**VEHICLES, "vin": {**VEHICLES["vin"], "unique": True}}
    document = doc({"make": {"type": "constant", "value": "Ford"},
                    "vin": {"type": "vin", "make": "make", "year": 2020, "unique": True}}, rows=20_000)
    document["tables"]["t"]["primary_key"] = "vin"
    values = [row["vin"] for row in generate_table(document)]
    assert len(set(values)) == 20_000 and all(vin_is_valid(v) for v in values)
    assert_chunk_invariant(doc(columns))


def test_version_1_refuses_the_new_keys_and_unique_vins():
    v1 = doc({"v": {"type": "vin", "make": "Ford", "year": 2020, "invalid_ratio": 0.1}}, version=1)
    assert problem_strings(v1) == ["tables.t.columns.v.make: needs version: 1.1",
                                   "tables.t.columns.v.year: needs version: 1.1",
                                   "tables.t.columns.v.invalid_ratio: needs version: 1.1"]
    unique = doc({"v": {"type": "vin", "unique": True}}, version=1)
    assert any("vin values are random and cannot be guaranteed unique" in p for p in problem_strings(unique))


@pytest.mark.parametrize(("columns", "problem"), [
    ({"v": {"type": "vin", "make": "Trabant"}},
     "tables.t.columns.v.make: 'Trabant' is neither a column of the table nor a make the VIN table knows"),
    ({"m": {"type": "integer"}, "v": {"type": "vin", "make": "m"}},
     "tables.t.columns.v.make: column 'm' holds int values; a make column holds strings"),
    ({"m": {"type": "choice", "values": ["Ford", "Yugo"]}, "v": {"type": "vin", "make": "m"}},
     "tables.t.columns.v.make: column 'm' can hold makes the VIN table does not know: Yugo"),
    ({"y": {"type": "string"}, "v": {"type": "vin", "year": "y"}},
     "tables.t.columns.v.year: column 'y' holds str values; a year column holds integers"),
    ({"v": {"type": "vin", "year": "nope"}}, "tables.t.columns.v.year: names unknown column 'nope'"),
    ({"v": {"type": "vin", "year": 1979}}, "tables.t.columns.v.year: must be a model year from 1980 to 2039, got 1979"),
    ({"v": {"type": "vin", "year": 2020.5}},
     "tables.t.columns.v.year: must be a model year or a column name, got a number"),
    ({"v": {"type": "vin", "make": ["Ford"]}}, "tables.t.columns.v.make: must be a make or a column name, got a list"),
    ({"v": {"type": "vin", "invalid_ratio": 1.5}}, "tables.t.columns.v.invalid_ratio: must be at most 1, got 1.5"),
    ({"y": {"type": "integer"}, "a": {"type": "array", "of": {"type": "vin", "year": "y"}}},
     "tables.t.columns.a.of: a vin that reads its make or year from a column cannot be nested in an array or object"),
])
def test_bad_vin_keys_are_reported_with_their_path(columns, problem):
    problems = problem_strings(doc(columns))
    assert any(p.startswith(problem) for p in problems), problems


def test_a_year_outside_the_cycle_fails_the_chunk_naming_column_and_row():
    document = doc({"y": {"type": "integer", "min": 2030, "max": 2045}, "v": {"type": "vin", "year": "y"}})
    with pytest.raises(GenerationError, match=r"tables\.t\.columns\.v\.year: row \d+: model year 20\d\d is outside "
                                              r"1980-2039"):
        generate_table(document)


# ----------------------------------------------------------------------------- invalid_ratio
CHECKED = {
    "vin": ({"type": "vin", "make": "BMW", "year": 2019}, vin_is_valid),
    "card": ({"type": "credit_card"}, luhn_is_valid),
    "iban": ({"type": "iban"}, iban_is_valid),
}


@pytest.mark.parametrize("name", sorted(CHECKED))
def test_invalid_ratio_breaks_that_share_of_rows_and_only_their_check_digit(name):
    spec, valid = CHECKED[name]
    clean = [row["v"] for row in generate_table(doc({"v": spec}, rows=4000))]
    broken = [row["v"] for row in generate_table(doc({"v": {**spec, "invalid_ratio": 0.2}}, rows=4000))]
    failing = [not valid(v) for v in broken]
    assert all(valid(v) for v in clean)
    assert 0.17 < sum(failing) / len(failing) < 0.23
    # Everything but the check digit is as the same document without invalid_ratio makes it.
    for before, after, fails in zip(clean, broken, failing, strict=True):
        assert (before != after) == fails
        assert sum(a != b for a, b in zip(before, after, strict=True)) <= 2
        if name == "iban" and NATIONAL_VALIDATORS.get(after[:2]):
            assert NATIONAL_VALIDATORS[after[:2]](after[4:])
    assert_chunk_invariant(doc({"v": {**spec, "invalid_ratio": 0.2}}))


def test_invalid_ratio_needs_version_1_1_on_every_type():
    for spec in ({"type": "credit_card"}, {"type": "iban"}):
        assert problem_strings(doc({"v": {**spec, "invalid_ratio": 0.1}}, version=1)) == [
            "tables.t.columns.v.invalid_ratio: needs version: 1.1"]


# ----------------------------------------------------------------------------- mrz and locale per row
PASSPORTS = {
    "nationality": {"type": "choice", "values": ["DEU", "JPN", "RUS", "GRC", "UKR", "SWE", "ISL", "AUT"]},
    "surname": {"type": "faker", "provider": "last_name", "locale": {"column": "nationality"}},
    "given_names": {"type": "faker", "provider": "first_name", "locale": {"column": "nationality"}},
    "number": {"type": "string", "pattern": "[A-Z][0-9]{8}"},
    "birth": {"type": "date", "start": "-80y", "end": "-1y"},
    "expiry": {"type": "date", "start": "today", "end": "+10y"},
    "mrz": {"type": "mrz_td3", "invalid_ratio": 0.1, "fields": {
        "document_number": "number", "nationality": "nationality", "birth_date": "birth", "expiry_date": "expiry",
        "surname": "surname", "given_names": "given_names", "issuing_state": "nationality"}},
}


def person_data(locale: str, attribute: str) -> set:
    return set(getattr(Faker(locale).factories[0].provider("faker.providers.person"), attribute))


def composite_is_valid(mrz: str) -> bool:
    line2 = mrz.split("\n")[1]
    return line2[43] == mrz_digit(line2[0:10] + line2[13:20] + line2[21:43])


def test_names_follow_each_rows_nationality_and_the_mrz_writes_their_latin_form():
    rows = generate_table(doc(PASSPORTS, rows=2000))
    german = person_data("de_DE", "last_names")
    japanese = {pair[0] for pair in person_data("ja_JP", "last_name_pairs")}
    assert {r["surname"] for r in rows if r["nationality"] == "DEU"} <= german
    assert {r["surname"] for r in rows if r["nationality"] == "JPN"} <= japanese
    assert all("\u0400" <= r["surname"][0] <= "\u04ff" for r in rows if r["nationality"] == "RUS")
    romaji = romanised_names("ja_JP")
    umlauts = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS"})
    for row in rows:
        line1 = row["mrz"].split("\n")[0]
        surname_field = line1[5:].split("<<")[0]
        assert re.fullmatch(r"[A-Z<]+", surname_field)
        if row["nationality"] == "JPN":
            assert surname_field == romaji[row["surname"]].upper()
        if row["nationality"] == "DEU" and row["surname"].isalpha():
            assert surname_field == row["surname"].upper().translate(umlauts)
        if row["nationality"] == "RUS":
            assert surname_field == icao_latin(row["surname"])
    broken = [not composite_is_valid(r["mrz"]) for r in rows]
    assert 0.07 < sum(broken) / len(rows) < 0.13
    for row, is_broken in zip(rows, broken, strict=True):
        if not is_broken:
            assert_valid_td3(row["mrz"])
    assert_chunk_invariant(doc(PASSPORTS, rows=200))


def test_a_name_the_mrz_cannot_write_fails_the_chunk_naming_column_and_row():
    chinese = {**PASSPORTS, "nationality": {"type": "choice", "values": ["CHN"]}}
    with pytest.raises(GenerationError, match=r"tables\.t\.columns\.mrz: row 0: '.+' cannot be written in an MRZ"):
        generate_table(doc(chinese, rows=20))


def test_version_1_mrz_keeps_dropping_marks():
    v1 = {name: spec for name, spec in PASSPORTS.items() if name not in ("surname", "given_names")}
    v1["surname"] = {"type": "constant", "value": "Müller"}
    v1["given_names"] = {"type": "constant", "value": "Jürgen"}
    v1["mrz"] = {"type": "mrz_td3", "fields": PASSPORTS["mrz"]["fields"]}
    rows = generate_table(doc(v1, rows=5, version=1))
    assert all(r["mrz"].split("\n")[0][5:].startswith("MULLER<<JURGEN<") for r in rows)
    rows = generate_table(doc({**v1, "mrz": PASSPORTS["mrz"]}, rows=5))
    assert all(r["mrz"].split("\n")[0][5:].startswith("MUELLER<<JUERGEN<") for r in rows)


def test_an_explicit_map_and_a_document_wide_locale_column():
    columns = {
        "country": {"type": "choice", "values": ["Germany", "France", "Atlantis"]},
        "city": {"type": "faker", "provider": "city", "locale": {"column": "country", "map": {
            "Germany": "de_DE", "France": "fr_FR"}}},
        "phone": {"type": "faker", "provider": "phone_number"},
        "street": {"type": "faker", "provider": "street_name", "locale": "it_IT"},
    }
    document = doc(columns, rows=1500, locale={"column": "country", "map": {"Germany": "de_DE", "France": "fr_FR"},
                                              "default": "en_GB"})
    assert problem_strings(document) == []
    rows = generate_table(document)
    german_cities = set(Faker("de_DE").factories[0].provider("faker.providers.address").cities)
    assert {r["city"] for r in rows if r["country"] == "Germany"} <= german_cities
    assert all(r["phone"].startswith(("+49", "0")) or "(0" in r["phone"] for r in rows if r["country"] == "Germany")
    # Atlantis is in no map: the document's default locale (en_GB) gives its phone numbers.
    assert all(r["phone"].replace(" ", "").startswith(("+44", "0", "(0")) for r in rows if r["country"] == "Atlantis")
    italian_streets = {r["street"] for r in rows}
    assert len(italian_streets) > 10
    assert_chunk_invariant(doc(columns, rows=200, locale=document["locale"]))


@pytest.mark.parametrize(("locale", "extra", "problem"), [
    ({"column": "nope"}, {}, "tables.t.columns.f.locale.column: names unknown column 'nope'"),
    ({"column": "n"}, {"n": {"type": "integer"}}, "tables.t.columns.f.locale.column: column 'n' holds int values"),
    ({"column": "s"}, {"s": {"type": "string"}},
     "tables.t.columns.f.locale: the values of column 's' are not listed in the document"),
    ({"column": "s", "map": {"a": "xx_XX"}}, {"s": {"type": "string"}},
     "tables.t.columns.f.locale.map.a: unknown locale"),
    ({"column": "s", "map": []}, {"s": {"type": "string"}},
     "tables.t.columns.f.locale.map: must be a non-empty mapping"),
    ({"map": {"a": "de_DE"}}, {}, "tables.t.columns.f.locale.column: is required"),
    ({"column": "s", "other": 1}, {"s": {"type": "constant", "value": "DEU"}},
     "tables.t.columns.f.locale.other: unknown key for a locale per row"),
    ({"column": "c"}, {"c": {"type": "choice", "values": ["DEU", "FRA", "ITA", "ESP", "POL", "NLD", "SWE", "NOR",
                                                            "FIN", "DNK", "PRT"]}},
     "tables.t.columns.f.locale: a document may use at most 10 Faker locales"),
    ({"column": "c"}, {"c": {"type": "choice", "values": ["DEU", "FRA"]}},
     "tables.t.columns.f.provider: unknown Faker provider 'state_abbr' for locale de_DE"),
])
def test_bad_locale_columns_are_reported_with_their_path(locale, extra, problem):
    provider = "state_abbr" if "state_abbr" in problem else "last_name"
    problems = problem_strings(doc({**extra, "f": {"type": "faker", "provider": provider, "locale": locale}}))
    assert any(p.startswith(problem) for p in problems), problems


def test_a_locale_per_row_needs_version_1_1_and_a_row():
    v1 = doc({"c": {"type": "constant", "value": "DEU"},
              "f": {"type": "faker", "provider": "city", "locale": {"column": "c"}}}, version=1)
    assert problem_strings(v1) == ["tables.t.columns.f.locale: a locale per row ({column: ...}) needs version: 1.1"]
    document_wide = doc({"c": {"type": "constant", "value": "DEU"}}, version=1, locale={"column": "c"})
    assert problem_strings(document_wide) == ["locale: a locale per row ({column: ...}) needs version: 1.1"]
    bad_default = doc({"c": {"type": "constant", "value": "DEU"}}, locale={"column": "c", "default": "xx"})
    assert problem_strings(bad_default) == ["locale: unknown locale 'xx'"]
    nested = doc({"c": {"type": "constant", "value": "DEU"},
                  "a": {"type": "array", "of": {"type": "faker", "provider": "city", "locale": {"column": "c"}}}})
    assert "tables.t.columns.a.of.locale: a locale per row cannot be used inside an array or object" in problem_strings(
        nested)
    unique = doc({"c": {"type": "constant", "value": "DEU"},
                  "f": {"type": "faker", "provider": "email", "unique": True, "locale": {"column": "c"}}})
    assert any("a faker column with a locale per row cannot be unique" in p for p in problem_strings(unique))


def test_when_clauses_keep_the_locale_per_row():
    japanese_places = set(Faker("ja_JP").factories[0].provider("faker.providers.address").cities)
    override = [{"if": {"column": "kind", "op": "==", "value": "b"}, "then": {"provider": "city"}}]
    columns = {
        "c": {"type": "choice", "values": ["DEU", "JPN"]},
        "kind": {"type": "choice", "values": ["a", "b"]},
        "own": {"type": "faker", "provider": "last_name", "locale": {"column": "c"}, "when": override},
        "documents": {"type": "faker", "provider": "last_name", "when": override},
    }
    rows = generate_table(doc(columns, rows=600, locale={"column": "c"}))
    for name in ("own", "documents"):
        japanese = [r[name] for r in rows if r["c"] == "JPN" and r["kind"] == "b"]
        assert japanese and all(v in japanese_places or v.endswith(("市", "区", "町", "村")) for v in japanese)
        assert all(v.isascii() or not any("\u3040" <= ch <= "\u9fff" for ch in v)
                   for v in (r[name] for r in rows if r["c"] == "DEU"))


def test_every_new_key_gives_the_same_bytes_across_a_block_boundary_in_any_chunking():
    from apps.generation.engine.rowcounts import BLOCK_ROWS

    columns = {**PASSPORTS, **VEHICLES,
               "vin": {**VEHICLES["vin"], "unique": True, "invalid_ratio": 0.1},
               "card": {"type": "credit_card", "invalid_ratio": 0.1}, "iban": {"type": "iban", "invalid_ratio": 0.1}}
    document = doc(columns, rows=BLOCK_ROWS + 600)
    whole = table_bytes(document, None).split(b"\n")
    for size in (7, 1000):
        assert table_bytes(document, size).split(b"\n") == whole, size
    the_plan = plan(parse_spec(document), reference_time=REFERENCE_TIME, chunk_size=1)
    for row in range(BLOCK_ROWS - 3, BLOCK_ROWS + 3):  # chunks of one row on both sides of the boundary
        assert generate_chunk(the_plan, "t", row, row + 1).json_rows() == [whole[row]]


def test_a_document_wide_locale_column_may_itself_be_faker_and_other_tables_use_the_default():
    german_cities = set(Faker("de_DE").factories[0].provider("faker.providers.address").cities)
    document = {"version": 1.1, "name": "t", "seed": 2,
                "locale": {"column": "country", "map": {"DE": "de_DE"}, "default": "de_DE"},
                "tables": {"t": {"rows": 300, "columns": {"country": {"type": "faker", "provider": "country_code"},
                                                          "city": {"type": "faker", "provider": "city"}}},
                           "u": {"rows": 50, "columns": {"city": {"type": "faker", "provider": "city"}}}}}
    assert problem_strings(document) == []
    rows = generate_table(document)
    assert all(len(r["country"]) == 2 for r in rows)
    assert {r["city"] for r in rows} <= german_cities  # DE through the map, the others through the default
    assert {r["city"] for r in generate_table(document, "u")} <= german_cities


# ------------------------------------------------------------------------------------------ in-order choice
IN_ORDER = {"code": {"type": "choice", "values": ["AUS", "CAN", "DEU", "ESP"], "in_order": True, "unique": True},
            "name": {"type": "choice", "values": ["Australia", "Canada", "Germany", "Spain"], "in_order": True}}


def test_in_order_choices_give_each_row_its_entry_of_parallel_lists():
    rows = generate_table(doc(IN_ORDER, rows=3), "t")
    assert [(r["code"], r["name"]) for r in rows] == [("AUS", "Australia"), ("CAN", "Canada"), ("DEU", "Germany")]
    assert_chunk_invariant(doc(IN_ORDER, rows=4))
    # Without unique, an in-order choice starts again after its last value.
    cycling = generate_table(doc({"name": IN_ORDER["name"]}, rows=6), "t")
    assert [r["name"] for r in cycling][4:] == ["Australia", "Canada"]


def test_a_unique_in_order_choice_cannot_have_more_rows_than_values():
    with pytest.raises(SpecError) as caught:
        plan(parse_spec(doc(IN_ORDER, rows=3)), rows={"t": 5})
    assert "tables.t.columns.code: unique column can hold only 4 distinct values" in str(caught.value)


@pytest.mark.parametrize(("column", "expected"), [
    ({"type": "choice", "values": ["A", "B"], "in_order": "yes"}, "tables.t.columns.c.in_order: must be a boolean"),
    ({"type": "choice", "values": ["A", "B"], "weights": [1, 2], "in_order": True},
     "tables.t.columns.c.in_order: cannot be combined with weights"),
    ({"type": "choice", "values": ["A", "A"], "in_order": True, "unique": True},
     "tables.t.columns.c.in_order: needs distinct values in a unique column"),
    ({"type": "array", "min_length": 1, "max_length": 1, "of": {"type": "choice", "values": ["A"], "in_order": True}},
     "tables.t.columns.c.of.in_order: is for table columns"),
])
def test_bad_in_order_choices_are_problems_at_their_paths(column, expected):
    assert any(p.startswith(expected) for p in problem_strings(doc({"c": column}, rows=2))), \
        problem_strings(doc({"c": column}, rows=2))


def test_in_order_needs_version_1_1():
    document = doc({"c": {"type": "choice", "values": ["A", "B"], "in_order": True}}, rows=2, version=1)
    assert "tables.t.columns.c.in_order: needs version: 1.1" in problem_strings(document)
