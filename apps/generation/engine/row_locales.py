"""Locale per row: which Faker locale each row of a column uses, and sampling grouped by locale.

A faker column (or the document) may say `locale: {column: C, map: {...}}`: each row takes the locale
its column C names, through `map` or, without one, the built-in map from ISO 3166 alpha-3 codes (and
ICAO's "D" for Germany) to Faker locales. Values neither knows fall back to the document's locale.

Rows are sampled one locale at a time (one bulk draw per locale), from a generator named by the locale,
within the engine's fixed blocks of rows, so a row's value does not depend on how rows are chunked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

# Every country with a Faker locale of its own. Where a country has several (Belgium, Switzerland,
# India, ...), the locale whose names are written in Latin letters and that covers the most providers.
ALPHA3_LOCALES: dict[str, str] = {
    "ALB": "sq_AL", "ARE": "ar_AE", "ARG": "es_AR", "ARM": "hy_AM", "AUS": "en_AU", "AUT": "de_AT",
    "AZE": "az_AZ", "BEL": "nl_BE", "BGD": "bn_BD", "BGR": "bg_BG", "BHR": "ar_BH", "BIH": "bs_BA",
    "BRA": "pt_BR", "CAN": "en_CA", "CHE": "de_CH", "CHL": "es_CL", "CHN": "zh_CN", "COL": "es_CO",
    "CYP": "el_CY", "CZE": "cs_CZ", "DEU": "de_DE", "D": "de_DE", "DNK": "da_DK", "DZA": "ar_DZ",
    "EGY": "ar_EG", "ESP": "es_ES", "EST": "et_EE", "FIN": "fi_FI", "FRA": "fr_FR", "GBR": "en_GB",
    "GEO": "ka_GE", "GHA": "tw_GH", "GRC": "el_GR", "HRV": "hr_HR", "HUN": "hu_HU", "IDN": "id_ID",
    "IND": "en_IN", "IRL": "en_IE", "IRN": "fa_IR", "ISL": "is_IS", "ISR": "he_IL", "ITA": "it_IT",
    "JOR": "ar_JO", "JPN": "ja_JP", "KEN": "en_KE", "KOR": "ko_KR", "LIE": "de_LI", "LTU": "lt_LT",
    "LUX": "de_LU", "LVA": "lv_LV", "MEX": "es_MX", "MLT": "mt_MT", "MSR": "en_MS", "NGA": "en_NG",
    "NLD": "nl_NL", "NOR": "no_NO", "NPL": "ne_NP", "NZL": "en_NZ", "PAK": "en_PK", "PHL": "en_PH",
    "POL": "pl_PL", "PRT": "pt_PT", "PSE": "ar_PS", "ROU": "ro_RO", "RUS": "ru_RU", "SAU": "ar_SA",
    "SVK": "sk_SK", "SVN": "sl_SI", "SWE": "sv_SE", "THA": "th_TH", "TUR": "tr_TR", "TWN": "zh_TW",
    "UKR": "uk_UA", "USA": "en_US", "UZB": "uz_UZ", "VNM": "vi_VN", "ZAF": "zu_ZA",
}  # fmt: skip


def locale_map(mapping: Mapping[str, str] | None) -> dict[str, str]:
    """The value -> locale map a `locale: {column: ...}` spec uses (its own `map`, else the built-in one)."""
    return dict(mapping) if mapping is not None else dict(ALPHA3_LOCALES)


def locales_of_values(values: list, mapping: Mapping[str, str], fallback: str) -> np.ndarray:
    """The locale of each row: its value through `mapping` (alpha-3 codes matched in any case), else
    `fallback` (null and unknown values)."""
    folded = {str(k).upper(): v for k, v in mapping.items()}
    lookup: dict = {}
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        if value not in lookup:
            lookup[value] = mapping.get(value) or (folded.get(value.upper()) if isinstance(value, str) else None)
        out[i] = lookup[value] or fallback
    return out


def sample_by_locale(locales: np.ndarray, draw: Callable[[str, int], list]) -> np.ndarray:
    """One value per row: `draw(locale, count)` is called once per distinct locale, in sorted order, and
    its values fill that locale's rows in row order."""
    out = np.empty(len(locales), dtype=object)
    for locale in sorted(set(locales.tolist())):
        rows = np.flatnonzero(locales == locale)
        values = draw(locale, len(rows))
        out[rows] = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    return out


def romanised_names(locale: str) -> dict[str, str]:
    """Native name -> the romanised form Faker's data gives for it (ja_JP pairs kanji and kana with romaji);
    empty for locales whose data has no such pairing (zh_CN's romanised lists are not paired with names)."""
    from importlib import import_module

    try:
        person = import_module(f"faker.providers.person.{locale}").Provider
    except ImportError:
        return {}
    out: dict[str, str] = {}
    for attribute in ("last_name_pairs", "first_name_pairs", "first_name_male_pairs", "first_name_female_pairs"):
        for entry in getattr(person, attribute, ()):
            if isinstance(entry, tuple) and len(entry) == 3:
                kanji, kana, romaji = entry
                out.setdefault(kanji, romaji)
                out.setdefault(kana, romaji)
    return out
