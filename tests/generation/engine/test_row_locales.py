"""The locale of each row: the built-in alpha-3 map, explicit maps, fallback and sampling per locale."""

import numpy as np
from faker import Faker
from faker.config import AVAILABLE_LOCALES

from apps.generation.engine.domain import _ALPHA2_TO_ALPHA3
from apps.generation.engine.faker_bulk import bulk_sampler
from apps.generation.engine.row_locales import ALPHA3_LOCALES, locale_map, locales_of_values, sample_by_locale


def test_every_country_with_a_faker_locale_is_in_the_built_in_map():
    alpha3 = {**_ALPHA2_TO_ALPHA3, "MS": "MSR"}
    countries = {locale.split("_")[1] for locale in AVAILABLE_LOCALES if "_" in locale} - {"AA", "QC"}
    missing = {c for c in countries if alpha3[c] not in ALPHA3_LOCALES}
    assert not missing
    assert set(ALPHA3_LOCALES.values()) <= set(AVAILABLE_LOCALES)
    # Each maps to a locale of that country.
    assert all(locale.endswith("_" + next(a2 for a2, a3 in alpha3.items() if a3 == code))
               for code, locale in ALPHA3_LOCALES.items() if code != "D")


def test_values_go_through_the_map_in_any_case_and_unknown_ones_fall_back():
    locales = locales_of_values(["DEU", "fra", None, "XXX", "D", "JPN"], locale_map(None), "en_US")
    assert locales.tolist() == ["de_DE", "fr_FR", "en_US", "en_US", "de_DE", "ja_JP"]
    own = locales_of_values(["Germany", "France", "Mars"], {"Germany": "de_DE", "France": "fr_FR"}, "en_GB")
    assert own.tolist() == ["de_DE", "fr_FR", "en_GB"]


def test_each_row_gets_a_value_of_its_own_locale():
    locales = np.array(["de_DE", "ja_JP", "de_DE", "ru_RU"] * 250, dtype=object)
    calls = []

    def draw(locale, count):
        calls.append((locale, count))
        return bulk_sampler("last_name", locale, {}).sample(np.random.default_rng(3), count)

    values = sample_by_locale(locales, draw)
    assert calls == [("de_DE", 500), ("ja_JP", 250), ("ru_RU", 250)]
    assert all("\u4e00" <= v[0] <= "\u9fff" for v in values[1::4])  # kanji
    assert all("\u0400" <= v[0] <= "\u04ff" for v in values[3::4])  # Cyrillic
    german = Faker("de_DE").factories[0].provider("faker.providers.person").last_names
    assert set(values[0::4]) <= set(german)
