"""Vehicle identification numbers of a given make and model year (ISO 3779, North American layout).

Positions: 1-3 world manufacturer identifier (WMI) of the make, 4-8 vehicle descriptor, 9 check digit,
10 model year, 11 plant, 12-17 serial number. Position 7 follows the North American rule that tells
the two 30-year cycles of the year code apart: a digit for model years 1980-2009, a letter for 2010-2039.

Everything is vectorised over `(rows, 17)` matrices of ASCII codes. The serial part (positions 11-17)
can come from a keyed permutation of the row index (`serials`), so a table's VINs never repeat.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from .randomness import permute

# Real WMIs, one make per code (a WMI decodes to exactly one make here). The first WMI of a make is its
# most common one; generation draws among all of a make's WMIs.
MAKE_WMIS: dict[str, tuple[str, ...]] = {
    "Acura": ("19U", "JH4"),
    "Alfa Romeo": ("ZAR",),
    "Aston Martin": ("SCF",),
    "Audi": ("WAU", "TRU"),
    "Bentley": ("SCB",),
    "BMW": ("WBA", "WBS", "5UX"),
    "Buick": ("1G4",),
    "Cadillac": ("1G6",),
    "Chevrolet": ("1G1", "1GC", "3GN"),
    "Chrysler": ("1C3", "2C3"),
    "Citroen": ("VF7",),
    "Dacia": ("UU1",),
    "Dodge": ("1B3", "2B3"),
    "Ferrari": ("ZFF",),
    "Fiat": ("ZFA",),
    "Ford": ("1FA", "1FT", "1FM", "3FA"),
    "Genesis": ("KMT",),
    "GMC": ("1GT", "1GK"),
    "Honda": ("1HG", "JHM", "2HG", "5FN"),
    "Hyundai": ("KMH", "5NP"),
    "Infiniti": ("JNK",),
    "Jaguar": ("SAJ",),
    "Jeep": ("1J4", "1C4"),
    "Kia": ("KNA", "KND"),
    "Lada": ("XTA",),
    "Lamborghini": ("ZHW",),
    "Land Rover": ("SAL",),
    "Lexus": ("JTH", "2T2"),
    "Lincoln": ("1LN", "5LM"),
    "Lotus": ("SCC",),
    "Maserati": ("ZAM",),
    "Mazda": ("JM1", "JM3"),
    "Mercedes-Benz": ("WDD", "WDB", "4JG"),
    "MINI": ("WMW",),
    "Mitsubishi": ("JA3", "JA4"),
    "Nissan": ("JN1", "1N4", "JN8"),
    "Opel": ("W0L",),
    "Peugeot": ("VF3",),
    "Porsche": ("WP0", "WP1"),
    "Ram": ("3C6", "1C6"),
    "Renault": ("VF1",),
    "Rolls-Royce": ("SCA",),
    "Saab": ("YS3",),
    "SEAT": ("VSS",),
    "Skoda": ("TMB",),
    "Smart": ("WME",),
    "Subaru": ("JF1", "JF2", "4S3", "4S4"),
    "Suzuki": ("JS2", "JS3"),
    "Tesla": ("5YJ", "7SA"),
    "Toyota": ("JTD", "4T1", "2T1", "5TD", "JTE"),
    "Volkswagen": ("WVW", "3VW", "1VW", "WVG"),
    "Volvo": ("YV1", "YV4"),
}
# Other spellings users write for a make.
_ALIASES = {"vw": "Volkswagen", "mercedes": "Mercedes-Benz", "chevy": "Chevrolet", "mini cooper": "MINI",
            "landrover": "Land Rover", "rollsroyce": "Rolls-Royce", "alfa": "Alfa Romeo"}

MAKES: tuple[str, ...] = tuple(MAKE_WMIS)
FIRST_MODEL_YEAR, LAST_MODEL_YEAR = 1980, 2039
# Position 10: one code per year, cycling every 30 years; I, O, Q, U, Z and 0 are never used.
MODEL_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
# Positions 12-17 take any digit; position 11 (plant) any character of the VIN alphabet.
ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_LETTERS_ONLY = "ABCDEFGHJKLMNPRSTUVWXYZ"
_DIGITS = "0123456789"
SERIAL_DOMAIN = len(ALPHABET) * 10**6  # distinct (plant, serial) pairs: positions 11-17

_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8)


def _values() -> np.ndarray:
    """Value of every ASCII code in the check-digit sum (letters map to 1-9; digits to themselves)."""
    values = np.zeros(128, dtype=np.int64)
    for digit in _DIGITS:
        values[ord(digit)] = int(digit)
    for letters, start in (("ABCDEFGH", 1), ("JKLMN", 1), ("P", 7), ("R", 9), ("STUVWXYZ", 2)):
        for offset, letter in enumerate(letters):
            values[ord(letter)] = start + offset
    return values


_VALUES = _values()
_ALPHABET_CODES = _codes(ALPHABET)
_LETTER_CODES = _codes(_LETTERS_ONLY)
_DIGIT_CODES = _codes(_DIGITS)
_YEAR_CODES = _codes(MODEL_YEAR_CODES)
_WMI_LIST = [wmi for wmis in MAKE_WMIS.values() for wmi in wmis]
_WMI_CODES = np.stack([_codes(wmi) for wmi in _WMI_LIST])
_WMI_MAKE = {wmi: make for make, wmis in MAKE_WMIS.items() for wmi in wmis}
# For make index m, its WMIs are rows _WMI_START[m] .. _WMI_START[m] + _WMI_COUNT[m] - 1 of _WMI_CODES.
_WMI_COUNT = np.array([len(w) for w in MAKE_WMIS.values()], dtype=np.int64)
_WMI_START = np.concatenate([[0], np.cumsum(_WMI_COUNT)[:-1]]).astype(np.int64)


def make_key(name: str) -> str:
    """How a make is matched: accents, case, spaces and hyphens do not matter ("citroën", "Mercedes Benz")."""
    text = unicodedata.normalize("NFKD", name)
    return "".join(c for c in text if c.isalnum()).casefold()


_MAKE_INDEX = {make_key(make): i for i, make in enumerate(MAKES)}
_MAKE_INDEX.update({make_key(alias): MAKES.index(make) for alias, make in _ALIASES.items()})


def make_index(name: object) -> int:
    """Index of a make in MAKES, or -1 when the built-in table does not know it."""
    return _MAKE_INDEX.get(make_key(name), -1) if isinstance(name, str) else -1


def make_indices(names: np.ndarray) -> np.ndarray:
    """make_index of every value (vectorised over the distinct values)."""
    names = np.asarray(names, dtype=object)
    distinct, inverse = np.unique(names.astype(str), return_inverse=True)
    lookup = np.array([make_index(str(v)) for v in distinct], dtype=np.int64)
    out = lookup[inverse.reshape(-1)]
    out[np.array([not isinstance(v, str) for v in names], dtype=bool)] = -1
    return out


def check_digits(codes: np.ndarray) -> np.ndarray:
    """ASCII code of the check digit (position 9) of each row of an `(n, 17)` code matrix."""
    remainder = (_VALUES[codes] @ _WEIGHTS) % 11
    return np.where(remainder == 10, ord("X"), ord("0") + remainder).astype(np.uint8)


def serials(rows: np.ndarray, key: int) -> np.ndarray:
    """Distinct rows get distinct serial numbers in [0, SERIAL_DOMAIN): a keyed permutation of the row."""
    return permute(np.asarray(rows, dtype=np.int64), SERIAL_DOMAIN, key)


def vins(rng: np.random.Generator, makes: np.ndarray, years: np.ndarray, serial: np.ndarray | None = None) -> list[str]:
    """One VIN per row for make indices `makes` (into MAKES) and model years `years` (1980-2039).

    `serial` (values in [0, SERIAL_DOMAIN)) fixes positions 11-17, so distinct serials give distinct VINs;
    without it they are drawn. Raises ValueError for an unknown make (index -1) or a year out of range.
    """
    makes = np.asarray(makes, dtype=np.int64).reshape(-1)
    years = np.asarray(years, dtype=np.int64).reshape(-1)
    n = len(makes)
    if len(years) != n:
        raise ValueError(f"vin: {n} makes but {len(years)} years")
    if n and (makes.min() < 0 or makes.max() >= len(MAKES)):
        raise ValueError("vin: make not in the built-in table")
    if n and (years.min() < FIRST_MODEL_YEAR or years.max() > LAST_MODEL_YEAR):
        raise ValueError(f"vin: model year outside {FIRST_MODEL_YEAR}-{LAST_MODEL_YEAR}")
    codes = np.empty((n, 17), dtype=np.uint8)
    wmi_rows = _WMI_START[makes] + (rng.random(n) * _WMI_COUNT[makes]).astype(np.int64)
    codes[:, 0:3] = _WMI_CODES[wmi_rows]
    codes[:, 3:8] = _ALPHABET_CODES[rng.integers(0, len(ALPHABET), (n, 5))]
    # Position 7 tells the year-code cycles apart: digit up to 2009, letter from 2010.
    recent = years >= 2010
    codes[:, 6] = np.where(recent, _LETTER_CODES[rng.integers(0, len(_LETTERS_ONLY), n)],
                           _DIGIT_CODES[rng.integers(0, 10, n)])
    codes[:, 8] = ord("0")  # weight 0: whatever it holds cannot change the sum
    codes[:, 9] = _YEAR_CODES[(years - FIRST_MODEL_YEAR) % len(MODEL_YEAR_CODES)]
    if serial is None:
        serial = rng.integers(0, SERIAL_DOMAIN, n)
    serial = np.asarray(serial, dtype=np.int64)
    codes[:, 10] = _ALPHABET_CODES[serial // 10**6]
    powers = 10 ** np.arange(5, -1, -1, dtype=np.int64)
    codes[:, 11:17] = ((serial[:, None] % 10**6) // powers % 10 + ord("0")).astype(np.uint8)
    codes[:, 8] = check_digits(codes)
    return np.ascontiguousarray(codes).view("S17").ravel().astype("U17").tolist() if n else []


def check_digit_is_valid(vin: str) -> bool:
    if len(vin) != 17 or any(c not in ALPHABET for c in vin[:8] + vin[9:]):
        return False
    codes = _codes(vin).reshape(1, 17)
    return int(check_digits(codes)[0]) == ord(vin[8])


def decode(vin: str) -> dict:
    """What a VIN says: make (None when its WMI is not in the table), model year, and whether position 9
    is the right check digit. The year cycle is chosen by position 7 (North American rule)."""
    code = vin[9]
    year = None
    if code in MODEL_YEAR_CODES:
        year = FIRST_MODEL_YEAR + MODEL_YEAR_CODES.index(code)
        if not vin[6].isdigit():
            year += len(MODEL_YEAR_CODES)
    return {"make": _WMI_MAKE.get(vin[:3]), "model_year": year, "check_digit_valid": check_digit_is_valid(vin)}

