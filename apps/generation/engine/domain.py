"""Structured identifiers whose check digits must verify: VINs, payment card numbers, IBANs, passport MRZs.

Random draws come only from the ``np.random.Generator`` handed in, in a fixed order for a given ``n`` and
arguments, so the same generator state always yields the same values. Row-wise work is vectorised on
``(rows, characters)`` matrices of ASCII codes; only the MRZ, whose inputs are arbitrary per-row values, is
built row by row.
"""

from __future__ import annotations

import datetime
import functools
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["CREDIT_CARD_BRANDS", "IBAN_COUNTRIES", "credit_card", "iban", "mrz_td3", "vin",
           # check-digit primitives, shared with masking's format-preserving rules (apps/masking/engine/formats.py)
           "luhn_check_digits", "mod97", "digit_codes", "IBAN_NATIONAL_CHECKS", "IBAN_BBAN_CLASSES",
           "VIN_VALUES", "VIN_WEIGHTS"]

_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _ascii_codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8)


def _rows_to_strings(codes: np.ndarray) -> list[str]:
    """Turn an ``(n, width)`` matrix of ASCII codes into ``n`` strings without a Python loop per row."""
    width = codes.shape[1]
    if width == 0:
        return [""] * codes.shape[0]
    return np.ascontiguousarray(codes).view(f"S{width}").ravel().astype(f"U{width}").tolist()


def _count(n: int) -> int:
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"number of values must be non-negative, got {n}")
    return n


def digit_codes(values: np.ndarray, width: int) -> np.ndarray:
    """ASCII codes of non-negative integers, zero-padded to ``width`` digits: one row per value."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + ord("0")).astype(np.uint8)


def _place(out: np.ndarray, rows: np.ndarray, codes: np.ndarray) -> None:
    out[rows] = np.array(_rows_to_strings(codes), dtype=object)


# --------------------------------------------------------------------------------------------------- VIN

# I, O and Q are excluded from VINs because they are easily confused with 1 and 0.
_VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# Model-year codes cycle every 30 years; U, Z and 0 are never used, nor I, O, Q.
_VIN_MODEL_YEARS = "ABCDEFGHJKLMNPRSTVWXY123456789"
# Real world manufacturer identifiers (positions 1-3), so generated VINs decode to a plausible make and
# country of origin.
_VIN_WMIS = (
    "1C4",  # Chrysler, USA
    "1FA",  # Ford cars, USA
    "1FT",  # Ford trucks, USA
    "1G1",  # Chevrolet cars, USA
    "1GC",  # Chevrolet trucks, USA
    "1HG",  # Honda, USA
    "1J4",  # Jeep, USA
    "1N4",  # Nissan, USA
    "2HG",  # Honda, Canada
    "2T1",  # Toyota, Canada
    "3FA",  # Ford, Mexico
    "3VW",  # Volkswagen, Mexico
    "4S3",  # Subaru, USA
    "4T1",  # Toyota, USA
    "5FN",  # Honda MPV, USA
    "5YJ",  # Tesla, USA
    "JF1",  # Subaru, Japan
    "JHM",  # Honda, Japan
    "JM1",  # Mazda, Japan
    "JN1",  # Nissan, Japan
    "JTD",  # Toyota, Japan
    "KMH",  # Hyundai, Korea
    "KNA",  # Kia, Korea
    "SAJ",  # Jaguar, UK
    "SAL",  # Land Rover, UK
    "SCC",  # Lotus, UK
    "TMB",  # Skoda, Czech Republic
    "TRU",  # Audi, Hungary
    "VF1",  # Renault, France
    "VF3",  # Peugeot, France
    "VSS",  # SEAT, Spain
    "WAU",  # Audi, Germany
    "WBA",  # BMW, Germany
    "WDD",  # Mercedes-Benz, Germany
    "WMW",  # MINI, Germany
    "WP0",  # Porsche, Germany
    "WVW",  # Volkswagen, Germany
    "YS3",  # Saab, Sweden
    "YV1",  # Volvo, Sweden
    "ZAR",  # Alfa Romeo, Italy
    "ZFA",  # Fiat, Italy
    "ZFF",  # Ferrari, Italy
)
_VIN_WMI_CODES = np.stack([_ascii_codes(wmi) for wmi in _VIN_WMIS])
_VIN_ALPHABET_CODES = _ascii_codes(_VIN_ALPHABET)
_VIN_MODEL_YEAR_CODES = _ascii_codes(_VIN_MODEL_YEARS)
VIN_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)


def _vin_transliteration() -> np.ndarray:
    """Value of every ASCII code under the North American rule (letters map to 1-9; digits to themselves)."""
    values = np.zeros(128, dtype=np.int64)
    for digit in _DIGITS:
        values[ord(digit)] = int(digit)
    for letters, start in (("ABCDEFGH", 1), ("JKLMN", 1), ("P", 7), ("R", 9), ("STUVWXYZ", 2)):
        for offset, letter in enumerate(letters):
            values[ord(letter)] = start + offset
    return values


VIN_VALUES = _vin_transliteration()


def vin(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` 17-character VINs: real WMI, random descriptor, check digit at position 9, valid model year."""
    n = _count(n)
    codes = np.empty((n, 17), dtype=np.uint8)
    codes[:, 0:3] = _VIN_WMI_CODES[rng.integers(0, len(_VIN_WMIS), n)]
    codes[:, 3:8] = _VIN_ALPHABET_CODES[rng.integers(0, len(_VIN_ALPHABET), (n, 5))]
    # Position 9 has weight 0, so whatever it holds before the check digit is written cannot affect the sum.
    codes[:, 8] = ord("0")
    codes[:, 9] = _VIN_MODEL_YEAR_CODES[rng.integers(0, len(_VIN_MODEL_YEARS), n)]
    codes[:, 10] = _VIN_ALPHABET_CODES[rng.integers(0, len(_VIN_ALPHABET), n)]
    # Positions 12-17 are the production sequence number, numeric for high-volume manufacturers.
    codes[:, 11:17] = _ascii_codes(_DIGITS)[rng.integers(0, 10, (n, 6))]
    remainder = (VIN_VALUES[codes] @ VIN_WEIGHTS) % 11
    codes[:, 8] = np.where(remainder == 10, ord("X"), ord("0") + remainder)
    return _rows_to_strings(codes)


# ------------------------------------------------------------------------------------------ credit cards

# (first prefix, last prefix, card length, share of the brand's cards): issuer identification ranges.
_CARD_RANGES: dict[str, tuple[tuple[int, int, int, float], ...]] = {
    "amex": ((34, 34, 15, 0.5), (37, 37, 15, 0.5)),
    "diners": ((36, 36, 14, 0.5), (300, 305, 14, 0.3), (38, 39, 14, 0.2)),
    "discover": ((6011, 6011, 16, 0.6), (65, 65, 16, 0.3), (644, 649, 16, 0.1)),
    "jcb": ((3528, 3589, 16, 1.0),),
    # The 2-series (2221-2720) was added in 2017 and is still the minority of cards in circulation.
    "mastercard": ((51, 55, 16, 0.8), (2221, 2720, 16, 0.2)),
    "visa": ((4, 4, 16, 1.0),),
}
# Rough market shares, used when no brand is asked for.
_CARD_BRAND_SHARES = {
    "amex": 0.10,
    "diners": 0.03,
    "discover": 0.07,
    "jcb": 0.04,
    "mastercard": 0.31,
    "visa": 0.45,
}
_CARD_BRAND_ALIASES = {"americanexpress": "amex", "dinersclub": "diners", "master": "mastercard"}

CREDIT_CARD_BRANDS: frozenset[str] = frozenset(_CARD_RANGES)
# Sorted so draws never depend on set iteration order (which varies with PYTHONHASHSEED).
_CARD_BRAND_ORDER = tuple(sorted(_CARD_RANGES))


def _card_brand(brand: str) -> str:
    if not isinstance(brand, str):
        raise ValueError(f"credit card brand must be a string, got {brand!r}")
    key = re.sub(r"[\s_\-]", "", brand.lower())
    key = _CARD_BRAND_ALIASES.get(key, key)
    if key not in _CARD_RANGES:
        raise ValueError(f"unknown credit card brand {brand!r}; expected one of {', '.join(_CARD_BRAND_ORDER)}")
    return key


def luhn_check_digits(payload: np.ndarray) -> np.ndarray:
    """Luhn check digit for each row of ``payload`` (digit values, the check digit not yet appended)."""
    width = payload.shape[1]
    # Counting from the right of the payload, the first digit and every second one after it are doubled,
    # because the appended check digit will take the undoubled rightmost place.
    doubled = (width - 1 - np.arange(width)) % 2 == 0
    values = np.where(doubled, payload * 2, payload)
    values = np.where(values > 9, values - 9, values)
    return (10 - values.sum(axis=1) % 10) % 10


def credit_card(rng: np.random.Generator, n: int, brand: str | None = None) -> list[str]:
    """``n`` card numbers (digits only) with a real issuer prefix and length and a Luhn check digit."""
    n = _count(n)
    brands = _CARD_BRAND_ORDER if brand is None else (_card_brand(brand),)
    ranges = [card_range for name in brands for card_range in _CARD_RANGES[name]]
    shares = np.array(
        [
            (_CARD_BRAND_SHARES[name] if brand is None else 1.0) * card_range[3]
            for name in brands
            for card_range in _CARD_RANGES[name]
        ]
    )
    chosen = rng.choice(len(ranges), size=n, p=shares / shares.sum())
    out = np.empty(n, dtype=object)
    for index, (first, last, length, _share) in enumerate(ranges):
        rows = np.flatnonzero(chosen == index)
        if rows.size == 0:
            continue
        prefix_width = len(str(first))
        prefixes = rng.integers(first, last + 1, rows.size)
        body = rng.integers(0, 10, (rows.size, length - prefix_width - 1))
        payload = np.hstack([digit_codes(prefixes, prefix_width) - ord("0"), body])
        digits = np.hstack([payload, luhn_check_digits(payload)[:, None]])
        _place(out, rows, (digits + ord("0")).astype(np.uint8))
    return out.tolist()


# ------------------------------------------------------------------------------------------------ IBANs

# BBAN structure per country from the SWIFT IBAN registry: n = digit, a = upper-case letter, c = either.
_IBAN_BBAN_FORMATS = {
    "AD": "4n4n12c",
    "AE": "3n16n",
    "AL": "8n16c",
    "AT": "5n11n",
    "AZ": "4a20c",
    "BA": "3n3n8n2n",
    "BE": "3n7n2n",
    "BG": "4a4n2n8c",
    "BH": "4a14c",
    "BR": "8n5n10n1a1c",
    "CH": "5n12c",
    "CR": "4n14n",
    "CY": "3n5n16c",
    "CZ": "4n6n10n",
    "DE": "8n10n",
    "DK": "4n9n1n",
    "DO": "4c20n",
    "EE": "2n2n11n1n",
    "ES": "4n4n1n1n10n",
    "FI": "3n11n",
    "FO": "4n9n1n",
    "FR": "5n5n11c2n",
    "GB": "4a6n8n",
    "GE": "2a16n",
    "GI": "4a15c",
    "GL": "4n9n1n",
    "GR": "3n4n16c",
    "GT": "4c20c",
    "HR": "7n10n",
    "HU": "3n4n1n15n1n",
    "IE": "4a6n8n",
    "IL": "3n3n13n",
    "IS": "4n2n6n10n",
    "IT": "1a5n5n12c",
    "JO": "4a4n18c",
    "KW": "4a22c",
    "KZ": "3n13c",
    "LB": "4n20c",
    "LI": "5n12c",
    "LT": "5n11n",
    "LU": "3n13c",
    "LV": "4a13c",
    "MC": "5n5n11c2n",
    "MD": "2c18c",
    "ME": "3n13n2n",
    "MK": "3n10c2n",
    "MR": "5n5n11n2n",
    "MT": "4a5n18c",
    "MU": "4a2n2n12n3n3a",
    "NL": "4a10n",
    "NO": "4n6n1n",
    "PK": "4a16c",
    "PL": "8n16n",
    "PS": "4a21c",
    "PT": "4n4n11n2n",
    "QA": "4a21c",
    "RO": "4a16c",
    "RS": "3n13n2n",
    "SA": "2n18c",
    "SE": "3n16n1n",
    "SI": "5n8n2n",
    "SK": "4n6n10n",
    "SM": "1a5n5n12c",
    "TN": "2n3n13n2n",
    "TR": "5n1n16c",
    "UA": "6n19c",
    "XK": "4n10n2n",
}
# Alphanumeric account fields hold mostly digits in practice, so "c" draws a digit nine times in ten
# (230 of its 256 entries are digits, each digit and each letter equally likely within its kind).
_IBAN_CHAR_CLASSES = {
    "n": _ascii_codes(_DIGITS),
    "a": _ascii_codes(_LETTERS),
    "c": _ascii_codes(_DIGITS * 23 + _LETTERS),
}


def _expand_bban_format(spec: str) -> str:
    return "".join(kind * int(count) for count, kind in re.findall(r"(\d+)([nac])", spec))


IBAN_BBAN_CLASSES = {country: _expand_bban_format(spec) for country, spec in _IBAN_BBAN_FORMATS.items()}

IBAN_COUNTRIES: frozenset[str] = frozenset(_IBAN_BBAN_FORMATS)
_IBAN_COUNTRY_ORDER = tuple(sorted(_IBAN_BBAN_FORMATS))

# ISO 13616 reads letters as two-digit numbers: A = 10 ... Z = 35.
_MOD97_VALUES = np.zeros(128, dtype=np.int64)
_MOD97_VALUES[_ascii_codes(_DIGITS)] = np.arange(10)
_MOD97_VALUES[_ascii_codes(_LETTERS)] = np.arange(10, 36)
_MOD97_SCALES = np.where(np.arange(128) >= ord("A"), 100, 10)


def mod97(codes: np.ndarray, values: np.ndarray = _MOD97_VALUES) -> np.ndarray:
    """Remainder modulo 97 of each row read as one decimal number, column by column to stay within int64."""
    remainder = np.zeros(codes.shape[0], dtype=np.int64)
    for column in codes.T:
        remainder = (remainder * _MOD97_SCALES[column] + values[column]) % 97
    return remainder


def _digit_values(codes: np.ndarray) -> np.ndarray:
    return codes.astype(np.int64) - ord("0")


# National check digits inside the BBAN, for the countries whose scheme is public and bank-independent.
# Banks and validators in these countries reject account numbers whose internal check fails, so an IBAN
# that only passes mod 97 would not look real there.


def _belgian_check(bban: np.ndarray) -> None:
    # Last two digits: the first ten modulo 97, with 97 instead of 0.
    remainder = mod97(bban[:, :10])
    bban[:, 10:12] = digit_codes(np.where(remainder == 0, 97, remainder), 2)


def _finnish_check(bban: np.ndarray) -> None:
    # Last digit: Luhn over the preceding 13.
    bban[:, 13] = luhn_check_digits(_digit_values(bban[:, :13])) + ord("0")


# The RIB key reads letters of the account number as digits: A, J -> 1; B, K, S -> 2; ... I, R, Z -> 9.
_RIB_VALUES = _MOD97_VALUES.copy()
_RIB_VALUES[_ascii_codes(_LETTERS)] = [int(digit) for digit in "12345678912345678923456789"]


def _french_check(bban: np.ndarray) -> None:
    # RIB key: bank, branch, account and key together, read as a number, are divisible by 97.
    converted = np.where(bban[:, :21] >= ord("A"), _RIB_VALUES[bban[:, :21]] + ord("0"), bban[:, :21])
    remainder = mod97(converted.astype(np.uint8))
    bban[:, 21:23] = digit_codes(97 - (remainder * 100) % 97, 2)


def _portuguese_check(bban: np.ndarray) -> None:
    # NIB: the 21 digits read as a number leave remainder 1 modulo 97, like the IBAN itself.
    remainder = mod97(bban[:, :19])
    bban[:, 19:21] = digit_codes(98 - (remainder * 100) % 97, 2)


_SPANISH_WEIGHTS = np.array([1, 2, 4, 8, 5, 10, 9, 7, 3, 6], dtype=np.int64)


def _spanish_digit(digits: np.ndarray) -> np.ndarray:
    value = 11 - (digits @ _SPANISH_WEIGHTS) % 11
    return np.where(value == 11, 0, np.where(value == 10, 1, value))


def _spanish_check(bban: np.ndarray) -> None:
    # Two control digits: the first over "00" + bank + branch, the second over the account number.
    bank_branch = _digit_values(bban[:, :8])
    bban[:, 8] = _spanish_digit(np.hstack([np.zeros((bban.shape[0], 2), np.int64), bank_branch])) + ord("0")
    bban[:, 9] = _spanish_digit(_digit_values(bban[:, 10:20])) + ord("0")


IBAN_NATIONAL_CHECKS: dict[str, Callable[[np.ndarray], None]] = {
    "BE": _belgian_check,
    "ES": _spanish_check,
    "FI": _finnish_check,
    "FR": _french_check,
    "MC": _french_check,
    "PT": _portuguese_check,
}


def _iban_country(country: str) -> str:
    if not isinstance(country, str):
        raise ValueError(f"IBAN country must be a two-letter code string, got {country!r}")
    code = country.strip().upper()
    if code not in _IBAN_BBAN_FORMATS:
        raise ValueError(f"unsupported IBAN country {country!r}; expected one of {', '.join(_IBAN_COUNTRY_ORDER)}")
    return code


def _random_bban(rng: np.random.Generator, classes: str, count: int) -> np.ndarray:
    bban = np.empty((count, len(classes)), dtype=np.uint8)
    kinds = np.frombuffer(classes.encode("ascii"), dtype="S1")
    for kind, alphabet in _IBAN_CHAR_CLASSES.items():
        columns = np.flatnonzero(kinds == kind.encode("ascii"))
        if columns.size:
            bban[:, columns] = alphabet[rng.integers(0, len(alphabet), (count, columns.size))]
    return bban


def iban(rng: np.random.Generator, n: int, country: str | None = None) -> list[str]:
    """``n`` compact IBANs (no spaces): the registry's BBAN structure, ISO 7064 mod 97-10 check digits."""
    n = _count(n)
    countries = _IBAN_COUNTRY_ORDER if country is None else (_iban_country(country),)
    chosen = rng.integers(0, len(countries), n)
    out = np.empty(n, dtype=object)
    for index, code in enumerate(countries):
        rows = np.flatnonzero(chosen == index)
        if rows.size == 0:
            continue
        bban = _random_bban(rng, IBAN_BBAN_CLASSES[code], rows.size)
        if code in IBAN_NATIONAL_CHECKS:
            IBAN_NATIONAL_CHECKS[code](bban)
        # Check digits make BBAN + country + check digits leave remainder 1 modulo 97.
        suffix = np.broadcast_to(_ascii_codes(code + "00"), (rows.size, 4))
        check = 98 - mod97(np.hstack([bban, suffix]))
        head = np.hstack([suffix[:, :2], digit_codes(check, 2)])
        _place(out, rows, np.hstack([head, bban]))
    return out.tolist()


# ------------------------------------------------------------------------------------------- ICAO MRZ

_MRZ_NAME_WIDTH = 39  # line 1 after "P<" and the three-letter issuing state
_MRZ_WEIGHTS = (7, 3, 1)
_MRZ_VALUES = {"<": 0, **{d: int(d) for d in _DIGITS}, **{c: 10 + i for i, c in enumerate(_LETTERS)}}
_MRZ_FILLER_DATE = "<" * 6

# Latin letters that Unicode does not decompose into a base letter plus marks (ICAO 9303 part 3 table).
_MRZ_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "SS",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "AE",
        "Ø": "OE",
        "ø": "OE",
        "Œ": "OE",
        "œ": "OE",
        "Þ": "TH",
        "þ": "TH",
        "Ð": "D",
        "ð": "D",
        "Đ": "D",
        "đ": "D",
        "Ł": "L",
        "ł": "L",
        "Ħ": "H",
        "ħ": "H",
        "ı": "I",
    }
)

# ISO 3166 alpha-2 -> alpha-3, so that columns holding two-letter country codes still give valid MRZ codes.
_ALPHA2_ALPHA3_PAIRS = (
    "ADAND AEARE AFAFG AGATG ALALB AMARM AOAGO ARARG ATAUT AUAUS AZAZE BABIH BBBRB BDBGD BEBEL BFBFA "
    "BGBGR BHBHR BIBDI BJBEN BNBRN BOBOL BRBRA BSBHS BTBTN BWBWA BYBLR BZBLZ CACAN CDCOD CFCAF CGCOG "
    "CHCHE CICIV CLCHL CMCMR CNCHN COCOL CRCRI CUCUB CVCPV CYCYP CZCZE DEDEU DJDJI DKDNK DMDMA DODOM "
    "DZDZA ECECU EEEST EGEGY ERERI ESESP ETETH FIFIN FJFJI FMFSM FOFRO FRFRA GAGAB GBGBR GDGRD GEGEO "
    "GHGHA GIGIB GLGRL GMGMB GNGIN GQGNQ GRGRC GTGTM GWGNB GYGUY HKHKG HNHND HRHRV HTHTI HUHUN IDIDN "
    "IEIRL ILISR ININD IQIRQ IRIRN ISISL ITITA JMJAM JOJOR JPJPN KEKEN KGKGZ KHKHM KIKIR KMCOM KNKNA "
    "KPPRK KRKOR KWKWT KZKAZ LALAO LBLBN LCLCA LILIE LKLKA LRLBR LSLSO LTLTU LULUX LVLVA LYLBY MAMAR "
    "MCMCO MDMDA MEMNE MGMDG MHMHL MKMKD MLMLI MMMMR MNMNG MOMAC MRMRT MTMLT MUMUS MVMDV MWMWI MXMEX "
    "MYMYS MZMOZ NANAM NENER NGNGA NINIC NLNLD NONOR NPNPL NRNRU NZNZL OMOMN PAPAN PEPER PGPNG PHPHL "
    "PKPAK PLPOL PRPRI PSPSE PTPRT PWPLW PYPRY QAQAT ROROU RSSRB RURUS RWRWA SASAU SBSLB SCSYC SDSDN "
    "SESWE SGSGP SISVN SKSVK SLSLE SMSMR SNSEN SOSOM SRSUR SSSSD STSTP SVSLV SYSYR SZSWZ TDTCD TGTGO "
    "THTHA TJTJK TLTLS TMTKM TNTUN TOTON TRTUR TTTTO TVTUV TWTWN TZTZA UAUKR UGUGA USUSA UYURY UZUZB "
    "VAVAT VCVCT VEVEN VNVNM VUVUT WSWSM XKRKS YEYEM ZAZAF ZMZMB ZWZWE"
)
_ALPHA2_TO_ALPHA3 = {pair[:2]: pair[2:] for pair in _ALPHA2_ALPHA3_PAIRS.split()}

_MRZ_SEXES = {
    "M": "M",
    "MALE": "M",
    "MAN": "M",
    "F": "F",
    "FEMALE": "F",
    "WOMAN": "F",
}


# The weights repeated over the longest field a check digit covers (the 39-character composite), so a check
# digit is one pass of C-level maps rather than a Python loop per character.
_MRZ_WEIGHT_RUN = _MRZ_WEIGHTS * 20


def _mrz_check_digit(field: str) -> str:
    if len(field) > len(_MRZ_WEIGHT_RUN):
        return str(sum(_MRZ_VALUES[char] * _MRZ_WEIGHTS[i % 3] for i, char in enumerate(field)) % 10)
    return str(sum(map(operator.mul, map(_MRZ_VALUES.__getitem__, field), _MRZ_WEIGHT_RUN)) % 10)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _latin_upper(text: str) -> str:
    """Upper-case text with diacritics dropped and non-decomposable Latin letters spelt out."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_MRZ_SPECIAL_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).upper()


def _mrz_name_part(value: object, latin: Callable[[str], str] = _latin_upper) -> str:
    """One name in MRZ form: A-Z words joined by single fillers.

    Spaces and hyphens separate words; apostrophes and other punctuation are dropped, as are characters
    with no Latin transliteration (ICAO 9303 part 3).
    """
    if _is_missing(value):
        return ""
    words, word = [], []
    for char in latin(str(value)):
        if "A" <= char <= "Z":
            word.append(char)
        elif char.isspace() or unicodedata.category(char) == "Pd":
            words.append("".join(word))
            word = []
    words.append("".join(word))
    return "<".join(word for word in words if word)


def _mrz_names(surname: object, given_names: object, latin: Callable[[str], str] = _latin_upper) -> str:
    primary, secondary = _mrz_name_part(surname, latin), _mrz_name_part(given_names, latin)
    if not primary:
        # A single-part name is written as the primary identifier.
        primary, secondary = secondary, ""
    names = f"{primary}<<{secondary}" if secondary else primary
    return names[:_MRZ_NAME_WIDTH].ljust(_MRZ_NAME_WIDTH, "<")


def _mrz_code(value: object, width: int) -> str:
    """Document number or optional data: A-Z, 0-9 and fillers, cut to the field (TD3 has no overflow)."""
    if _is_missing(value):
        return "<" * width
    text = re.sub(r"[^A-Z0-9<]", "", _latin_upper(str(value)))
    return text[:width].ljust(width, "<")


def _mrz_state(value: object) -> str:
    if type(value) is str:
        return _mrz_state_text(value)
    if _is_missing(value):
        return "<<<"
    return _mrz_state_text(str(value))


@functools.lru_cache(maxsize=4096)
def _mrz_state_text(value: str) -> str:
    """A state code in MRZ form (issuing states and nationalities repeat: each is worked out once)."""
    code = re.sub(r"[^A-Z]", "", _latin_upper(str(value)))
    code = _ALPHA2_TO_ALPHA3.get(code, code) if len(code) == 2 else code
    # ICAO 9303 codes Germany as "D" rather than its ISO alpha-3 code.
    if code == "DEU":
        code = "D"
    return code[:3].ljust(3, "<")


def _mrz_date(value: object, field: str) -> str:
    if _is_missing(value):
        return _MRZ_FILLER_DATE
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return _MRZ_FILLER_DATE
        value = value.astype("datetime64[D]").item()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return _MRZ_FILLER_DATE
        try:
            value = datetime.date.fromisoformat(text)
        except ValueError:
            try:
                value = datetime.datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"mrz_td3: {field} {value!r} is not an ISO date (YYYY-MM-DD)") from None
    if not isinstance(value, datetime.date):
        raise ValueError(f"mrz_td3: {field} must be a date, an ISO date string or None, got {value!r}")
    return f"{value.year % 100:02d}{value.month:02d}{value.day:02d}"


def _mrz_sex(value: object) -> str:
    # Anything but male or female (X, unspecified, unknown) is shown as a filler in the MRZ.
    if _is_missing(value):
        return "<"
    return _MRZ_SEXES.get(str(value).strip().upper(), "<")


def _mrz_row(
    document_number: object,
    nationality: object,
    birth_date: object,
    sex: object,
    expiry_date: object,
    surname: object,
    given_names: object,
    issuing_state: object,
    optional_data: object,
    latin: Callable[[str], str] = _latin_upper,
) -> str:
    line1 = "P<" + _mrz_state(issuing_state) + _mrz_names(surname, given_names, latin)
    number = _mrz_code(document_number, 9)
    birth = _mrz_date(birth_date, "birth_date")
    expiry = _mrz_date(expiry_date, "expiry_date")
    optional = _mrz_code(optional_data, 14)
    number_part = number + _mrz_check_digit(number)
    birth_part = birth + _mrz_check_digit(birth)
    # An all-filler optional data field gets check digit 0 (ICAO allows "<" or 0; the sum gives 0).
    expiry_part = expiry + _mrz_check_digit(expiry) + optional + _mrz_check_digit(optional)
    composite = _mrz_check_digit(number_part + birth_part + expiry_part)
    line2 = number_part + _mrz_state(nationality) + birth_part + _mrz_sex(sex) + expiry_part + composite
    return line1 + "\n" + line2


def mrz_td3(
    *,
    document_number: Sequence[object],
    nationality: Sequence[object],
    birth_date: Sequence[object],
    sex: Sequence[object],
    expiry_date: Sequence[object],
    surname: Sequence[object],
    given_names: Sequence[object],
    issuing_state: Sequence[object],
    optional_data: Sequence[object] | None = None,
    latin: Callable[[str], str] | None = None,
) -> list[str]:
    """Passport (ICAO 9303 TD3) machine-readable zones, one ``"LINE1\\nLINE2"`` per row.

    Every argument holds one value per row. Dates may be ``datetime.date``, ISO ``YYYY-MM-DD`` strings or
    None; country codes may be ICAO/ISO alpha-3 or ISO alpha-2; ``sex`` accepts M/F/X and male/female;
    ``optional_data`` is the personal number field (fillers when omitted). None gives fillers.
    ``latin`` writes a name in Latin letters (default: diacritics dropped, other scripts left out); a
    ValueError it raises gets the attribute ``row``, the index of the row whose name it refused.
    """
    columns = {
        "document_number": document_number,
        "nationality": nationality,
        "birth_date": birth_date,
        "sex": sex,
        "expiry_date": expiry_date,
        "surname": surname,
        "given_names": given_names,
        "issuing_state": issuing_state,
    }
    if optional_data is not None:
        columns["optional_data"] = optional_data
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        details = ", ".join(f"{name}={length}" for name, length in lengths.items())
        raise ValueError(f"mrz_td3: all fields need one value per row, got lengths {details}")
    rows = len(document_number)
    optional_values = optional_data if optional_data is not None else [None] * rows
    latin = latin or _latin_upper
    rows_of_fields = zip(document_number, nationality, birth_date, sex, expiry_date, surname, given_names,
                         issuing_state, optional_values, strict=True)
    out = []
    for row, values in enumerate(rows_of_fields):
        try:
            out.append(_mrz_row(*values, latin))
        except ValueError as exc:
            exc.row = row  # the caller names the table row
            raise
    return out
