"""Column type `faker`: a Faker provider's values (vectorised samplers where one exists)."""

from __future__ import annotations

from collections.abc import Mapping

from .. import leaves, limits
from ..column_types import (
    check_faker_provider,
    describe,
    join,
    read_str,
)
from ..values import Col, column_from_python, object_array
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    provider = read_str(raw, "provider", path, ctx, None, required=True)
    locale = read_str(raw, "locale", path, ctx, ctx.locale)
    args = raw.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, Mapping) or not all(isinstance(k, str) for k in args):
        ctx.add(join(path, "args"), f"must be a mapping of argument names to values, got {describe(args)}")
        args = {}
    args = dict(args)
    if locale not in leaves.available_locales():
        ctx.add(join(path, "locale"), f"unknown locale {locale!r}")
        return {"provider": provider, "args": args, "locale": locale}
    if locale not in ctx.locales and len(ctx.locales) >= limits.MAX_LOCALES:
        ctx.add(join(path, "locale"), f"a document may use at most {limits.MAX_LOCALES} Faker locales")
        return {"provider": provider, "args": args, "locale": locale}
    ctx.locales.add(locale)
    if provider is not None:
        check_faker_provider(provider, args, locale, path, ctx)
    return {"provider": provider, "args": args, "locale": locale}


def sample(spec, env):
    rng = env.rng("values")
    sampler = leaves.bulk_sampler(spec["provider"], spec["locale"], spec["args"])
    if sampler is not None:
        return Col("str", object_array(sampler.sample(rng, env.n)))
    fake = leaves.faker_instance(spec["locale"])
    fake.seed_instance(int(rng.integers(0, 2**62)))
    method = getattr(fake, spec["provider"])
    args = spec["args"]
    items = [method(**args) for _ in range(env.n)]
    return column_from_python(env.runtime.faker_kind(spec), items)


ENTRY = ColumnType(
    name="faker",
    keys=("provider", "args", "locale"),
    normalise=normalise,
    sample=sample,
    export_kind="string",
)
