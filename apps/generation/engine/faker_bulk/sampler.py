"""BulkSampler and the cached lookup of one sampler per (provider, locale, arguments)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..patterns import INT64_LIMIT, Node, as_object_array
from .enumeration import _Space, _space
from .evaluator import _Evaluator
from .providers import BULK_PROVIDERS
from .symbols import Unsupported, _node

# ---------------------------------------------------------------------------------------------
# Public interface.


class BulkSampler:
    """Samples one Faker provider of one locale in bulk."""

    def __init__(self, provider: str, locale: str, tree: Node):
        self.provider = provider
        self.locale = locale
        self.tree = tree
        self._sampler = tree.optimised()
        self._space: _Space | None = None
        self._space_built = False

    def sample(self, rng: np.random.Generator, n: int) -> list[str]:
        return as_object_array(self._sampler.sample(rng, n), n).tolist()

    def _enumeration(self) -> _Space | None:
        if not self._space_built:
            self._space = _space(self.tree, frozenset())
            self._space_built = True
        return self._space

    @property
    def domain_size(self) -> int | None:
        """How many distinct values `nth` enumerates (a subset of what `sample` draws, because
        only unambiguous formats are enumerated), or None when they cannot be enumerated."""
        space = self._enumeration()
        return None if space is None else space.size

    def nth(self, indices) -> list[str]:
        """Distinct values for distinct indices in 0..domain_size-1."""
        space = self._enumeration()
        if space is None:
            raise ValueError(f"faker provider {self.provider!r} ({self.locale}) has no enumeration")
        ranks = np.asarray(indices, dtype=object if space.size >= INT64_LIMIT else np.int64).reshape(-1)
        if ranks.size and (ranks.min() < 0 or ranks.max() >= space.size):
            raise ValueError(f"index out of range 0..{space.size - 1}")
        return as_object_array(space.nth(ranks), len(ranks)).tolist()

    def __repr__(self) -> str:
        return f"BulkSampler({self.provider!r}, {self.locale!r})"


@functools.cache
def _generator(locale: str):
    from faker import Factory
    from faker.config import AVAILABLE_LOCALES

    if locale not in AVAILABLE_LOCALES:
        return None
    return Factory.create(locale)


@functools.cache
def _evaluator(locale: str) -> _Evaluator | None:
    generator = _generator(locale)
    return None if generator is None else _Evaluator(generator)


def _args_key(args: dict | None) -> tuple | None:
    """Hashable form of the provider arguments (lists become tuples, which Faker accepts alike)."""

    def freeze(value: Any) -> Any:
        return tuple(freeze(v) for v in value) if isinstance(value, list | tuple) else value

    try:
        key = tuple(sorted((str(name), freeze(value)) for name, value in (args or {}).items()))
        hash(key)
    except TypeError:
        return None
    return key


@functools.lru_cache(maxsize=1024)
def _cached_sampler(provider: str, locale: str, args_key: tuple) -> BulkSampler | None:
    evaluator = _evaluator(locale)
    if evaluator is None:
        return None
    try:
        value = evaluator.formatter(provider, (), dict(args_key))
        tree = _node(value)
    except (Unsupported, AttributeError, KeyError, IndexError, TypeError, ValueError):
        # Anything this evaluator cannot follow is left to Faker itself.
        return None
    return BulkSampler(provider, locale, tree)


def bulk_sampler(provider: str, locale: str, args: dict | None = None) -> BulkSampler | None:
    """A vectorised sampler for Faker `provider` in `locale` called with `args`, or None when this
    combination is not answered in bulk (the caller then uses Faker row by row)."""
    if provider not in BULK_PROVIDERS or not isinstance(locale, str):
        return None
    key = _args_key(args)
    if key is None:
        return None
    return _cached_sampler(provider, locale.replace("-", "_"), key)
