"""Access to the leaf modules (patterns, faker_bulk, domain) and to per-process Faker instances.

The leaf modules are imported lazily so that a spec using none of them never pays their import
cost; Faker instances are created once per process and locale, and always reseeded before use.
"""

from __future__ import annotations

import importlib
from functools import cache, lru_cache
from types import ModuleType

# Faker attributes that manage the instance, or make files and binary blobs, rather than column values.
NOT_PROVIDERS = frozenset({
    "seed", "seed_instance", "seed_locale", "add_provider", "get_providers", "provider", "providers",
    "set_formatter", "get_formatter", "format", "parse", "set_arguments", "get_arguments", "del_arguments",
    "random", "unique", "optional", "items", "locales", "weights", "factories", "cache_pattern",
    "generator_attrs", "enum", "xml", "image", "tar", "zip", "json_bytes",
})


def patterns() -> ModuleType:
    return importlib.import_module(f"{__package__}.patterns")


def domain() -> ModuleType:
    return importlib.import_module(f"{__package__}.domain")


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


@lru_cache(maxsize=512)
def compiled_pattern(pattern: str):
    return patterns().compile_pattern(pattern)
