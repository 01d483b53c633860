"""A small customers/orders source with real-looking PII, and validators of the formats masks must keep."""

from __future__ import annotations

import datetime
import re

import numpy as np

from apps.generation.engine import domain

KEY = b"test-masking-key-0123456789abcdef"
OTHER_KEY = b"another-masking-key-0123456789xyz"

RULES = """
version: "1"
locale: en_US
tables:
  customers:
    columns:
      id: {type: integer, rule: format_preserving}
      name: {rule: fake, provider: name}
      email: {rule: derive, template: "{name}@example.com", slug: true, unique: true}
      phone: {rule: format_preserving}
      iban: {rule: format_preserving, format: iban}
      card: {rule: format_preserving, format: card}
      vin: {rule: format_preserving, format: vin}
      bsn: {rule: format_preserving, format: nl_bsn, unique: true}
      born: {type: date, rule: shift_date, days: 60, entity: id}
      note: {rule: redact_text}
      salary: {type: integer, rule: generalise, bin: 1000}
      code: {rule: hash, length: 12, unique: true}
  orders:
    columns:
      id: {type: integer, rule: keep}
      customer_id: {type: integer, references: customers.id}
      placed: {type: date, rule: shift_date, days: 60, entity: customer_id}
      amount: {type: float, rule: keep}
"""

FIRST = ["Jan", "Piet", "Marieke", "Sophie", "Daan", "Lotte", "Bram", "Eva", "Joris", "Anouk"]
LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer", "Dekker", "Brouwer"]


def _bsn(rng, n):
    out = []
    while len(out) < n:
        digits = rng.integers(0, 10, 9)
        digits[0] = max(digits[0], 1)
        if (digits[:8] @ np.arange(9, 1, -1) - digits[8]) % 11 == 0:
            out.append("".join(map(str, digits)))
    return out


def customers(n: int = 200, seed: int = 7) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    names = [f"{FIRST[i % 10]} {LAST[(i // 10) % 10]}{'' if i < 100 else ' ' + str(i)}" for i in range(n)]
    ibans = domain.iban(rng, n, "NL")
    cards = domain.credit_card(rng, n, "visa")
    emails = [f"{name.lower().replace(' ', '.')}@mail{i % 3}.nl" for i, name in enumerate(names)]
    phones = [f"+31 6 {rng.integers(10_000_000, 99_999_999)}" for _ in range(n)]
    return {
        "id": [str(1000 + i) for i in range(n)],
        "name": names,
        "email": emails,
        "phone": phones,
        "iban": [f"{x[:4]} {x[4:8]} {x[8:12]} {x[12:16]} {x[16:]}" if i % 2 else x for i, x in enumerate(ibans)],
        "card": [f"{c[:4]} {c[4:8]} {c[8:12]} {c[12:]}" if i % 3 == 0 else c for i, c in enumerate(cards)],
        "vin": domain.vin(rng, n),
        "bsn": _bsn(rng, n),
        "born": [(datetime.date(1950, 1, 1) + datetime.timedelta(days=int(d))).isoformat()
                 for d in rng.integers(0, 20_000, n)],
        "note": [f"Called {phones[i]}, wrote to {emails[i]}; refund to {ibans[i]}" for i in range(n)],
        "salary": [str(int(s)) for s in rng.integers(20_000, 90_000, n)],
        "code": [f"C-{i:05d}" for i in range(n)],
    }


def orders(customer_ids: list[str], n: int = 500, seed: int = 8) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(customer_ids), n)
    return {
        "id": [str(i + 1) for i in range(n)],
        "customer_id": [customer_ids[p] for p in picks],
        "placed": [(datetime.date(2024, 1, 1) + datetime.timedelta(days=int(d))).isoformat()
                   for d in rng.integers(0, 365, n)],
        "amount": [f"{a:.2f}" for a in rng.uniform(1, 500, n)],
    }


def luhn_ok(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


_VIN_VALUES = dict(zip("0123456789ABCDEFGHJKLMNPRSTUVWXYZ",
                       [*range(10), 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9], strict=True))
_VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def vin_ok(vin: str) -> bool:
    if len(vin) != 17 or any(c in "IOQ" for c in vin):
        return False
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return vin[8] == ("X" if remainder == 10 else str(remainder))


def bsn_ok(bsn: str) -> bool:
    return len(bsn) == 9 and (sum(int(d) * w for d, w in zip(bsn[:8], range(9, 1, -1), strict=True))
                              - int(bsn[8])) % 11 == 0


def pii_values(table: dict[str, list], columns=("name", "email", "phone", "iban", "card", "vin", "bsn")) -> set[str]:
    """The originals that must not appear anywhere after masking (compact forms too)."""
    found = set()
    for column in columns:
        for value in table[column]:
            found.add(value)
            if column in ("iban", "card", "phone"):
                found.add(re.sub(r"[ ]", "", value))
    return found
