"""`redact_text`: personal data found inside free text is replaced in place, the rest of the text kept.

Emails, phone numbers, card numbers (only when their Luhn digit is right) and IBANs (only when mod 97 holds)
are found by pattern; each is replaced by its format-preserving mask, so the same email in two notes gets the
same replacement and a masked card in a note is still a valid card number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import formats, keyed

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
PHONE = re.compile(r"(?<![0-9A-Za-z])\+?[0-9][0-9 ()./-]{6,18}[0-9](?![0-9])")

# Most specific first: an IBAN or a card number must not be taken for a phone number.
_ORDER = ("email", "iban", "card", "phone")
_PATTERNS = {"email": EMAIL, "iban": IBAN, "card": CARD, "phone": PHONE}
_FORMATS = {"email": "plain", "iban": "iban", "card": "card", "phone": "plain"}


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in moved)) % 97 == 1


def _format(kind: str, found: str) -> str:
    """A card or IBAN whose check fails is still masked, as plain characters (its check cannot be kept)."""
    if kind == "card" and not luhn_ok(re.sub(r"[ -]", "", found)):
        return "plain"
    if kind == "iban" and not iban_ok(found):
        return "plain"
    return _FORMATS[kind]


def redact(values: Sequence[str], key: bytes, kinds: Sequence[str]) -> list[str]:
    """One pass per text over every enabled kind at once, so no replacement is masked a second time."""
    enabled = [kind for kind in _ORDER if kind in kinds]
    if not enabled:
        return list(values)
    pattern = re.compile("|".join(f"(?P<{kind}>{_PATTERNS[kind].pattern})" for kind in enabled))
    keys = {kind: keyed.sub_key(key, f"redact:{kind}") for kind in enabled}

    def replace(match: re.Match) -> str:
        kind = match.lastgroup
        found = match.group(0)
        fmt = _format(kind, found)
        return formats.mask_strings([found], keyed.sub_key(keys[kind], fmt), fmt)[0]

    return [pattern.sub(replace, text) for text in values]
