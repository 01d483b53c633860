"""National identification numbers of ten schemes, vectorised, every one passing its scheme's check.

A number is a function of (scheme, index, birth date, sex): `index` numbers the scheme's free part (and the
birth date and sex when they are not given), so distinct indices give distinct numbers for the same birth
date and sex, and a keyed permutation of the row index makes a unique column. Draws and permutations are the
caller's (the `national_id` column type); nothing here is random.

| scheme | written as | free part | encodes |
| --- | --- | --- | --- |
| nl_bsn | 9 digits | 7 digits (the 8th is picked so the 11-test's digit is 0-9) | - |
| de_steuer_id | 11 digits | first digit 1-9, the other nine digits a permutation, one digit written twice | - |
| fr_nir | 15 digits (Corsica 2A/2B) | department, commune 001-990, order 001-999 | sex 1/2, year, month |
| es_dni | 8 digits + letter, NIE X/Y/Z + 7 digits + letter | the number | - |
| it_codice_fiscale | 16 characters | 6 consonants, municipality A-M + 001-999 | year, month, day (+40 women) |
| se_personnummer | YYYYMMDD-NNNC | NNN (its last digit odd for men) | the date, sex |
| fi_hetu | DDMMYYCZZZQ | individual number 002-899 (odd for men) | the date and century sign, sex |
| us_ssn | AAA-GG-SSSS | area, group 01-99, serial 0001-9999 | - |
| uk_nino | AB123456C | prefix, 6 digits, suffix A-D | - |
| dk_cpr | DDMMYY-SSSS | century digit (per the CPR table), 2 digits, last digit (odd for men) | the date, sex |

Check digits: the 11-test (BSN), ISO 7064 MOD 11,10 (Steuer-ID), 97 - number mod 97 (NIR), mod 23 letter
(DNI/NIE), the odd/even tables mod 26 (codice fiscale), Luhn (personnummer), mod 31 (HETU). SSN, NINO and CPR
have none: their values keep the format rules (no area 000, 666 or 9xx, no reserved NINO prefix, a real date).
"""

from __future__ import annotations

import numpy as np

from .domain import digit_codes, luhn_check_digits

SCHEMES = ("nl_bsn", "de_steuer_id", "fr_nir", "es_dni", "it_codice_fiscale", "se_personnummer", "fi_hetu",
           "us_ssn", "uk_nino", "dk_cpr")
DATE_SCHEMES = frozenset({"fr_nir", "it_codice_fiscale", "se_personnummer", "fi_hetu", "dk_cpr"})
SEX_SCHEMES = DATE_SCHEMES
TEXT_CHARS = 16  # the longest: a codice fiscale

# Years a birth date may have, where the scheme bounds them (the others write a two- or four-digit year).
YEAR_RANGES = {"fi_hetu": (1800, 2099), "dk_cpr": (1858, 2057), "se_personnummer": (1000, 9999)}

# Birth dates drawn when no column gives them.
DRAWN_FIRST = np.datetime64("1940-01-01", "D")
DRAWN_LAST = np.datetime64("2007-12-31", "D")
_DRAWN_DAYS = int((DRAWN_LAST - DRAWN_FIRST).astype(np.int64)) + 1
_FIRST_MONTH = DRAWN_FIRST.astype("datetime64[M]")
_DRAWN_MONTHS = int((DRAWN_LAST.astype("datetime64[M]") - _FIRST_MONTH).astype(np.int64)) + 1

def drawn_dates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Birth dates drawn uniformly from DRAWN_FIRST..DRAWN_LAST (datetime64[D])."""
    return DRAWN_FIRST + rng.integers(0, _DRAWN_DAYS, n)


_FEMALE_WORDS = frozenset({"f", "female", "w", "woman", "women", "k", "kvinna", "kvinde", "nainen", "femme",
                           "donna", "mujer", "frau", "weiblich", "vrouw"})
_MALE_WORDS = frozenset({"m", "male", "man", "men", "mies", "homme", "uomo", "hombre", "mann", "mand",
                         "männlich", "maennlich"})


def sex_of(value: object) -> int:
    """1 for a female, 0 for a male sex value (F/M, female/male, ... any case), -1 for anything else."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _FEMALE_WORDS:
            return 1
        if word in _MALE_WORDS:
            return 0
    return -1


# ----------------------------------------------------------------------------- helpers

def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8)


def _strings(codes: np.ndarray) -> list[str]:
    width = codes.shape[1]
    return np.ascontiguousarray(codes).view(f"S{width}").ravel().astype(f"U{width}").tolist()


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    return digit_codes(np.asarray(values, dtype=np.int64), width)


def _chars(n: int, char: str) -> np.ndarray:
    return np.full((n, 1), ord(char), dtype=np.uint8)


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    days = np.asarray(days, dtype="datetime64[D]")
    months = days.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


# ----------------------------------------------------------------------------- the schemes
# Each takes (free part, female, year, month, day) and gives an (n, width) matrix of ASCII codes.

def _nl_bsn(free, female, year, month, day):
    payload = free + 1  # never 0000000: 000000000 is not a BSN
    d = (payload[:, None] // 10 ** np.arange(6, -1, -1, dtype=np.int64)) % 10
    partial = d @ np.array([9, 8, 7, 6, 5, 4, 3], dtype=np.int64)
    # The 8th digit (weight 2) takes 10 distinct remainders mod 11, so of two neighbours one leaves a digit 0-9.
    start = d.sum(axis=1) % 10
    eighth = np.where((partial + 2 * start) % 11 == 10, (start + 1) % 10, start)
    ninth = (partial + 2 * eighth) % 11
    return _digits(payload * 100 + eighth * 10 + ninth, 9)


_FACTORIALS = [1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880]
_PAIRS = np.array([(a, b) for a in range(1, 10) for b in range(a)], dtype=np.int64)  # a > b: 45 pairs
_STEUER_DOMAIN = 9 * _FACTORIALS[9] * len(_PAIRS)


def iso7064_mod11_10(digits: np.ndarray) -> np.ndarray:
    """The ISO 7064 MOD 11,10 check digit of each row of `digits` (digit values)."""
    product = np.full(digits.shape[0], 10, dtype=np.int64)
    for column in range(digits.shape[1]):
        total = (digits[:, column] + product) % 10
        total[total == 0] = 10
        product = total * 2 % 11
    return (11 - product) % 10


def _de_steuer_id(free, female, year, month, day):
    n = len(free)
    first = 1 + free % 9
    rank = (free // 9) % _FACTORIALS[9]
    pair = _PAIRS[free // (9 * _FACTORIALS[9])]
    rest = np.array([[d for d in range(10) if d != f] for f in range(1, 10)], dtype=np.int64)[first - 1]
    available = np.ones((n, 9), dtype=bool)
    digits = np.empty((n, 10), dtype=np.int64)
    digits[:, 0] = first
    rows = np.arange(n)
    for k in range(9):  # unrank a permutation of the nine other digits (Lehmer code)
        pick = (rank // _FACTORIALS[8 - k]) % (9 - k)
        place = np.argmax(np.cumsum(available, axis=1) == (pick + 1)[:, None], axis=1)
        digits[:, k + 1] = rest[rows, place]
        available[rows, place] = False
    # One digit written twice: position a (never the first) takes position b's digit.
    digits[rows, pair[:, 0]] = digits[rows, pair[:, 1]]
    check = iso7064_mod11_10(digits)
    return (np.concatenate([digits, check[:, None]], axis=1) + ord("0")).astype(np.uint8)


_NIR_DEPARTMENTS = [f"{d:02d}" for d in range(1, 20)] + ["2A", "2B"] + [f"{d:02d}" for d in range(21, 96)]
_NIR_DEPARTMENT_CODES = np.stack([_codes(d) for d in _NIR_DEPARTMENTS])
_NIR_DEPARTMENT_NUMBERS = np.array([{"2A": 19, "2B": 18}.get(d) or int(d) for d in _NIR_DEPARTMENTS],
                                   dtype=np.int64)
_NIR_FREE = len(_NIR_DEPARTMENTS) * 990 * 999


def nir_key(number: np.ndarray) -> np.ndarray:
    """The NIR key of 13-digit numbers (Corsica's 2A/2B read as 19/18): 97 - number mod 97."""
    return 97 - np.asarray(number, dtype=np.int64) % 97


def _fr_nir(free, female, year, month, day):
    department = free % len(_NIR_DEPARTMENTS)
    commune = (free // len(_NIR_DEPARTMENTS)) % 990 + 1
    order = free // (len(_NIR_DEPARTMENTS) * 990) + 1
    sex = 1 + female
    yy = year % 100
    number = (((sex * 100 + yy) * 100 + month) * 100 + _NIR_DEPARTMENT_NUMBERS[department]) * 1_000_000 \
        + commune * 1000 + order
    return np.concatenate([_digits(sex * 10_000 + yy * 100 + month, 5), _NIR_DEPARTMENT_CODES[department],
                           _digits(commune * 1000 + order, 6), _digits(nir_key(number), 2)], axis=1)


DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_DNI_LETTER_CODES = _codes(DNI_LETTERS)
_DNI_FREE = 10**8 + 3 * 10**7


def _es_dni(free, female, year, month, day):
    nie = free >= 10**8
    rest = free - 10**8
    prefix = np.where(nie, rest // 10**7, 0)
    number = np.where(nie, rest, free)  # NIE: the prefix X/Y/Z counts as 0/1/2 before the seven digits
    letter = _DNI_LETTER_CODES[number % 23]
    dni = np.concatenate([_digits(free, 8), letter[:, None]], axis=1)
    nie_codes = np.concatenate([_codes("XYZ")[prefix][:, None], _digits(number % 10**7, 7), letter[:, None]], axis=1)
    return np.where(nie[:, None], nie_codes, dni)


_CF_CONSONANTS = _codes("BCDFGHJKLMNPQRSTVWXYZ")
_CF_MONTHS = _codes("ABCDEHLMPRST")
_CF_MUNICIPALITY_LETTERS = _codes("ABCDEFGHIJKLM")
_CF_NAMES = len(_CF_CONSONANTS) ** 6
_CF_FREE = _CF_NAMES * len(_CF_MUNICIPALITY_LETTERS) * 999
_CF_ODD_VALUES = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)


def _cf_tables() -> tuple[np.ndarray, np.ndarray]:
    even, odd = np.zeros(256, dtype=np.int64), np.zeros(256, dtype=np.int64)
    for i in range(10):
        even[ord("0") + i], odd[ord("0") + i] = i, _CF_ODD_VALUES[i]
    for i in range(26):
        even[ord("A") + i], odd[ord("A") + i] = i, _CF_ODD_VALUES[i]
    return even, odd


_CF_EVEN, _CF_ODD = _cf_tables()  # values of characters in even and odd (1st, 3rd, ...) places


def codice_fiscale_check(codes: np.ndarray) -> np.ndarray:
    """The check letter (ASCII code) of each row of 15 codice fiscale characters."""
    total = _CF_ODD[codes[:, 0::2]].sum(axis=1) + _CF_EVEN[codes[:, 1::2]].sum(axis=1)
    return (ord("A") + total % 26).astype(np.uint8)


def _it_codice_fiscale(free, female, year, month, day):
    names = free % _CF_NAMES
    place = free // _CF_NAMES
    letters = (names[:, None] // len(_CF_CONSONANTS) ** np.arange(5, -1, -1, dtype=np.int64)) % len(_CF_CONSONANTS)
    body = np.concatenate([
        _CF_CONSONANTS[letters], _digits(year % 100, 2), _CF_MONTHS[month - 1][:, None],
        _digits(day + 40 * female, 2), _CF_MUNICIPALITY_LETTERS[place % len(_CF_MUNICIPALITY_LETTERS)][:, None],
        _digits(place // len(_CF_MUNICIPALITY_LETTERS) + 1, 3)], axis=1)
    return np.concatenate([body, codice_fiscale_check(body)[:, None]], axis=1)


def _se_personnummer(free, female, year, month, day):
    serial = 2 * free + (1 - female)  # the last of the three digits: odd for men, even for women
    payload = (_digits(((year % 100) * 100 + month) * 100 + day, 6).astype(np.int64) - ord("0"))
    payload = np.concatenate([payload, _digits(serial, 3).astype(np.int64) - ord("0")], axis=1)
    check = luhn_check_digits(payload)
    return np.concatenate([_digits((year * 100 + month) * 100 + day, 8), _chars(len(free), "-"),
                           _digits(serial * 10 + check, 4)], axis=1)


HETU_CHECKS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_HETU_CHECK_CODES = _codes(HETU_CHECKS)


def _fi_hetu(free, female, year, month, day):
    individual = 2 + 2 * free + (1 - female)  # 002-899, odd for men
    number = ((day * 100 + month) * 100 + year % 100) * 1000 + individual
    sign = np.where(year < 1900, ord("+"), np.where(year < 2000, ord("-"), ord("A"))).astype(np.uint8)
    return np.concatenate([_digits(number // 1000, 6), sign[:, None], _digits(individual, 3),
                           _HETU_CHECK_CODES[number % 31][:, None]], axis=1)


# Areas 001-899 but 666 (never issued) and 078, 123, 219 (whose published numbers were never issued).
_SSN_AREAS = np.array([a for a in range(1, 900) if a not in (666, 78, 123, 219)], dtype=np.int64)
_SSN_FREE = len(_SSN_AREAS) * 99 * 9999


def _us_ssn(free, female, year, month, day):
    area = _SSN_AREAS[free % len(_SSN_AREAS)]
    group = (free // len(_SSN_AREAS)) % 99 + 1
    serial = free // (len(_SSN_AREAS) * 99) + 1
    dash = _chars(len(free), "-")
    return np.concatenate([_digits(area, 3), dash, _digits(group, 2), dash, _digits(serial, 4)], axis=1)


_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NINO_RESERVED = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")
NINO_PREFIXES = tuple(a + b for a in _NINO_FIRST for b in _NINO_SECOND if a + b not in _NINO_RESERVED)
_NINO_PREFIX_CODES = np.stack([_codes(p) for p in NINO_PREFIXES])
_NINO_FREE = len(NINO_PREFIXES) * 10**6 * 4


def _uk_nino(free, female, year, month, day):
    prefix = _NINO_PREFIX_CODES[free % len(NINO_PREFIXES)]
    rest = free // len(NINO_PREFIXES)
    return np.concatenate([prefix, _digits(rest % 10**6, 6), (ord("A") + rest // 10**6).astype(np.uint8)[:, None]],
                          axis=1)


def _dk_cpr(free, female, year, month, day):
    choice = free % 2
    middle = (free // 2) % 100
    last = 2 * (free // 200) + (1 - female)  # odd for men
    # The 7th digit tells the century (the CPR table): 0-3 1900-1999, 4 and 9 2000-2036, 5-8 2037-2057 and
    # 1858-1899.
    century = np.where(year < 1900, 5 + choice, np.where(year < 2000, 3 * choice,
                                                         np.where(year <= 2036, 4 + 5 * choice, 5 + choice)))
    return np.concatenate([_digits((day * 100 + month) * 100 + year % 100, 6), _chars(len(free), "-"),
                           _digits((century * 100 + middle) * 10 + last, 4)], axis=1)


_BUILDERS = {
    "nl_bsn": (_nl_bsn, 9_999_999), "de_steuer_id": (_de_steuer_id, _STEUER_DOMAIN), "fr_nir": (_fr_nir, _NIR_FREE),
    "es_dni": (_es_dni, _DNI_FREE), "it_codice_fiscale": (_it_codice_fiscale, _CF_FREE),
    "se_personnummer": (_se_personnummer, 500), "fi_hetu": (_fi_hetu, 449), "us_ssn": (_us_ssn, _SSN_FREE),
    "uk_nino": (_uk_nino, _NINO_FREE), "dk_cpr": (_dk_cpr, 1000),
}


def _date_domain(scheme: str) -> int:
    return _DRAWN_MONTHS if scheme == "fr_nir" else _DRAWN_DAYS  # a NIR carries the month only


def domain_size(scheme: str, *, date_given: bool = False, sex_given: bool = False) -> int:
    """How many distinct numbers `numbers` makes from indices [0, size) for one birth date and sex when they
    are given; when they are not, the index numbers them too (dates within DRAWN_FIRST..DRAWN_LAST)."""
    size = _BUILDERS[scheme][1]
    if scheme in SEX_SCHEMES and not sex_given:
        size *= 2
    if scheme in DATE_SCHEMES and not date_given:
        size *= _date_domain(scheme)
    return size


def numbers(scheme: str, index: np.ndarray, days: np.ndarray | None = None,
            female: np.ndarray | None = None) -> list[str]:
    """The numbers of `scheme` for `index` (in [0, domain_size(...)), int64), with the birth dates `days`
    (datetime64[D]) and sexes `female` (bool) where given; ValueError for a date outside YEAR_RANGES."""
    builder, free_size = _BUILDERS[scheme]
    index = np.asarray(index, dtype=np.int64).reshape(-1)
    n = len(index)
    if n == 0:
        return []
    free, rest = index % free_size, index // free_size
    if scheme in SEX_SCHEMES and female is None:
        female, rest = (rest % 2).astype(bool), rest // 2
    female = np.zeros(n, dtype=np.int64) if female is None else np.asarray(female, dtype=np.int64)
    if scheme in DATE_SCHEMES and days is None:
        if scheme == "fr_nir":
            days = (_FIRST_MONTH + rest % _DRAWN_MONTHS).astype("datetime64[D]")
        else:
            days = DRAWN_FIRST + rest % _DRAWN_DAYS
    if days is None:
        year = month = day = np.zeros(n, dtype=np.int64)
    else:
        year, month, day = _ymd(days)
        if scheme in YEAR_RANGES:
            low, high = YEAR_RANGES[scheme]
            outside = np.flatnonzero((year < low) | (year > high))
            if len(outside):
                error = ValueError(f"birth year {int(year[outside[0]])} is outside {low}-{high}, the years a "
                                   f"{scheme} number can encode")
                error.row = int(outside[0])
                raise error
    return _strings(builder(free, female, year, month, day))


# ----------------------------------------------------------------------------- invalid_ratio

def _last_digit(value: str, offset: int) -> str:
    return value[:-1] + str((int(value[-1]) + offset) % 10)


def _nir(value: str, offset: int) -> str:
    # Keys run 1-97 and differ modulo 97, so any other key fails.
    return value[:13] + f"{1 + (int(value[13:]) - 1 + offset) % 97:02d}"


def _letter_of(alphabet: str):
    def breaker(value: str, offset: int) -> str:
        return value[:-1] + alphabet[(alphabet.index(value[-1]) + offset) % len(alphabet)]
    return breaker


def _ssn_group(value: str, offset: int) -> str:
    return value[:4] + "00" + value[6:]  # group 00 is never issued


def _nino_first(value: str, offset: int) -> str:
    return "DFIQUV"[offset - 1] + value[1:]  # letters HMRC never uses first


def _cpr_day(value: str, offset: int) -> str:
    return f"{int(value[:2]) + 40:02d}" + value[2:]  # days 41-71: no date, and distinct numbers stay distinct


# scheme -> (breaker(value, offset), modulus: offsets run 1 .. modulus-1). Every breaker but the SSN's and the
# NINO's keeps distinct numbers distinct (so a unique column stays unique).
UNIQUE_BREAKS = frozenset({"nl_bsn", "de_steuer_id", "fr_nir", "es_dni", "it_codice_fiscale", "se_personnummer",
                           "fi_hetu", "dk_cpr"})
BREAKERS = {
    "nl_bsn": (_last_digit, 10), "de_steuer_id": (_last_digit, 10), "fr_nir": (_nir, 97),
    "es_dni": (_letter_of(DNI_LETTERS), 23), "it_codice_fiscale": (_letter_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), 26),
    "se_personnummer": (_last_digit, 10), "fi_hetu": (_letter_of(HETU_CHECKS), 31),
    "us_ssn": (_ssn_group, 2), "uk_nino": (_nino_first, 7), "dk_cpr": (_cpr_day, 2),
}
