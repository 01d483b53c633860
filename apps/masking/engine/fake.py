"""`fake`: a Faker value chosen by the keyed hash of the original, in the column's locale.

Each (provider, locale, function key) gets a pool of Faker values, drawn once under a seed from the function
key; a value's keyed hash picks from the pool, so equal inputs give equal outputs and a different
key gives a different pool order. Names combine a first-name and a last-name pool (picked by different bytes
of the hash), and emails are built from them on reserved example domains, so a fake email never reaches a
real mailbox.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from . import keyed

POOL_SIZE = 4096
_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")


@functools.lru_cache(maxsize=64)
def _pool(provider: str, locale: str, key: bytes) -> tuple[str, ...]:
    """Distinct Faker values drawn under a seed from the function key: by the generation engine's vectorised
    sampler of the provider when it has one (apps/generation/engine/faker_bulk), else by Faker itself."""
    from apps.generation.engine.faker_bulk.sampler import bulk_sampler

    seed = int.from_bytes(key[:8], "big")
    sampler = bulk_sampler(provider, locale)
    if sampler is not None:
        drawn = sampler.sample(np.random.default_rng(seed), POOL_SIZE)
    else:
        from faker import Faker

        faker = Faker(locale)
        faker.seed_instance(seed)
        method = getattr(faker, provider)
        drawn = [method() for _ in range(POOL_SIZE)]
    return tuple(dict.fromkeys(str(value).replace("\n", ", ") for value in drawn))


def _pick(pool: tuple[str, ...], numbers: np.ndarray) -> np.ndarray:
    array = np.array(pool, dtype=object)
    return array[(numbers % np.uint64(len(pool))).astype(np.int64)]


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def ascii_slug(text: str) -> str:
    if text.isascii():
        return _NOT_SLUG.sub(".", text.lower()).strip(".") or "x"
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    plain = re.sub(r"[^a-z0-9]+", ".", plain).strip(".")
    return plain or "x"


def fake_values(values: Sequence[object], key: bytes, provider: str, locale: str) -> list[str]:
    hashes = keyed.digests(key, values)
    first = keyed.as_uint64(hashes, 0)
    second = keyed.as_uint64(hashes, 8)
    third = keyed.as_uint64(hashes, 16)
    if provider in ("name", "email"):
        first_names = _pick(_pool("first_name", locale, keyed.sub_key(key, "first")), first)
        last_names = _pick(_pool("last_name", locale, keyed.sub_key(key, "last")), second)
        if provider == "name":
            return [f"{a} {b}" for a, b in zip(first_names.tolist(), last_names.tolist(), strict=True)]
        numbers = (third % np.uint64(100)).tolist()
        domains = [_EXAMPLE_DOMAINS[n % 3] for n in ((third >> np.uint64(8)) % np.uint64(3)).tolist()]
        return [
            f"{ascii_slug(a)}.{ascii_slug(b)}{n}@{d}"
            for a, b, n, d in zip(first_names.tolist(), last_names.tolist(), numbers, domains, strict=True)
        ]
    return _pick(_pool(provider, locale, keyed.sub_key(key, provider)), first).tolist()
