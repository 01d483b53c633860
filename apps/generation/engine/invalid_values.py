"""`invalid_ratio`: a seeded share of rows whose value carries one deliberately wrong check digit.

Which rows, and which wrong digit each gets, are pure functions of (column key, row index), so they do
not depend on how rows are chunked. Every other check digit of a value stays valid; the broken one is:

- vin: position 9 (the only check digit);
- credit_card: the last digit (Luhn);
- iban: the two IBAN check digits (positions 3-4, ISO 7064 mod 97-10); national check digits of the BBAN
  stay valid;
- mrz_td3: the composite check digit (last character of line 2); the document number, birth date, expiry
  date and personal number check digits stay valid;
- national_id: the scheme's check digit or letter (national_ids.BREAKERS); the schemes without one (us_ssn,
  uk_nino, dk_cpr) break a format rule instead (SSN group 00, a NINO first letter never issued, CPR day + 40).
"""

from __future__ import annotations

import numpy as np

from .national_ids import BREAKERS as NATIONAL_ID_BREAKERS
from .randomness import mix_keys

INVALID_TYPES = ("vin", "credit_card", "iban", "mrz_td3", "national_id")
_TO_UNIT = 2.0**-64


def row_keys(key: int, rows: np.ndarray) -> np.ndarray:
    """One uint64 per row, from the column's key and the row index only."""
    return mix_keys(key, np.asarray(rows, dtype=np.int64))


def invalid_rows(key: int, rows: np.ndarray, ratio: float) -> np.ndarray:
    """Boolean mask: the rows (of `rows`) that get a wrong check digit; about `ratio` of any run of rows."""
    if ratio <= 0:
        return np.zeros(len(rows), dtype=bool)
    return row_keys(key, rows).astype(np.float64) * _TO_UNIT < ratio


def _offsets(key: int, rows: np.ndarray, modulus: int) -> list[int]:
    """A second per-row draw (1 .. modulus-1), independent of the one choosing the rows."""
    mixed = row_keys(key ^ 0x5851F42D4C957F2D, rows)
    return (1 + mixed % np.uint64(modulus - 1)).astype(np.int64).tolist()


def _vin(value: str, offset: int) -> str:
    symbols = "0123456789X"
    wrong = symbols[(symbols.index(value[8]) + offset) % 11]
    return value[:8] + wrong + value[9:]


def _last_digit(value: str, offset: int) -> str:
    return value[:-1] + str((int(value[-1]) + offset) % 10)


def _iban(value: str, offset: int) -> str:
    # Check digits run 02-98 and any two of those differ modulo 97, so every other pair fails mod 97.
    right = int(value[2:4])
    wrong = 2 + (right - 2 + offset) % 97
    return value[:2] + f"{wrong:02d}" + value[4:]


_BREAKERS = {"vin": (_vin, 11), "credit_card": (_last_digit, 10), "iban": (_iban, 97),
             "mrz_td3": (_last_digit, 10),
             **{f"national_id:{scheme}": breaker for scheme, breaker in NATIONAL_ID_BREAKERS.items()}}


def break_check_digits(kind: str, values: list, key: int, rows: np.ndarray, mask: np.ndarray) -> list:
    """`values` with the check digit of `kind` made wrong on the rows where `mask` is set (None stays None);
    a national id's kind is `national_id:<scheme>`."""
    breaker, modulus = _BREAKERS[kind]
    picked = np.flatnonzero(mask)
    if not len(picked):
        return values
    out = list(values)
    for i, offset in zip(picked.tolist(), _offsets(key, np.asarray(rows)[picked], modulus), strict=True):
        if out[i] is not None:
            out[i] = breaker(out[i], offset)
    return out
