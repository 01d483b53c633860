"""Published facts the template consistency rules check generated rows against: check digits (ICAO 9303 MRZ,
ISO 3779 VIN, Luhn, ISO 13616 IBAN), VIN manufacturer codes and model-year codes, US ZIP ranges per state,
country bounding boxes, UK National Insurance prefixes, driving-licence minimum ages and the Faker data of a
locale. They are written out here, independently of the engine, so a template cannot pass by agreeing with
itself."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import cache


# ------------------------------------------------------------------------------------------ dates
def as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def as_datetime(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    text = value.replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    return datetime.fromisoformat(text)


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def full_years(born: date, on: date) -> int:
    """Age in completed years on a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# ------------------------------------------------------------------------------------------ check digits
_MRZ_VALUES = {**{str(d): d for d in range(10)}, **{chr(ord("A") + i): 10 + i for i in range(26)}, "<": 0}


def mrz_check_digit(field: str) -> int:
    """ICAO 9303 part 3: weights 7, 3, 1 repeating over the character values, modulo 10."""
    return sum(_MRZ_VALUES[char] * (7, 3, 1)[i % 3] for i, char in enumerate(field)) % 10


def luhn_valid(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    text = iban.replace(" ", "")
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", text):
        return False
    moved = text[4:] + text[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9), strict=True)), **dict(zip("JKLMN", range(1, 6), strict=True)),
               "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit_valid(vin: str) -> bool:
    """ISO 3779 as used in North America: position 9 is the weighted sum modulo 11 (10 written X)."""
    if not re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", vin):
        return False
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return vin[8] == ("X" if remainder == 10 else str(remainder))


# Position 10: the model year, on a 30-year cycle (1980-2009, 2010-2039); letters I, O, Q, U, Z and digit 0 unused.
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


def vin_model_year_code(year: int) -> str:
    return _YEAR_CODES[(year - 1980) % 30]


# World manufacturer identifiers (positions 1-3) of the makes the templates use, as registered with SAE.
VIN_WMI = {
    "Toyota": {"JT2", "JT3", "JT4", "JTD", "JTE", "JTH", "JTJ", "JTK", "JTL", "JTM", "JTN", "2T1", "2T2", "2T3",
               "4T1", "4T3", "4T4", "5TD", "5TB", "5TF", "5TE", "5TN"},
    "Ford": {"1FA", "1FB", "1FC", "1FD", "1FM", "1FT", "1FV", "2FA", "2FM", "2FT", "3FA", "3FE", "3FM", "3FT", "WF0",
             "MAJ", "NM0"},
    "Chevrolet": {"1G1", "1GC", "1GB", "1GN", "2G1", "2GC", "2GN", "3G1", "3GC", "3GN", "KL1", "KL7", "1GA"},
    "Honda": {"1HG", "JHM", "JHL", "2HG", "2HK", "2HJ", "5FN", "5J6", "19X", "SHH", "SHS"},
    "Nissan": {"1N4", "1N6", "JN1", "JN6", "JN8", "3N1", "3N6", "5N1", "5N3", "SJN"},
    "Hyundai": {"KMH", "KM8", "5NP", "5NM", "TMA", "NLH"},
    "Kia": {"KNA", "KNB", "KNC", "KND", "KNE", "5XX", "5XY", "U5Y", "3KP"},
    "Jeep": {"1C4", "1J4", "1J8", "1JC", "ZAC"},
    "Subaru": {"JF1", "JF2", "4S3", "4S4", "4S6"},
    "BMW": {"WBA", "WBS", "WBX", "WBY", "4US", "5UM", "5UX", "5YM"},
    "Tesla": {"5YJ", "7SA", "LRW", "XP7", "7G2"},
    "Volkswagen": {"WVW", "WVG", "WV1", "WV2", "1VW", "3VV", "3VW", "9BW", "AAV"},
}


# ------------------------------------------------------------------------------------------ places
# US ZIP codes per state (first and last five-digit code in use), 50 states and DC.
US_STATE_ZIPS = {
    "AL": (35004, 36925), "AK": (99501, 99950), "AZ": (85001, 86556), "AR": (71601, 72959), "CA": (90001, 96162),
    "CO": (80001, 81658), "CT": (6001, 6928), "DE": (19701, 19980), "DC": (20001, 20599), "FL": (32004, 34997),
    "GA": (30001, 31999), "HI": (96701, 96898), "ID": (83201, 83876), "IL": (60001, 62999), "IN": (46001, 47997),
    "IA": (50001, 52809), "KS": (66002, 67954), "KY": (40003, 42788), "LA": (70001, 71497), "ME": (3901, 4992),
    "MD": (20601, 21930), "MA": (1001, 2791), "MI": (48001, 49971), "MN": (55001, 56763), "MS": (38601, 39776),
    "MO": (63001, 65899), "MT": (59001, 59937), "NE": (68001, 69367), "NV": (88901, 89883), "NH": (3031, 3897),
    "NJ": (7001, 8989), "NM": (87001, 88441), "NY": (10001, 14925), "NC": (27006, 28909), "ND": (58001, 58856),
    "OH": (43001, 45999), "OK": (73001, 74966), "OR": (97001, 97920), "PA": (15001, 19640), "RI": (2801, 2940),
    "SC": (29001, 29948), "SD": (57001, 57799), "TN": (37010, 38589), "TX": (75001, 79999), "UT": (84001, 84791),
    "VT": (5001, 5907), "VA": (20101, 24658), "WA": (98001, 99403), "WV": (24701, 26886), "WI": (53001, 54990),
    "WY": (82001, 83128),
}

# (south, north, west, east) envelopes of each country's land area, in degrees (ISO 3166 alpha-2 keys).
COUNTRY_BOXES = {
    "AU": (-43.7, -10.6, 113.1, 153.7), "CA": (41.6, 83.2, -141.1, -52.6), "CL": (-56.0, -17.5, -75.8, -66.4),
    "PE": (-18.4, -0.0, -81.4, -68.6), "ZA": (-34.9, -22.1, 16.4, 32.9), "BR": (-33.8, 5.3, -74.0, -34.8),
    "US": (24.5, 49.4, -124.8, -66.9),
}
COUNTRY_CURRENCY = {"AU": "AUD", "CA": "CAD", "CL": "CLP", "PE": "PEN", "ZA": "ZAR", "BR": "BRL", "US": "USD",
                    "GB": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR"}

# Postcode shapes per country (ISO 3166 alpha-2).
POSTCODE_PATTERNS = {
    "US": r"\d{5}(-\d{4})?", "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "DE": r"\d{5}", "FR": r"\d{5}", "NL": r"\d{4} ?[A-Z]{2}", "AU": r"\d{4}",
}

# Faker locales whose data may name a holder of each ICAO country (a country with several languages has several).
COUNTRY_LOCALES = {
    "AUS": {"en_AU"}, "CAN": {"en_CA", "fr_CA"}, "DEU": {"de_DE"}, "ESP": {"es_ES"}, "FRA": {"fr_FR"},
    "GBR": {"en_GB"}, "ITA": {"it_IT"}, "JPN": {"ja_JP"}, "NLD": {"nl_NL"}, "USA": {"en_US"},
}


@cache
def locale_pools(locale: str) -> dict[str, frozenset[str]]:
    """Faker's own word lists of a locale: names (Latin and romanised), cities and the parts cities are made of."""
    import faker

    try:
        fake = faker.Faker(locale)
    except AttributeError:
        return {}
    pools: dict[str, set[str]] = {"first": set(), "last": set(), "first_latin": set(), "last_latin": set(),
                                  "cities": set(), "city_parts": set()}
    for provider in fake.providers:
        module = type(provider).__module__
        if module.startswith("faker.providers.person"):
            for attr in ("first_names", "first_names_female", "first_names_male", "first_names_nonbinary"):
                pools["first"].update(getattr(provider, attr, ()) or ())
            for attr in ("last_names", "last_names_female", "last_names_male", "last_names_nonbinary"):
                pools["last"].update(getattr(provider, attr, ()) or ())
            for attr in ("first_romanized_names", "first_romanized_names_female", "first_romanized_names_male"):
                pools["first_latin"].update(getattr(provider, attr, ()) or ())
            pools["last_latin"].update(getattr(provider, "last_romanized_names", ()) or ())
        elif module.startswith("faker.providers.address"):
            for attr in ("cities", "city_names"):
                pools["cities"].update(getattr(provider, attr, ()) or ())
            for attr in ("city_prefixes", "city_suffixes", "state_names", "states"):
                pools["city_parts"].update(getattr(provider, attr, ()) or ())
    return {key: frozenset(value) for key, value in pools.items()}


def place_follows_locale(place: str, locales: set[str]) -> bool:
    """A city from one of the locales' city lists, or one built from their name and place parts."""
    for locale in locales:
        pools = locale_pools(locale)
        if not pools:
            continue
        if place in pools["cities"]:
            return True
        if not pools["cities"]:
            words = set(re.split(r"[\s\-]+", place)) | {place}
            parts = pools["first"] | pools["last"] | pools["city_parts"]
            if any(word in parts for word in words) or any(place.endswith(s) for s in pools["city_parts"] if s):
                return True
    return False


# ------------------------------------------------------------------------------------------ MRZ names
# ICAO 9303 part 3, section 6: the Latin transliterations a name character may have in the MRZ.
_MRZ_TRANSLITERATIONS = {
    "Ä": ("AE", "A"), "Ö": ("OE", "O"), "Ü": ("UE", "U"), "Å": ("AA", "A"), "Æ": ("AE",), "Ø": ("OE",),
    "ß": ("SS",), "Þ": ("TH",), "Ð": ("D",), "Ñ": ("N", "NXX"), "Œ": ("OE",), "Ĳ": ("IJ",), "Ł": ("L",),
}


def mrz_name_pattern(name: str) -> re.Pattern:
    """The MRZ forms of a Latin-script name: each letter upper-cased, diacritics dropped or spelt out per
    ICAO 9303, and anything between words (space, hyphen, apostrophe) a filler or nothing."""
    pieces = []
    for char in name.upper():
        if char in _MRZ_TRANSLITERATIONS:
            pieces.append("(?:" + "|".join(_MRZ_TRANSLITERATIONS[char]) + ")")
        elif char.isspace() or char in "-":
            pieces.append("<?")
        elif char in "'’.,":
            pieces.append("")
        else:
            plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            pieces.append(re.escape(plain))
    return re.compile("".join(pieces))


def is_latin(text: str) -> bool:
    return all(unicodedata.name(c, "").startswith("LATIN") or not c.isalpha() for c in text)


# ------------------------------------------------------------------------------------------ people
def ni_number_valid(number: str) -> bool:
    """UK National Insurance number: two prefix letters (no D F I Q U V, no O second, none of the unallocated
    pairs), six digits, suffix A-D."""
    if not re.fullmatch(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]", number):
        return False
    return number[:2] not in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


# EU directive 2006/126/EC minimum ages per driving-licence category, and the category each one requires.
LICENCE_MIN_AGE = {"AM": 16, "A1": 16, "A2": 18, "A": 24, "B1": 16, "B": 18, "BE": 18, "C1": 18, "C1E": 18,
                   "C": 21, "CE": 21, "D1": 21, "D1E": 21, "D": 24, "DE": 24}
LICENCE_REQUIRES = {"BE": "B", "C1": "B", "C1E": "C1", "C": "B", "CE": "C", "D1": "B", "D1E": "D1", "D": "B",
                    "DE": "D"}
