import itertools
import re

import numpy as np
import pytest

from apps.generation.engine.patterns import PatternError, compile_pattern

SIZES = [
    (r"[A-Z]{3}-\d{4}", 26**3 * 10**4),
    (r"(ORD|INV)-\d{2,4}", 2 * (10**2 + 10**3 + 10**4)),
    (r"[A-F0-9]{2}(:[A-F0-9]{2}){2}", 16**6),
    (r"\w{2}", 63**2),
    (r"a?", 2),
    (r"", 1),
    (r"[a-c_.]\.\-\(", 5),
    (r"(?:SKU|ITEM)_[0-9]{3}", 2000),
    (r"\d{1,3}\d{2}", 10**3 + 10**4 + 10**5),  # lengths 3-5, each spelled several ways
    (r"[A-Z]{2}\d{2} ?[A-Z0-9]{4}", 26**2 * 100 * 2 * 36**4),
    (r"\w{30}", 63**30),  # beyond int64
]


@pytest.mark.parametrize(("pattern", "size"), SIZES)
def test_domain_size_counts_distinct_strings(pattern, size):
    assert compile_pattern(pattern).domain_size == size


def brute_force(pattern: str, alphabet: str, max_length: int) -> set[str]:
    found = set()
    for length in range(max_length + 1):
        for chars in itertools.product(alphabet, repeat=length):
            text = "".join(chars)
            if re.fullmatch(pattern, text):
                found.add(text)
    return found


@pytest.mark.parametrize(
    ("pattern", "alphabet", "max_length"),
    [
        (r"(ab|a)b?", "ab", 4),
        (r"(a|a)", "a", 2),
        (r"[ab]{0,2}(a|b|)", "ab", 4),
        (r"(a|(b|c){1,2})x", "abcx", 4),
        (r"(a|ab)(c|bc)", "abc", 4),
        (r"((a|b)?c){1,2}", "abc", 5),
        (r"(0|1){2}(0|1|01)?", "01", 5),
    ],
)
def test_overlapping_alternatives_give_exact_size_and_a_bijection(pattern, alphabet, max_length):
    compiled = compile_pattern(pattern)
    language = brute_force(pattern, alphabet, max_length)
    assert compiled.domain_size == len(language)
    assert set(compiled.nth(np.arange(compiled.domain_size))) == language


@pytest.mark.parametrize("pattern", [p for p, _ in SIZES])
def test_nth_is_injective_and_in_language(pattern):
    compiled = compile_pattern(pattern)
    size = compiled.domain_size
    if size <= 5000:
        indices = np.arange(size)
    else:
        rng = np.random.default_rng(7)
        indices = np.unique(np.concatenate([np.arange(200), rng.integers(0, min(size, 2**62), 3000)]))
    values = compiled.nth(indices)
    assert len(values) == len(indices)
    assert len(set(values)) == len(indices)
    assert all(re.fullmatch(pattern, v) for v in values)


def test_nth_reaches_the_last_index_of_a_huge_domain():
    compiled = compile_pattern(r"\w{30}")
    last = compiled.domain_size - 1
    values = compiled.nth(np.array([0, 2**70, last], dtype=object))
    assert values[0] == "0" * 30
    assert values[2] == "z" * 30
    assert len(set(values)) == 3
    with pytest.raises(ValueError):
        compiled.nth([compiled.domain_size])


def test_nth_rejects_out_of_range_indices():
    compiled = compile_pattern(r"[AB]\d")
    with pytest.raises(ValueError):
        compiled.nth([20])
    with pytest.raises(ValueError):
        compiled.nth([-1])


@pytest.mark.parametrize(
    "pattern",
    [p for p, _ in SIZES] + [r"[A-Z]{2,5}", r"(x\d{1,2}){1,3}", r"(a|bb|(c|d){2})?-[0-9]?"],
)
def test_samples_match_the_pattern(pattern):
    values = compile_pattern(pattern).sample(np.random.default_rng(3), 2000)
    assert len(values) == 2000
    assert all(isinstance(v, str) and re.fullmatch(pattern, v) for v in values)


def test_sampling_covers_variable_lengths_and_alternatives():
    values = set(compile_pattern(r"(A|B)[0-9]{1,3}").sample(np.random.default_rng(1), 5000))
    assert {v[0] for v in values} == {"A", "B"}
    assert {len(v) for v in values} == {2, 3, 4}


def test_sampling_is_deterministic_for_a_seed():
    compiled = compile_pattern(r"(ORD|INV)-[A-Z]{2}\d{2,6}")
    first = compiled.sample(np.random.default_rng(42), 500)
    again = compiled.sample(np.random.default_rng(42), 500)
    other = compiled.sample(np.random.default_rng(43), 500)
    assert first == again
    assert first != other


@pytest.mark.parametrize(
    ("pattern", "position", "fragment"),
    [
        ("[A-Z", 0, "unbalanced '['"),
        ("ab)", 2, "unbalanced ')'"),
        ("(ab", 0, "unbalanced '('"),
        ("a(b|(c)", 1, "unbalanced '('"),
        ("a{3,1}", 1, "minimum is greater than maximum"),
        ("a{x}", 1, "bad quantifier"),
        ("a{2", 1, "bad quantifier"),
        ("a{2,}", 1, "bad quantifier"),
        ("a*", 1, "'*' is not supported"),
        ("a+", 1, "'+' is not supported"),
        ("?a", 0, "nothing to repeat"),
        ("a{2}{3}", 4, "cannot follow another quantifier"),
        ("a??", 2, "cannot follow another quantifier"),
        ("[z-a]", 1, "bad range"),
        ("[]", 0, "empty class"),
        ("[^a]", 1, "negated"),
        ("a.b", 1, "'.' is not supported"),
        ("^a", 0, "anchor"),
        ("\\q", 0, "escape"),
        ("ab\\", 2, "lone backslash"),
        ("a{2000}", 1, "limit"),
    ],
)
def test_bad_patterns_are_rejected_with_the_position(pattern, position, fragment):
    with pytest.raises(PatternError) as caught:
        compile_pattern(pattern)
    assert caught.value.position == position
    assert fragment in str(caught.value)
    assert f"position {position}" in str(caught.value)
