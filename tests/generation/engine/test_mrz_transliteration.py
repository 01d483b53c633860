"""ICAO 9303 part 3 transliteration of names for the MRZ; unwritable names are refused, never shortened."""

import numpy as np
import pytest

from apps.generation.engine import domain
from apps.generation.engine.faker_bulk import bulk_sampler
from apps.generation.engine.mrz_transliteration import Untransliterable, icao_latin, latin_with
from apps.generation.engine.row_locales import romanised_names

from .test_domain import assert_valid_td3


@pytest.mark.parametrize(("name", "latin"), [
    ("Müller", "MUELLER"), ("Jörg", "JOERG"), ("Ärmel", "AERMEL"), ("Ångström", "AANGSTROEM"),
    ("Øvergård", "OEVERGAARD"), ("Ærø", "AEROE"), ("Þórður", "THORDUR"), ("Straße", "STRASSE"),
    ("Œuvre", "OEUVRE"), ("Łukasiewicz", "LUKASIEWICZ"), ("García Márquez", "GARCIA MARQUEZ"),
    ("Nguyễn", "NGUYEN"), ("Çelik", "CELIK"), ("Dvořák", "DVORAK"), ("O'Brien", "OBRIEN"),
    ("Smith-Jones", "SMITH-JONES"),
    # Cyrillic
    ("Иванов", "IVANOV"), ("Щукин", "SHCHUKIN"), ("Юлия", "IULIIA"), ("Жанна", "ZHANNA"),
    ("Хрущёв", "KHRUSHCHEV"), ("Цой", "TSOI"), ("Ольга", "OLGA"),
    ("Дем\u02bcян", "DEMIAN"), ("Євген", "IEVGEN"), ("Љубица", "LJUBITSA"),
    # Greek
    ("Παπαδόπουλος", "PAPADOPOULOS"), ("Χρήστος", "CHRISTOS"), ("Θεοδώρα", "THEODORA"),
    ("Ψαρράς", "PSARRAS"), ("Ξανθή", "XANTHI"),
])
def test_names_follow_the_icao_tables(name, latin):
    assert icao_latin(name) == latin


@pytest.mark.parametrize("name", ["李", "山田", "محمد", "김민준", "Anna 2"])
def test_names_without_a_latin_form_are_refused_naming_the_character(name):
    with pytest.raises(Untransliterable, match="cannot be written in an MRZ"):
        icao_latin(name)


def mrz_of(surname, given_names, latin):
    return domain.mrz_td3(document_number=["C01X00T47"], nationality=["DEU"], birth_date=["1964-08-12"],
                          sex=["F"], expiry_date=["2030-10-31"], surname=surname, given_names=given_names,
                          issuing_state=["D"], latin=latin)


def test_the_mrz_writes_icao_forms_and_fails_on_the_row_it_cannot_write():
    line1, _ = assert_valid_td3(mrz_of(["Müller"], ["Jürgen"], icao_latin)[0])
    assert line1.startswith("P<D<<MUELLER<<JUERGEN<")
    # Without the ICAO function (version 1 documents) the marks are only dropped, as before.
    assert mrz_of(["Müller"], ["Jürgen"], None)[0].startswith("P<D<<MULLER<<JURGEN<")
    with pytest.raises(Untransliterable) as caught:
        domain.mrz_td3(document_number=["A", "B"], nationality=["DEU"] * 2, birth_date=[None] * 2,
                       sex=[None] * 2, expiry_date=[None] * 2, surname=["Weiß", "王"], given_names=["A", "B"],
                       issuing_state=["D"] * 2, latin=icao_latin)
    assert caught.value.row == 1 and caught.value.char == "王"


def test_japanese_names_use_the_romanised_form_of_the_faker_data():
    romanised = romanised_names("ja_JP")
    assert romanised
    latin = latin_with(romanised)
    names = bulk_sampler("name", "ja_JP", {}).sample(np.random.default_rng(1), 200)
    written = [latin(n) for n in names]
    assert all(w.replace(" ", "").isalpha() and w.isascii() and w.isupper() for w in written)
    last, first = names[0].split()
    assert written[0] == f"{romanised[last]} {romanised[first]}".upper()
    assert romanised_names("zh_CN") == {}  # its romanised lists are not paired with its names
