"""National identification numbers: one validator per scheme, with its check digit where it has one.

Pure Python, no Django import, so the masking engine and commands can use it as well as the profiler.

Public API:

- ``SCHEMES``: scheme code -> ``Scheme`` (country, label, whether a check digit or letter protects it, the
  Faker locale whose ``ssn`` provider writes valid numbers of it, if any, and a regex of its written shape);
- ``is_valid(code, value)``: does ``value`` pass the scheme's format and check (``KeyError`` for an unknown
  code); the per-scheme functions (``nl_bsn``, ``uk_nino``, ...) are the same checks under their own names;
- ``schemes_of(value)``: the codes of every scheme ``value`` passes, check-digit schemes first.

| code | number | checked by |
| --- | --- | --- |
| ``nl_bsn`` | Dutch burgerservicenummer, 9 digits (8 read as 9 with a leading 0) | the 11-test |
| ``uk_nino`` | UK National Insurance number, ``AB123456C`` | format: HMRC's prefix letters (no check digit) |
| ``de_steuer_id`` | German Steuer-Identifikationsnummer, 11 digits | digit repetition rule and ISO 7064 MOD 11,10 |
| ``fr_nir`` | French NIR, 13 characters + a 2-digit key | key = 97 - number mod 97 (Corsica: 2A, 2B) |
| ``es_dni`` | Spanish DNI ``12345678Z`` and NIE ``X1234567L`` | the control letter (mod 23) |
| ``it_codice_fiscale`` | Italian codice fiscale, 16 characters (omocodia too) | the check letter (mod 26) |
| ``se_personnummer`` | Swedish personnummer, ``YYMMDD-NNNC``, ``YYYYMMDDNNNC`` | a date (or +60), then Luhn |
| ``fi_hetu`` | Finnish henkilötunnus, ``DDMMYYCZZZQ`` | a date, the century sign, then mod 31 |
| ``us_ssn`` | US Social Security number, ``123-45-6789`` | SSA area, group and serial rules (no check digit) |
| ``dk_cpr`` | Danish CPR number, ``DDMMYY-SSSS`` | a date (the mod 11 check was dropped in 2007) |

Separators people write (spaces, dots, hyphens; ``+`` in Swedish and Finnish numbers where it has a meaning)
are accepted; letters are accepted in either case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = [
    "SCHEMES",
    "Scheme",
    "de_steuer_id",
    "dk_cpr",
    "es_dni",
    "fi_hetu",
    "fr_nir",
    "is_valid",
    "it_codice_fiscale",
    "nl_bsn",
    "schemes_of",
    "se_personnummer",
    "uk_nino",
    "us_ssn",
]

_SEPARATORS = re.compile(r"[ .\-]")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value.strip()).upper()


def _date_ok(day: int, month: int) -> bool:
    """A day of a month that exists in some year (29 February is allowed: the year is often ambiguous)."""
    return 1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]


# ----------------------------------------------------------------------------- Netherlands

_BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def nl_bsn(value: str) -> bool:
    digits = _compact(value)
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    return sum(int(d) * w for d, w in zip(digits, _BSN_WEIGHTS, strict=True)) % 11 == 0


# ----------------------------------------------------------------------------- United Kingdom

_NINO = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]?$")
_NINO_NEVER = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def uk_nino(value: str) -> bool:
    text = _compact(value)
    return bool(_NINO.match(text)) and text[:2] not in _NINO_NEVER


# ----------------------------------------------------------------------------- Germany


def _iso7064_mod11_10(digits: str) -> int:
    product = 10
    for char in digits:
        total = (int(char) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10


def de_steuer_id(value: str) -> bool:
    digits = _compact(value)
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return False
    body = digits[:10]
    counts = sorted((body.count(d) for d in set(body)), reverse=True)
    # One digit occurs twice or three times (never three in a row), every other digit at most once.
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] > 1):
        return False
    if counts[0] == 3 and any(body[i] == body[i + 1] == body[i + 2] for i in range(8)):
        return False
    return _iso7064_mod11_10(body) == int(digits[10])


# ----------------------------------------------------------------------------- France

_NIR = re.compile(r"^[1-478][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])(2[AB]|[0-9]{2})[0-9]{6}[0-9]{2}$")


def fr_nir(value: str) -> bool:
    text = _compact(value)
    if not _NIR.match(text):
        return False
    number = text[:13].replace("2A", "19").replace("2B", "18")
    return 97 - int(number) % 97 == int(text[13:])


# ----------------------------------------------------------------------------- Spain

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_DNI = re.compile(r"^([XYZ]?)([0-9]{7,8})([A-Z])$")


def es_dni(value: str) -> bool:
    match = _DNI.match(_compact(value))
    if not match:
        return False
    prefix, digits, letter = match.groups()
    if prefix:
        if len(digits) != 7:
            return False
        digits = str("XYZ".index(prefix)) + digits
    elif len(digits) != 8:
        return False
    return _DNI_LETTERS[int(digits) % 23] == letter


# ----------------------------------------------------------------------------- Italy

_CF = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
_CF_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
_OMOCODIA = str.maketrans("LMNPQRSTUV", "0123456789")


def _cf_value(char: str) -> int:
    return ord(char) - 48 if char.isdigit() else ord(char) - 65


def it_codice_fiscale(value: str) -> bool:
    text = _compact(value)
    if not _CF.match(text):
        return False
    day = int(text[9:11].translate(_OMOCODIA))
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    total = sum(_CF_ODD[_cf_value(c)] if i % 2 == 0 else _cf_value(c) for i, c in enumerate(text[:15]))
    return chr(65 + total % 26) == text[15]


# ----------------------------------------------------------------------------- Sweden

_PERSONNUMMER = re.compile(r"^(?:[0-9]{2})?([0-9]{2})([0-9]{2})([0-9]{2})[-+]?([0-9]{3})([0-9])$")


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def se_personnummer(value: str) -> bool:
    text = value.strip().replace(" ", "")
    match = _PERSONNUMMER.match(text)
    if not match:
        return False
    year, month, day, serial, check = match.groups()
    day_number = int(day)
    if day_number > 60:  # samordningsnummer: the day plus 60
        day_number -= 60
    if not _date_ok(day_number, int(month)):
        return False
    return _luhn(year + month + day + serial + check)


# ----------------------------------------------------------------------------- Finland

_HETU = re.compile(r"^([0-9]{2})([0-9]{2})([0-9]{2})([-+A-FU-Y])([0-9]{3})([0-9A-Y])$")
_HETU_CHECKS = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def fi_hetu(value: str) -> bool:
    match = _HETU.match(value.strip().upper())
    if not match:
        return False
    day, month, year, _, individual, check = match.groups()
    if not _date_ok(int(day), int(month)) or not 2 <= int(individual) <= 899:
        return False
    return _HETU_CHECKS[int(day + month + year + individual) % 31] == check


# ----------------------------------------------------------------------------- United States

_SSN = re.compile(r"^([0-9]{3})[- ]?([0-9]{2})[- ]?([0-9]{4})$")
_SSN_NEVER = frozenset({"078051120", "219099999", "123456789"})  # published or advertised, never issued


def us_ssn(value: str) -> bool:
    match = _SSN.match(value.strip())
    if not match:
        return False
    area, group, serial = match.groups()
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_NEVER


# ----------------------------------------------------------------------------- Denmark

_CPR = re.compile(r"^([0-9]{2})([0-9]{2})([0-9]{2})-?([0-9]{4})$")


def dk_cpr(value: str) -> bool:
    match = _CPR.match(value.strip())
    if not match:
        return False
    day, month, _, _ = match.groups()
    return _date_ok(int(day), int(month))


# ----------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Scheme:
    code: str
    country: str  # ISO 3166 alpha-2
    label: str
    check_digit: bool  # protected by a check digit or letter (random values of the shape mostly fail)
    validate: Callable[[str], bool]
    shape: re.Pattern  # a cheap first test of the written form, before `validate`
    faker_locale: str | None  # a Faker locale whose `ssn` provider writes valid numbers of the scheme
    pattern: str | None = None  # otherwise: the schema-language pattern of its shape (no valid check)


SCHEMES: Mapping[str, Scheme] = {
    s.code: s
    for s in (
        Scheme(
            "nl_bsn", "NL", "Dutch BSN", True, nl_bsn, re.compile(r"^[0-9]{4}[ .]?[0-9]{2}[ .]?[0-9]{2,3}$"), "nl_NL"
        ),
        Scheme(
            "de_steuer_id",
            "DE",
            "German Steuer-ID",
            True,
            de_steuer_id,
            re.compile(r"^[1-9][0-9] ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}$"),
            None,
            r"[1-9]\d{10}",
        ),
        Scheme("fr_nir", "FR", "French NIR", True, fr_nir, re.compile(r"^[1-478][0-9ABab .]{13,20}$"), "fr_FR"),
        Scheme(
            "es_dni",
            "ES",
            "Spanish DNI/NIE",
            True,
            es_dni,
            re.compile(r"^[XYZxyz]?[0-9]{7,8}[ -]?[A-Za-z]$"),
            None,
            r"\d{8}[A-HJ-NP-TV-Z]",
        ),
        Scheme(
            "it_codice_fiscale",
            "IT",
            "Italian codice fiscale",
            True,
            it_codice_fiscale,
            re.compile(r"^[A-Za-z]{6}[0-9A-Za-z]{10}$"),
            "it_IT",
        ),
        Scheme(
            "se_personnummer",
            "SE",
            "Swedish personnummer",
            True,
            se_personnummer,
            re.compile(r"^(?:[0-9]{2})?[0-9]{6}[-+ ]?[0-9]{4}$"),
            "sv_SE",
        ),
        Scheme(
            "fi_hetu",
            "FI",
            "Finnish HETU",
            True,
            fi_hetu,
            re.compile(r"^[0-9]{6}[-+A-FU-Ya-fu-y][0-9]{3}[0-9A-Ya-y]$"),
            "fi_FI",
        ),
        Scheme("us_ssn", "US", "US SSN", False, us_ssn, re.compile(r"^[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}$"), "en_US"),
        Scheme(
            "uk_nino",
            "GB",
            "UK NINO",
            False,
            uk_nino,
            re.compile(r"^[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]?$"),
            None,
            r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]",
        ),
        Scheme("dk_cpr", "DK", "Danish CPR", False, dk_cpr, re.compile(r"^[0-9]{6}-?[0-9]{4}$"), None, r"\d{6}-\d{4}"),
    )
}


def is_valid(code: str, value: str) -> bool:
    """Whether `value` is a well-formed number of the scheme `code` with a right check digit, if it has one."""
    scheme = SCHEMES[code]
    return isinstance(value, str) and bool(scheme.shape.match(value.strip())) and scheme.validate(value)


def schemes_of(value: str) -> list[str]:
    """Every scheme `value` passes, check-digit schemes first (in the order of SCHEMES)."""
    return [code for code in SCHEMES if is_valid(code, value)]
