import re
from collections import Counter, OrderedDict

import numpy as np
import pytest
from faker import Faker

from apps.generation.engine.faker_bulk import BULK_PROVIDERS, bulk_sampler

from .helpers import column, doc_with, problem_strings

LOCALES = ["en_US", "de_DE", "fr_FR", "ja_JP", "nl_NL"]
REQUIRED = [
    "first_name", "last_name", "name", "first_name_male", "first_name_female", "email", "safe_email",
    "free_email", "user_name", "phone_number", "street_address", "street_name", "building_number", "address",
    "city", "postcode", "zipcode", "state", "country", "country_code", "company", "job", "word", "color_name",
    "domain_name",
]  # fmt: skip
EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")


def faker_person(locale: str):
    return Faker(locale).factories[0].provider("faker.providers.person")


def test_required_providers_are_listed():
    assert set(REQUIRED) <= BULK_PROVIDERS


@pytest.mark.parametrize("provider", REQUIRED)
def test_en_us_answers_every_required_provider(provider):
    sampler = bulk_sampler(provider, "en_US", {})
    assert sampler is not None
    values = sampler.sample(np.random.default_rng(1), 300)
    assert len(values) == 300
    assert all(isinstance(v, str) and v for v in values)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("provider", sorted(BULK_PROVIDERS))
def test_every_provider_is_answered_in_bulk_served_by_faker_or_refused(locale, provider):
    sampler = bulk_sampler(provider, locale, {})
    if sampler is None:
        document = doc_with({"v": {"type": "faker", "provider": provider}}, rows=40)
        document["locale"] = locale
        if not hasattr(Faker(locale), provider):
            # The locale has no such provider: the document is refused, naming the column and locale.
            assert problem_strings(document) == [
                f"tables.t.columns.v.provider: unknown Faker provider {provider!r} for locale {locale}"]
            return
        # Left to Faker row by row: the column still gets values, the same ones in any chunking.
        values = column(document, "v")
        assert len(values) == 40 and all(isinstance(v, str) and v for v in values)
        assert column(document, "v", chunk_size=7) == values
        assert len(set(values)) > 1
        return
    values = sampler.sample(np.random.default_rng(5), 257)
    assert len(values) == 257
    assert all(isinstance(v, str) for v in values)
    assert values == sampler.sample(np.random.default_rng(5), 257)


@pytest.mark.parametrize("locale", LOCALES)
def test_first_and_last_names_come_from_the_locale_lists(locale):
    person = faker_person(locale)
    first = bulk_sampler("first_name", locale, {}).sample(np.random.default_rng(2), 2000)
    last = bulk_sampler("last_name", locale, {}).sample(np.random.default_rng(2), 2000)
    if locale == "ja_JP":  # ja_JP keeps names as (kanji, kana, romaji) pairs
        assert set(first) <= {pair[0] for pair in person.first_name_pairs}
        assert set(last) <= {pair[0] for pair in person.last_name_pairs}
    else:
        assert set(first) <= set(person.first_names)
        assert set(last) <= set(person.last_names)
    assert len(set(first)) > 20


def test_weighted_locale_lists_keep_their_weights():
    names = faker_person("en_US").first_names
    assert isinstance(names, OrderedDict)
    drawn = Counter(bulk_sampler("first_name", "en_US", {}).sample(np.random.default_rng(0), 200_000))
    total = sum(names.values())
    for name in ("Michael", "Jennifer", "David"):
        expected = names[name] / total
        assert drawn[name] / 200_000 == pytest.approx(expected, rel=0.15)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("provider", ["email", "safe_email", "free_email", "company_email"])
def test_emails_look_like_emails(locale, provider):
    sampler = bulk_sampler(provider, locale, {})
    assert sampler is not None
    values = sampler.sample(np.random.default_rng(3), 1000)
    assert all(EMAIL.fullmatch(v) for v in values), [v for v in values if not EMAIL.fullmatch(v)][:5]


def test_free_email_domains_are_the_locale_ones():
    internet = Faker("de_DE").factories[0].provider("faker.providers.internet")
    values = bulk_sampler("free_email", "de_DE", {}).sample(np.random.default_rng(3), 1000)
    assert {v.split("@")[1] for v in values} <= set(internet.free_email_domains)


@pytest.mark.parametrize("locale", LOCALES)
def test_phone_numbers_contain_digits_and_follow_locale_formats(locale):
    values = bulk_sampler("phone_number", locale, {}).sample(np.random.default_rng(4), 1000)
    assert all(sum(c.isdigit() for c in v) >= 6 for v in values)
    assert not any(c in v for v in values for c in "#%$!@")
    faker = Faker(locale)
    faker.seed_instance(0)
    real = [faker.phone_number() for _ in range(1000)]
    # Same shapes: the characters other than digits come from the locale's formats.
    def skeleton(v):
        return {c for c in v if not c.isdigit()}
    assert set().union(*map(skeleton, values)) <= set().union(*map(skeleton, real)) | set("x+() -./")


def test_values_resemble_faker_output_for_several_locales():
    assert all(
        re.fullmatch(r"\d{3}-\d{4}", v)
        for v in bulk_sampler("postcode", "ja_JP", {}).sample(np.random.default_rng(0), 200)
    )
    assert all(
        re.fullmatch(r"\d{4} ?[A-Z]{2}", v)
        for v in bulk_sampler("postcode", "nl_NL", {}).sample(np.random.default_rng(0), 200)
    )
    assert all(
        re.fullmatch(r"\d{5}", v) for v in bulk_sampler("postcode", "de_DE", {}).sample(np.random.default_rng(0), 200)
    )
    streets = bulk_sampler("street_address", "fr_FR", {}).sample(np.random.default_rng(0), 200)
    assert all(re.match(r"([1-9]\d{0,2}, )?(rue|avenue|boulevard|chemin) \w", v) for v in streets)
    assert any(v[0].isdigit() for v in streets) and not all(v[0].isdigit() for v in streets)
    jobs = set(bulk_sampler("job", "fr_FR", {}).sample(np.random.default_rng(0), 200))
    assert jobs <= set(Faker("fr_FR").factories[0].provider("faker.providers.job").jobs)
    addresses = bulk_sampler("address", "en_US", {}).sample(np.random.default_rng(0), 200)
    assert all("\n" in v for v in addresses)


def test_name_formats_mix_tokens_like_faker():
    person = faker_person("de_DE")
    names = bulk_sampler("name", "de_DE", {}).sample(np.random.default_rng(6), 3000)
    words = {w for n in names for w in n.replace("-", " ").split()}
    known = set(person.first_names) | set(person.last_names)
    known |= set(person.prefixes_male) | set(person.prefixes_female) | set(person.suffixes)
    known = {w for k in known for w in k.replace("-", " ").split()}
    assert words <= known
    assert any(len(n.split()) > 2 for n in names)  # prefixed/suffixed formats occur


@pytest.mark.parametrize(
    ("provider", "locale"),
    [
        ("first_name", "en_US"),
        ("last_name", "de_DE"),
        ("name", "en_US"),
        ("name", "ja_JP"),
        ("email", "en_US"),
        ("email", "nl_NL"),
        ("phone_number", "en_US"),
        ("phone_number", "fr_FR"),
        ("street_address", "de_DE"),
        ("city", "en_US"),
        ("company", "en_US"),
        ("postcode", "en_US"),
        ("domain_name", "en_US"),
    ],
)
def test_nth_is_injective_and_draws_producible_values(provider, locale):
    sampler = bulk_sampler(provider, locale, {})
    size = sampler.domain_size
    assert size is not None and size > 1
    rng = np.random.default_rng(9)
    indices = np.unique(np.concatenate([np.arange(min(size, 300)), rng.integers(0, size, 3000)]))
    values = sampler.nth(indices)
    assert len(values) == len(indices)
    assert len(set(values)) == len(indices)
    assert sampler.nth(indices[:50]) == values[:50]
    with pytest.raises(ValueError):
        sampler.nth([size])


def test_nth_values_are_drawn_values_for_small_domains():
    sampler = bulk_sampler("color_name", "en_US", {})
    every = set(sampler.nth(np.arange(sampler.domain_size)))
    assert set(sampler.sample(np.random.default_rng(0), 5000)) <= every
    assert len(every) == sampler.domain_size


def test_arguments_are_followed():
    alpha3 = bulk_sampler("country_code", "en_US", {"representation": "alpha-3"})
    assert all(re.fullmatch(r"[A-Z]{3}", v) for v in alpha3.sample(np.random.default_rng(0), 100))
    own_domain = bulk_sampler("email", "en_US", {"domain": "acme.io"})
    assert all(v.endswith("@acme.io") for v in own_domain.sample(np.random.default_rng(0), 100))
    words = bulk_sampler("word", "en_US", {"ext_word_list": ["alpha", "beta"]})
    assert set(words.sample(np.random.default_rng(0), 100)) == {"alpha", "beta"}


def test_unknown_providers_arguments_and_locales_are_not_answered():
    assert bulk_sampler("no_such_provider", "en_US", {}) is None
    assert bulk_sampler("pyint", "en_US", {}) is None
    assert bulk_sampler("first_name", "en_US", {"no_such_argument": 1}) is None
    assert bulk_sampler("first_name", "xx_XX", {}) is None


def test_locales_without_the_data_fall_back():
    # fr_FR builds postcodes with a branch on the drawn department: left to Faker.
    assert bulk_sampler("postcode", "fr_FR", {}) is None
    # ... while locales that have a plain list are answered.
    assert bulk_sampler("state", "de_DE", {}) is not None
