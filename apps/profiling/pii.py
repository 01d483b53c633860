"""PII findings per column, from the column's name and from its values, each with a confidence (0..1).

Values are checked on the profile's row sample: the share of non-null values that match a detector is its
value evidence; a matching column name adds to it. IBANs and card numbers count only when their check digits
are right (mod 97, Luhn), which keeps order numbers and phone numbers from passing as either. A finding
never carries a value, only the kind, the evidence and how the inferred spec generates the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
EMAIL_IN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{6,18}[0-9]$")
PHONE_IN = re.compile(r"(?<![0-9])\+?[0-9][0-9 ()./-]{7,16}[0-9](?![0-9])")
IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
CARD = re.compile(r"^[0-9][0-9 -]{11,21}[0-9]$")
US_SSN = re.compile(r"^(?!000|666|9)[0-9]{3}-?(?!00)[0-9]{2}-?(?!0000)[0-9]{4}$")
ADDRESS = re.compile(r"^\d{1,6}[A-Za-z]? [A-Za-z0-9 .'-]{2,60} (st|street|ave|avenue|rd|road|blvd|lane|ln|dr|drive|"
                     r"way|ct|court|pl|place|str|strasse|straße|gasse|weg|platz)\.?\b", re.IGNORECASE)
ADDRESS_EU = re.compile(r"^[A-Za-zÀ-ÿ .'-]{3,60}(strasse|straße|str\.|gasse|weg|platz|allee|rue|via|calle) ?\d{1,5}",
                        re.IGNORECASE)

# (kind, name regex, generator in the inferred spec)
NAME_HINTS = (
    ("email", re.compile(r"e-?mail"), {"type": "faker", "provider": "email"}),
    ("phone", re.compile(r"phone|mobile|\bcell|\btel\b|fax"), {"type": "faker", "provider": "phone_number"}),
    ("iban", re.compile(r"iban"), {"type": "iban"}),
    ("card", re.compile(r"card|\bpan\b|cc_?num"), {"type": "credit_card"}),
    ("national_id", re.compile(r"ssn|social_?sec|national_?id|passport|tax_?id|\bnin\b|\bsin\b"),
     {"type": "faker", "provider": "ssn"}),
    ("first_name", re.compile(r"first_?name|given_?name|forename|vorname"),
     {"type": "faker", "provider": "first_name"}),
    ("last_name", re.compile(r"last_?name|surname|family_?name|nachname"), {"type": "faker", "provider": "last_name"}),
    ("name", re.compile(r"(^|_)(full_?)?name$|customer_?name|person"), {"type": "faker", "provider": "name"}),
    ("address", re.compile(r"address|street|addr"), {"type": "faker", "provider": "street_address"}),
    ("city", re.compile(r"city|town"), {"type": "faker", "provider": "city"}),
    ("postcode", re.compile(r"zip|postcode|postal"), {"type": "faker", "provider": "postcode"}),
    ("birth_date", re.compile(r"birth|dob"), None),
    ("ip_address", re.compile(r"(^|_)ip(_|$)|ip_?addr"), {"type": "faker", "provider": "ipv4"}),
)
GENERATORS = {kind: generator for kind, _, generator in NAME_HINTS}
GENERATORS["free_text"] = {"type": "faker", "provider": "sentence"}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    text = text.replace(" ", "").upper()
    if not IBAN.match(text):
        return False
    moved = text[4:] + text[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _is_card(text: str) -> bool:
    if not CARD.match(text):
        return False
    digits = re.sub(r"[ -]", "", text)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def _first_names() -> frozenset[str]:
    from faker.providers.person.en_US import Provider

    names = set(Provider.first_names_male) | set(Provider.first_names_female)
    return frozenset(name.lower() for name in names)


_NAMES: frozenset[str] | None = None


def _name_words() -> frozenset[str]:
    global _NAMES
    if _NAMES is None:
        _NAMES = _first_names()
    return _NAMES


def _looks_like_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and any(
        w.lower().strip(".,") in _name_words() for w in words)


VALUE_DETECTORS = (
    ("email", lambda v: bool(EMAIL.match(v))),
    ("iban", iban_ok),
    ("card", _is_card),
    ("national_id", lambda v: bool(US_SSN.match(v)) and "-" in v),
    ("phone", lambda v: bool(PHONE.match(v)) and sum(c.isdigit() for c in v) >= 7 and not _is_card(v)),
    ("address", lambda v: bool(ADDRESS.match(v) or ADDRESS_EU.match(v))),
    ("name", _looks_like_name),
)


@dataclass
class Finding:
    kind: str
    confidence: float
    evidence: str  # "name", "values" or "name and values"
    share: float  # of sampled non-null values matching the kind

    def as_dict(self) -> dict:
        return {"kind": self.kind, "confidence": round(self.confidence, 3), "evidence": self.evidence,
                "matching_share": round(self.share, 4)}


def _name_kind(column: str) -> str | None:
    lowered = re.sub(r"[^a-z0-9]+", "_", column.lower())
    for kind, pattern, _ in NAME_HINTS:
        if pattern.search(lowered):
            return kind
    return None


def findings_for(column: str, kind: str, values: list[str]) -> list[Finding]:
    """PII findings of one column: `values` are the sampled non-null values as text (strings only)."""
    found: list[Finding] = []
    by_name = _name_kind(column)
    shares: dict[str, float] = {}
    texts = [v for v in values if isinstance(v, str)][:5000]
    if texts:
        for detector_kind, check in VALUE_DETECTORS:
            matched = sum(1 for v in texts if check(v.strip()))
            if matched:
                shares[detector_kind] = matched / len(texts)
        long_texts = [v for v in texts if len(v) > 40 and " " in v]
        if len(long_texts) > len(texts) / 2:
            hits = sum(1 for v in long_texts if EMAIL_IN.search(v) or PHONE_IN.search(v))
            if hits:
                shares["free_text"] = hits / len(long_texts)
    best_value = max(shares.items(), key=lambda item: item[1]) if shares else None
    if best_value and best_value[1] >= 0.5 or best_value and best_value[0] == "free_text":
        value_kind, share = best_value
        confidence = min(1.0, 0.35 + 0.6 * share + (0.1 if by_name == value_kind else 0))
        if value_kind == "name" and by_name in ("first_name", "last_name"):
            value_kind = by_name
        evidence = "name and values" if by_name in (value_kind, "name") or (
            by_name in ("first_name", "last_name") and value_kind in ("first_name", "last_name")) else "values"
        found.append(Finding(value_kind, confidence, evidence, share))
    elif by_name is not None:
        share = shares.get(by_name, 0.0)
        # A name alone is weaker evidence; numbers under a PII-looking name (an id) weaker still.
        confidence = 0.5 if kind == "string" else 0.3
        if by_name == "birth_date" and kind in ("date", "datetime"):
            confidence = 0.7
        found.append(Finding(by_name, confidence, "name", share))
    return found


def generator_for(kind: str) -> dict | None:
    """The spec the inferred document uses for a PII kind (a Faker provider or a check-digit type)."""
    generator = GENERATORS.get(kind)
    return dict(generator) if generator else None
