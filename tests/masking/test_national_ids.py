"""National ids under `format_preserving`: masked values are valid numbers of their country (checked here
with validators written independently of the masking code, from the published rules), keep their layout,
are deterministic per key and never the original."""

from __future__ import annotations

import datetime
import random

import pytest

from apps.masking.engine import MaskingRun, RulesError, parse_rules

from . import data


# ------------------------------------------------------------------ independent validators (published rules)
def luhn_valid(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def se_valid(text: str) -> bool:
    digits = "".join(c for c in text if c.isdigit())[-10:]
    if len(digits) != 10:
        return False
    month, day = int(digits[2:4]), int(digits[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31 and luhn_valid(digits)


def fi_valid(text: str) -> bool:
    if len(text) != 11 or text[6] not in "+-ABCDEFUVWXY":
        return False
    number = text[:6] + text[7:10]
    day, month, individual = int(text[:2]), int(text[2:4]), int(text[7:10])
    return (
        number.isdigit()
        and 1 <= day <= 31
        and 1 <= month <= 12
        and 2 <= individual <= 899
        and "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(number) % 31] == text[10]
    )


def fr_valid(text: str) -> bool:
    compact = text.replace(" ", "")
    if len(compact) != 15 or compact[0] not in "12" or not 1 <= int(compact[3:5]) <= 12:
        return False
    body = compact[:13].replace("2A", "19").replace("2B", "18")
    return body.isdigit() and int(compact[13:]) == 97 - int(body) % 97


def es_valid(text: str) -> bool:
    number = {"X": "0", "Y": "1", "Z": "2"}.get(text[0], text[0]) + text[1:8]
    return len(text) == 9 and number.isdigit() and "TRWAGMYFPDXBNJZSQVHLCKE"[int(number) % 23] == text[8]


_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21]
        + [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23],
        strict=True,
    )
)
_EVEN = {c: (int(c) if c.isdigit() else ord(c) - 65) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def it_valid(text: str) -> bool:
    if len(text) != 16 or not text[:6].isalpha() or text[8] not in "ABCDEHLMPRST":
        return False
    day = int(text[9:11])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    total = sum(_ODD[c] if i % 2 == 0 else _EVEN[c] for i, c in enumerate(text[:15]))
    return chr(65 + total % 26) == text[15]


def de_valid(text: str) -> bool:
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) != 11 or digits[0] == "0":
        return False
    counts = sorted((digits[:10].count(d) for d in "0123456789"), reverse=True)
    if counts[0] not in (2, 3) or counts[1] > 1:
        return False
    product = 10
    for c in digits[:10]:
        s = (int(c) + product) % 10 or 10
        product = s * 2 % 11
    return (11 - product) % 10 == int(digits[10])


# ------------------------------------------------------------------ originals made valid by the same rules
def originals(fmt: str, n: int = 150) -> list[str]:
    rng = random.Random(7)
    out = []
    while len(out) < n:
        born = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(25_000))
        if fmt == "se_personnummer":
            core = born.strftime("%y%m%d") + f"{rng.randrange(1000):03d}"
            check = next(str(d) for d in range(10) if luhn_valid(core + str(d)))
            value = f"{core[:6]}-{core[6:]}{check}" if len(out) % 2 else f"{born.year // 100}{core}{check}"
        elif fmt == "fi_hetu":
            body = born.strftime("%d%m%y") + f"{rng.randrange(2, 900):03d}"
            value = (
                body[:6]
                + ("-" if born.year < 2000 else "A")
                + body[6:]
                + "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(body) % 31]
            )
        elif fmt == "fr_nir":
            dept = rng.choice(["75", "13", "2A", "2B", "69"])
            body = f"{rng.randrange(1, 3)}{born:%y%m}{dept}{rng.randrange(1, 1000):03d}{rng.randrange(1, 1000):03d}"
            key = 97 - int(body.replace("2A", "19").replace("2B", "18")) % 97
            value = f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key:02d}"
        elif fmt == "es_dni":
            prefix = rng.choice(["", "", "X", "Y", "Z"])
            digits = f"{rng.randrange(10**7):07d}" if prefix else f"{rng.randrange(10**8):08d}"
            number = {"X": "0", "Y": "1", "Z": "2"}.get(prefix, "") + digits
            value = prefix + digits + "TRWAGMYFPDXBNJZSQVHLCKE"[int(number) % 23]
        elif fmt == "it_codice_fiscale":
            letters = "".join(rng.choice("BCDFGLMNPRSTVZ") for _ in range(6))
            day = born.day + (40 if rng.random() < 0.5 else 0)
            body = (
                f"{letters}{born:%y}{'ABCDEHLMPRST'[born.month - 1]}{day:02d}{rng.choice('ABFHLZ')}"
                f"{rng.randrange(1000):03d}"
            )
            value = next(body + c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if it_valid(body + c))
        else:  # de_steuer_id
            digits = rng.sample("0123456789", 10)
            if digits[0] == "0":
                digits[0], digits[1] = digits[1], digits[0]
            digits[9] = digits[rng.randrange(1, 9)]
            body = "".join(digits)
            value = next(body + str(d) for d in range(10) if de_valid(body + str(d)))
        out.append(value)
    return out


VALIDATORS = {
    "se_personnummer": se_valid,
    "fi_hetu": fi_valid,
    "fr_nir": fr_valid,
    "es_dni": es_valid,
    "it_codice_fiscale": it_valid,
    "de_steuer_id": de_valid,
}


def mask(fmt: str, values: list[str], key: bytes = data.KEY) -> list[str]:
    rules = parse_rules(f"tables: {{t: {{columns: {{v: {{rule: format_preserving, format: {fmt}}}}}}}}}")
    return MaskingRun(rules, key).table("t", ["v"]).mask({"v": values})["v"]


@pytest.mark.parametrize("fmt", sorted(VALIDATORS))
def test_masked_national_ids_are_valid_and_keep_their_layout(fmt):
    valid = VALIDATORS[fmt]
    values = originals(fmt)
    assert all(valid(v) for v in values)  # the originals themselves pass the validator
    masked = mask(fmt, values)
    assert all(valid(m) for m in masked), [m for m in masked if not valid(m)][:3]
    for original, out in zip(values, masked, strict=True):
        assert len(out) == len(original)
        assert [c.isdigit() or c.isalpha() for c in out] == [c.isdigit() or c.isalpha() for c in original]
        assert [c for c in out if not c.isalnum()] == [c for c in original if not c.isalnum()]
    assert not set(masked) & set(values)
    assert len(set(masked)) > 0.9 * len(set(values))


@pytest.mark.parametrize("fmt", sorted(VALIDATORS))
def test_national_ids_are_deterministic_per_key(fmt):
    values = originals(fmt, 40)
    assert mask(fmt, values) == mask(fmt, values) == mask(fmt, list(reversed(values)))[::-1]
    other = mask(fmt, values, data.OTHER_KEY)
    assert sum(a != b for a, b in zip(mask(fmt, values), other, strict=True)) >= 36


def test_format_specific_parts_are_kept():
    # Finland's century sign, Spain's NIE letter, Corsica's department letter, Italian women's days.
    assert all(m[6] == o[6] for o, m in zip(originals("fi_hetu"), mask("fi_hetu", originals("fi_hetu")), strict=True))
    nie = [v for v in originals("es_dni") if v[0] in "XYZ"]
    assert nie and all(m[0] == o[0] for o, m in zip(nie, mask("es_dni", nie), strict=True))
    corsica = [v for v in originals("fr_nir") if " 2A " in v or " 2B " in v]
    assert corsica and all(m.split(" ")[3] in ("2A", "2B") for m in mask("fr_nir", corsica))
    women = [v for v in originals("it_codice_fiscale") if int(v[9:11]) > 40]
    assert women and all(int(m[9:11]) > 40 for m in mask("it_codice_fiscale", women))


def test_a_value_of_another_layout_is_masked_as_plain_characters():
    masked = mask("se_personnummer", ["12-34"])[0]
    assert len(masked) == 5 and masked[2] == "-" and masked != "12-34"


def test_an_unknown_national_format_is_refused_with_its_path():
    with pytest.raises(RulesError) as caught:
        parse_rules("tables: {t: {columns: {v: {rule: format_preserving, format: us_ssn}}}}")
    assert [p.path for p in caught.value.problems] == ["tables.t.columns.v.format"]
