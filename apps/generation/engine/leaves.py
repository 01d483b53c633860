"""Access to the leaf modules (patterns, faker_bulk, domain) and to per-process Faker instances.

The leaf modules are imported lazily so that a spec using none of them never pays their import
cost; Faker instances are created once per process and locale, and always reseeded before use.
"""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from functools import cache, lru_cache
from types import ModuleType

from . import limits


def patterns() -> ModuleType:
    return importlib.import_module(f"{__package__}.patterns")


def domain() -> ModuleType:
    return importlib.import_module(f"{__package__}.domain")


def vin_serial_domain() -> int:
    """How many distinct serial parts (positions 11-17) a unique vin column can number."""
    return importlib.import_module(f"{__package__}.vin").SERIAL_DOMAIN


def faker_bulk() -> ModuleType | None:
    try:
        return importlib.import_module(f"{__package__}.faker_bulk")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.faker_bulk":
            raise
        return None


@lru_cache(maxsize=1)
def available_locales() -> frozenset[str]:
    from faker.config import AVAILABLE_LOCALES

    return frozenset(AVAILABLE_LOCALES)


@cache
def faker_instance(locale: str):
    """One Faker per process and locale; callers reseed it (seed_instance) before every use."""
    from faker import Faker

    return Faker(locale)


def bulk_sampler(provider: str, locale: str, args: dict):
    """The vectorised sampler for a provider, or None: then Faker itself is called row by row."""
    module = faker_bulk()
    if module is None:
        return None
    try:
        return _cached_bulk_sampler(module, provider, locale, _freeze(args))
    except Exception:  # the bulk path is an optimisation; Faker row by row is always a correct answer
        return None


@lru_cache(maxsize=512)
def _cached_bulk_sampler(module: ModuleType, provider: str, locale: str, frozen_args: tuple):
    return module.bulk_sampler(provider, locale, _thaw(frozen_args))


def _freeze(value):
    if isinstance(value, dict):
        return ("__dict__", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("__list__", tuple(_freeze(v) for v in value))
    return value


def _thaw(value):
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "__dict__":
        return {k: _thaw(v) for k, v in value[1]}
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "__list__":
        return [_thaw(v) for v in value[1]]
    return value


class SizedCache:
    """Least-recently-used values bounded by their total estimated size as well as by their count.

    A count alone is no bound: one compiled pattern can hold tens of megabytes of automaton.
    """

    def __init__(self, max_bytes: int, max_entries: int, size_of):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.size_of = size_of
        self.items: OrderedDict = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()

    def get_or_make(self, key, make):
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found[0]
        value = make()
        size = self.size_of(value)
        with self.lock:
            if key not in self.items and size <= self.max_bytes:
                self.items[key] = (value, size)
                self.bytes += size
                while self.bytes > self.max_bytes or len(self.items) > self.max_entries:
                    _, (_, dropped) = self.items.popitem(last=False)
                    self.bytes -= dropped
        return value

    def peek(self, key):
        with self.lock:
            found = self.items.get(key)
            return None if found is None else found[0]

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.bytes = 0


_PATTERNS = SizedCache(limits.PATTERN_CACHE_BYTES, limits.PATTERN_CACHE_ENTRIES, lambda p: p.approx_bytes)


def compiled_pattern(pattern: str, work_budget: int | None = None):
    """The compiled pattern (PatternError when it is invalid or over the cost bounds), cached by size.
    A pattern found in the cache costs no work, so `work_budget` only applies to building one."""
    return _PATTERNS.get_or_make(pattern, lambda: patterns().compile_pattern(pattern, work_budget))


def cached_pattern(pattern: str):
    """The compiled pattern if this process has it cached, else None (nothing is built)."""
    return _PATTERNS.peek(pattern)
