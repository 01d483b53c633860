"""`unique: true` holds across the whole table, however it is chunked, without coordination."""

import hashlib
import itertools
import re
import time

import numpy as np
import pytest

from apps.generation.engine import generate_chunk, parse_spec, plan
from apps.generation.engine.patterns import compile_pattern
from apps.generation.engine.randomness import permute

from .all_types import REFERENCE_TIME
from .helpers import column, doc_with


def _column_in_chunks(doc: dict, name: str, chunk_size: int) -> list:
    the_plan = plan(parse_spec(doc), reference_time=REFERENCE_TIME, chunk_size=chunk_size)
    values = []
    for chunk in the_plan.chunks:
        values.extend(generate_chunk(the_plan, chunk.table, chunk.start, chunk.stop).columns[name])
    return values


@pytest.mark.parametrize("domain", [1, 2, 3, 7, 64, 1000, 4099, 65_537])
def test_permutation_is_a_bijection(domain):
    image = permute(np.arange(domain), domain, 1234)
    assert sorted(image.tolist()) == list(range(domain))
    assert image.tolist() != list(range(domain)) or domain <= 2


def test_permutation_depends_on_the_key_and_handles_per_element_keys():
    a = permute(np.arange(100), 100, 1)
    b = permute(np.arange(100), 100, 2)
    assert a.tolist() != b.tolist()
    keys = np.repeat(np.arange(50, dtype=np.uint64), 10)
    image = permute(np.tile(np.arange(10), 50), 30, keys).reshape(50, 10)
    assert all(len(set(row)) == 10 for row in image.tolist())


def test_million_unique_emails_from_a_template_and_from_faker():
    started = time.perf_counter()
    doc = doc_with({
        "first_name": {"type": "faker", "provider": "first_name"},
        "last_name": {"type": "faker", "provider": "last_name"},
        "email": {"type": "template", "template": "{first_name}.{last_name}@example.com", "lower": True,
                  "unique": True},
        "faker_email": {"type": "faker", "provider": "email", "unique": True},
    }, rows=1_000_000)
    the_plan = plan(parse_spec(doc), reference_time=REFERENCE_TIME, chunk_size=250_000)
    template_emails: set[str] = set()
    faker_emails: set[str] = set()
    for chunk in the_plan.chunks:
        batch = generate_chunk(the_plan, "t", chunk.start, chunk.stop)
        template_emails.update(batch.columns["email"])
        faker_emails.update(batch.columns["faker_email"])
        if chunk.start == 0:
            sample = batch.columns["email"][:50]
            names = list(zip(batch.columns["first_name"][:50], batch.columns["last_name"][:50], strict=True))
    assert len(template_emails) == 1_000_000
    assert len(faker_emails) == 1_000_000
    for email, (first, last) in zip(sample, names, strict=True):
        # The tag goes right before the '@': the address still reads as the person's name.
        assert re.fullmatch(re.escape(f"{first}.{last}".lower()) + r"[0-9a-z]{4}@example\.com", email)
    assert all(e.count("@") == 1 for e in list(faker_emails)[:1000])
    assert time.perf_counter() - started < 60


def test_unique_bulk_faker_within_its_domain_uses_plain_values():
    values = _column_in_chunks(doc_with({"c": {"type": "faker", "provider": "first_name", "unique": True}},
                                        rows=600), "c", 37)
    assert len(set(values)) == 600
    assert all(re.fullmatch(r"[A-Z][a-z]+", v) for v in values)


UNIQUE_SPECS = [
    ({"type": "integer", "min": 10, "max": 509}, 500),
    ({"type": "float", "min": 0, "max": 4.99, "precision": 2}, 500),
    ({"type": "choice", "values": ["a", "b", "c", "d"]}, 4),
    ({"type": "boolean"}, 2),
    ({"type": "string", "pattern": "[A-C]\\d{2}"}, 300),
    ({"type": "string", "length": {"min": 1, "max": 3}, "alphabet": "ab"}, 14),
    ({"type": "string", "length": {"min": 10, "max": 12}}, 5000),
    ({"type": "date", "start": "2024-01-01", "end": "2024-12-31"}, 366),
    ({"type": "datetime", "start": "2024-01-01T00:00:00Z", "end": "2024-01-01T00:16:39Z"}, 1000),
    ({"type": "time", "start": "23:59:00", "end": "00:00:59"}, 120),
    ({"type": "uuid"}, 5000),
    ({"type": "sequence", "start": 5, "step": 3}, 5000),
    ({"type": "template", "template": "user"}, 5000),
    ({"type": "faker", "provider": "bothify", "args": {"text": "??"}}, 5000),
    ({"type": "series_time", "start": "2024-01-01T00:00:00Z", "step": "1m"}, 500),
    ({"type": "constant", "value": "only"}, 1),
]


@pytest.mark.parametrize(("spec", "rows"), UNIQUE_SPECS, ids=[s["type"] + str(i) for i, (s, _) in
                                                               enumerate(UNIQUE_SPECS)])
def test_unique_columns_hold_across_chunks(spec, rows):
    doc = doc_with({"c": {**spec, "unique": True}}, rows=rows)
    values = _column_in_chunks(doc, "c", 7)
    assert len(values) == rows and len(set(values)) == rows
    assert values == column(doc, "c")  # and the same values as in one chunk


def test_full_domain_is_a_permutation_not_the_identity():
    values = column(doc_with({"c": {"type": "integer", "min": 0, "max": 99, "unique": True}}, rows=100), "c")
    assert sorted(values) == list(range(100)) and values != list(range(100))


def test_unique_with_nulls_keeps_non_null_values_distinct():
    values = column(doc_with({"c": {"type": "integer", "min": 0, "max": 999, "unique": True, "null_ratio": 0.3}},
                             rows=1000), "c")
    present = [v for v in values if v is not None]
    assert 200 < values.count(None) < 400 and len(set(present)) == len(present)


def test_unique_domain_checked_again_with_rows_scale():
    spec = parse_spec(doc_with({"c": {"type": "integer", "min": 1, "max": 100, "unique": True}}, rows=80))
    from apps.generation.engine import SpecError

    with pytest.raises(SpecError) as caught:
        plan(spec, rows_scale=2)
    assert [str(p) for p in caught.value.problems] == [
        "tables.t.columns.c: unique column can hold only 100 distinct values but the table has up to 160 rows"]


def test_unique_values_above_the_permutation_cap_spread_over_the_whole_domain():
    doc = doc_with({"c": {"type": "string", "pattern": "[0-9a-f]{64}", "unique": True}}, rows=2000)
    values = column(doc, "c")
    assert len(values) == 2000 and len(set(values)) == 2000
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in values)
    # Not just the first 2**62 values of the domain (which all start with 48 zeros): every leading
    # digit shows up, about 125 times each.
    counts = {digit: sum(v[0] == digit for v in values) for digit in "0123456789abcdef"}
    assert all(60 <= count <= 190 for count in counts.values()), counts
    for chunk_size in (1, 7, 2000):
        assert _column_in_chunks(doc, "c", chunk_size) == values


@pytest.mark.parametrize("spec", [
    {"type": "string", "pattern": "[0-9A-F]{20}"},
    {"type": "string", "length": {"min": 10, "max": 12}},
    {"type": "integer", "min": -2**62, "max": 2**62},
    {"type": "faker", "provider": "address"},
])
def test_other_domains_above_the_cap_are_spread_and_unique(spec):
    doc = doc_with({"c": {**spec, "unique": True}}, rows=400)
    values = _column_in_chunks(doc, "c", 7)
    assert len(set(values)) == 400 and values == column(doc, "c")
    if spec["type"] == "integer":
        assert min(values) < -2**61 and max(values) > 2**61
    elif spec.get("pattern"):
        assert len({v[0] for v in values}) == 16
    elif spec["type"] == "string":
        # Strings are numbered shortest first: spread over the domain, most are 12 long.
        assert sum(len(v) == 12 for v in values) > 350


# Domains far above the permutation cap: a numbered prefix and a sampled tail, no big-number arithmetic.
LONG_UNIQUE_SPECS = {
    "length_0_10000": ({"type": "string", "length": {"min": 0, "max": 10000}}, r"[A-Za-z0-9]{0,10000}"),
    "pattern_1000": ({"type": "string", "pattern": "[a-z]{1000}"}, r"[a-z]{1000}"),
    "alphabet_1000": ({"type": "string", "length": {"min": 1000, "max": 1000}, "alphabet": "abcdefghij"},
                      r"[a-j]{1000}"),
}


def _digests(values: list) -> list[bytes]:
    return [hashlib.blake2b(v.encode(), digest_size=16).digest() for v in values]


def _chunked_digests(doc: dict, chunk_size: int) -> tuple[list[bytes], list, list]:
    the_plan = plan(parse_spec(doc), reference_time=REFERENCE_TIME, chunk_size=chunk_size)
    digests: list[bytes] = []
    samples: list = []
    for chunk in the_plan.chunks:
        values = generate_chunk(the_plan, chunk.table, chunk.start, chunk.stop).columns["c"]
        digests.extend(_digests(values))
        samples.extend((v[:1], len(v)) for v in values)
        if chunk.start == 0:
            first = values[:20]
    return digests, samples, first


@pytest.mark.parametrize("name", list(LONG_UNIQUE_SPECS))
def test_long_unique_strings_are_fast_unique_and_chunking_independent(name):
    spec, regex = LONG_UNIQUE_SPECS[name]
    doc = doc_with({"c": {**spec, "unique": True}}, rows=32_768)  # two blocks
    whole, samples, first = _chunked_digests(doc, 32_768)
    assert len(set(whole)) == 32_768
    assert all(re.fullmatch(regex, v) for v in first)
    # Spread over the domain: the first character takes every value of the alphabet.
    alphabet_size = len(spec.get("alphabet", "x" * 62)) if "pattern" not in spec else 26
    assert len({head for head, _ in samples}) == alphabet_size
    if name == "length_0_10000":
        # Weighted like the domain: nearly every value has the longest length.
        assert sum(length == 10000 for _, length in samples) > 30_000
    chunked, _, _ = _chunked_digests(doc, 7)
    assert chunked == whole


@pytest.mark.parametrize("spec", [
    {"type": "string", "pattern": "(x|[a-z]{2,40})(-\\d{1,30})?"},
    {"type": "string", "pattern": "[0-9]{1,30}"},
    {"type": "string", "pattern": "(ab|a)b?[A-Z]{20}(c|de){0,3}"},
    {"type": "string", "length": {"min": 0, "max": 30}, "alphabet": "ab"},
    {"type": "string", "length": {"min": 5, "max": 200}, "alphabet": "αβγδε"},
])
def test_unique_strings_above_the_cap_hold_across_chunks(spec):
    doc = doc_with({"c": {**spec, "unique": True}}, rows=3000)
    values = _column_in_chunks(doc, "c", 7)
    assert len(set(values)) == 3000 and values == column(doc, "c")
    if spec.get("pattern"):
        assert all(re.fullmatch(spec["pattern"], v) for v in values)
    else:
        low, high = spec["length"]["min"], spec["length"]["max"]
        assert all(low <= len(v) <= high and set(v) <= set(spec["alphabet"]) for v in values)
    if spec.get("pattern") == "[0-9]{1,30}":
        assert sum(len(v) >= 28 for v in values) > 2900  # weighted like the language: mostly long


def test_unique_long_string_items_of_arrays():
    doc = doc_with({"c": {"type": "array", "min_length": 5, "max_length": 20, "unique_items": True,
                          "of": {"type": "string", "length": {"min": 50, "max": 3000}}}}, rows=300)
    values = _column_in_chunks(doc, "c", 7)
    assert values == column(doc, "c")
    assert all(len(set(items)) == len(items) and all(50 <= len(v) <= 3000 for v in items) for items in values)


@pytest.mark.parametrize("with_short", [False, True])
def test_pattern_prefix_numbering_is_injective(with_short):
    pattern = compile_pattern("[ab]{0,6}(c|dd)?")
    language = {"".join(p) + end for n in range(7) for p in itertools.product("ab", repeat=n)
                for end in ("", "c", "dd")}
    size = pattern.prefix_domain(3, with_short)
    assert size == len({v[:3] for v in language if len(v) >= 3}) + with_short * sum(len(v) < 3 for v in language)
    values = pattern.unique_strings(np.arange(size), 3, with_short, np.random.default_rng(0))
    assert len(set(values)) == size
    assert all(re.fullmatch("[ab]{0,6}(c|dd)?", v) for v in values)
    assert all(len(v) >= 3 for v in values) or with_short
