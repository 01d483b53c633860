"""National identity numbers under `format_preserving`: after the keyed substitution (digits stay digits,
letters stay letters, separators in place), each format gets the parts that make it valid again, decided
from the masked characters only (so equal inputs still give equal outputs):

- `se_personnummer` (Sweden): `YYMMDD-NNNC`, `YYYYMMDDNNNC` and the like; a valid month and day, the Luhn
  digit over the ten-digit form;
- `fi_hetu` (Finland): `DDMMYYCZZZQ`; the century sign kept, a valid day and month, an individual number
  from 002 to 899, the mod-31 check character;
- `fr_nir` (France): 15 characters (spaces allowed); sex 1 or 2, a valid month, Corsica's 2A/2B kept as a
  letter, the mod-97 key (`97 - number mod 97`);
- `es_dni` (Spain): a DNI `12345678Z` or an NIE `X1234567L` (its X/Y/Z kept); the mod-23 letter;
- `it_codice_fiscale` (Italy): 16 characters; a valid month letter and day (women's days + 40 kept as
  such), the check letter of the odd/even tables;
- `de_steuer_id` (Germany): 11 digits; no leading zero, exactly one digit of the first ten twice and one
  missing, the ISO 7064 MOD 11,10 check digit.

A value whose significant characters do not have the format's layout is left as the plain substitution made
it (like a BSN of another length). Pure Python per value: these columns are short and rarely large.
"""

from __future__ import annotations

import hashlib

_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_digit(digits: str) -> int:
    """The Luhn check digit to append to `digits`."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        total += _LUHN_DOUBLE[d] if index % 2 == 0 else d
    return (10 - total % 10) % 10


def _two(value: int) -> str:
    return f"{value:02d}"


def _month(digits: str) -> str:
    return _two(int(digits) % 12 + 1)


def _day(digits: str) -> str:
    return _two(int(digits) % 28 + 1)


def _replace_significant(text: str, positions: list[int], chars: str) -> str:
    out = list(text)
    for position, char in zip(positions, chars, strict=True):
        out[position] = char
    return "".join(out)


def _positions(text: str, accept) -> list[int]:
    return [i for i, c in enumerate(text) if accept(c)]


# ------------------------------------------------------------------------------------------- Sweden
def fix_se_personnummer(masked: str, original: str) -> str:
    where = _positions(masked, str.isdigit)
    if len(where) not in (10, 12):
        return masked
    digits = "".join(masked[i] for i in where)
    century, core = digits[:-10], digits[-10:]
    core = core[:2] + _month(core[2:4]) + _day(core[4:6]) + core[6:9]
    core += str(luhn_digit(core))
    return _replace_significant(masked, where, century + core)


# ------------------------------------------------------------------------------------------ Finland
HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_HETU_CENTURY = set("+-ABCDEFUVWXY")


def fix_fi_hetu(masked: str, original: str) -> str:
    if len(masked) != 11 or len(original) != 11 or original[6].upper() not in _HETU_CENTURY:
        return masked
    body = masked[:6] + masked[7:10]
    if not body.isdigit():
        return masked
    day, month, year, individual = body[:2], body[2:4], body[4:6], int(body[6:9])
    individual = 2 + individual % 898  # 002..899
    body = _day(day) + _month(month) + year + f"{individual:03d}"
    check = HETU_CHECK[int(body) % 31]
    return body[:6] + original[6].upper() + body[6:] + check


# ------------------------------------------------------------------------------------------- France
def fix_fr_nir(masked: str, original: str) -> str:
    where = _positions(masked, str.isalnum)
    if len(where) != 15:
        return masked
    chars = [masked[i].upper() for i in where]
    # Position 6-7: the department, 2A / 2B for Corsica (a letter stays a letter, then one of A, B).
    if chars[6].isalpha():
        chars[5], chars[6] = "2", "A" if ord(chars[6]) % 2 else "B"
    if not all(c.isdigit() for i, c in enumerate(chars) if i != 6):
        return masked
    chars[0] = "1" if int(chars[0]) % 2 else "2"
    chars[3:5] = list(_month("".join(chars[3:5])))
    number = "".join(chars[:13])
    numeric = int(number.replace("2A", "19").replace("2B", "18")) if chars[6].isalpha() else int(number)
    chars[13:15] = list(_two(97 - numeric % 97))
    return _replace_significant(masked, where, "".join(chars))


# -------------------------------------------------------------------------------------------- Spain
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NIE_PREFIX = {"X": "0", "Y": "1", "Z": "2"}


def fix_es_dni(masked: str, original: str) -> str:
    where = _positions(masked, str.isalnum)
    if len(where) != 9:
        return masked
    chars = [masked[i].upper() for i in where]
    first = original[_positions(original, str.isalnum)[0]].upper() if _positions(original, str.isalnum) else ""
    if first in _NIE_PREFIX:  # an NIE keeps its X/Y/Z
        chars[0] = first
        number = _NIE_PREFIX[first] + "".join(chars[1:8])
    else:
        number = "".join(chars[:8])
    if not number.isdigit():
        return masked
    chars[8] = DNI_LETTERS[int(number) % 23]
    return _replace_significant(masked, where, "".join(chars))


# -------------------------------------------------------------------------------------------- Italy
CF_MONTHS = "ABCDEHLMPRST"
_CF_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
_CF_DIGIT_TO_LETTER = "LMNPQRSTUV"  # omocodia: digits of the code written as letters


def cf_check_letter(code15: str) -> str:
    total = 0
    for index, char in enumerate(code15):
        value = int(char) if char.isdigit() else ord(char) - 65
        total += _CF_ODD[value] if index % 2 == 0 else value
    return chr(65 + total % 26)


def fix_it_codice_fiscale(masked: str, original: str) -> str:
    if len(masked) != 16 or not masked.isalnum():
        return masked
    chars = list(masked.upper())
    if not all(c.isalpha() for c in chars[:6]) or not (chars[6] + chars[7] + chars[9] + chars[10]).isdigit():
        return masked  # (a code under omocodia, digits written as letters, keeps the plain substitution)
    chars[8] = CF_MONTHS[ord(chars[8]) % 12] if chars[8].isalpha() else CF_MONTHS[int(chars[8]) % 12]
    day = int(chars[9] + chars[10])
    woman = day > 40 or original[9:11].isdigit() and int(original[9:11]) > 40
    day = int(_day(str(day))) + (40 if woman else 0)
    chars[9], chars[10] = _two(day)
    chars[11] = chars[11] if chars[11].isalpha() else chr(65 + int(chars[11]))  # the comune: a letter, 3 digits
    if not "".join(chars[12:15]).isdigit():
        return masked
    chars[15] = cf_check_letter("".join(chars[:15]))
    return "".join(chars)


# ------------------------------------------------------------------------------------------ Germany
def steuer_check_digit(digits10: str) -> int:
    """ISO 7064 MOD 11,10."""
    product = 10
    for char in digits10:
        total = (int(char) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


def fix_de_steuer_id(masked: str, original: str) -> str:
    where = _positions(masked, str.isdigit)
    if len(where) != 11:
        return masked
    digits = "".join(masked[i] for i in where)
    # The first ten digits: a permutation of 0-9 ordered by a hash of the masked digits (no leading zero),
    # with one digit written twice in place of another, as the format requires.
    order = sorted("0123456789", key=lambda d: hashlib.sha256(f"{digits}|{d}".encode()).digest())
    if order[0] == "0":
        order[0], order[1] = order[1], order[0]
    repeat = 1 + int(digits[-1]) % 9
    order[9] = order[repeat] if repeat != 9 else order[8]
    first10 = "".join(order)
    return _replace_significant(masked, where, first10 + str(steuer_check_digit(first10)))


FIXES = {
    "se_personnummer": fix_se_personnummer,
    "fi_hetu": fix_fi_hetu,
    "fr_nir": fix_fr_nir,
    "es_dni": fix_es_dni,
    "it_codice_fiscale": fix_it_codice_fiscale,
    "de_steuer_id": fix_de_steuer_id,
}
