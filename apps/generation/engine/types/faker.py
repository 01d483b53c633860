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
from ..row_locales import locale_map, locales_of_values, sample_by_locale
from ..values import Col, column_from_python, object_array, to_pylist
from . import _row_locale
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    provider = read_str(raw, "provider", path, ctx, None, required=True)
    row_locale = None
    if isinstance(raw.get("locale"), Mapping):
        row_locale = _row_locale.read(raw["locale"], join(path, "locale"), ctx)
        if row_locale is not None and nested:
            ctx.add(join(path, "locale"), "a locale per row cannot be used inside an array or object")
        locale = ctx.locale
    else:
        locale = read_str(raw, "locale", path, ctx, ctx.locale)
        if "locale" not in raw and ctx.row_locale is not None and not nested:
            row_locale = {**ctx.row_locale, "document": True}
    spec = _normalise(raw, path, ctx, provider, locale)
    if row_locale is not None:
        spec["row_locale"] = row_locale
    return spec


def _normalise(raw, path, ctx, provider, locale):
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
    locales = row_locales_of(spec, env)
    if locales is None:
        return _draw(spec, spec["locale"], env.rng("values"), env.n, env)
    kind = env.runtime.faker_kind(spec)

    def draw(locale: str, count: int) -> list:
        # One stream per locale and block of rows: a row's value does not depend on chunking.
        col = _draw(spec, locale, env.derived(f"{env.salt}/locale:{locale}").rng("values"), count, env)
        return to_pylist(col)

    return column_from_python(kind, sample_by_locale(locales, draw).tolist())


def row_locales_of(spec, env):
    """The Faker locale of each row (an object array), or None when the column has one locale."""
    row_locale = spec.get("row_locale")
    if not row_locale or env.ctx is None:
        return None
    column = row_locale["column"]
    if column == env.path or column not in env.table.columns:
        return None  # a document-wide locale column that this table does not have
    values = to_pylist(env.ctx.get(column))
    return locales_of_values(values, locale_map(row_locale["map"]), spec["locale"])


def _draw(spec, locale, rng, n, env):
    sampler = leaves.bulk_sampler(spec["provider"], locale, spec["args"])
    if sampler is not None:
        return Col("str", object_array(sampler.sample(rng, n)))
    fake = leaves.faker_instance(locale)
    fake.seed_instance(int(rng.integers(0, 2**62)))
    method = getattr(fake, spec["provider"])
    args = spec["args"]
    items = [method(**args) for _ in range(n)]
    return column_from_python(env.runtime.faker_kind({**spec, "locale": locale}), items)


def reads(spec, columns, name):
    row_locale = spec.get("row_locale")
    if not row_locale or row_locale["column"] == name or row_locale["column"] not in columns:
        return []  # a document-wide locale column is not read by itself, nor in tables without it
    return [row_locale["column"]]


def check_links(doc, table_name, table, name, spec, path, ctx):
    _row_locale.check(doc, table, name, spec, path, ctx)


ENTRY = ColumnType(
    name="faker",
    keys=("provider", "args", "locale"),
    normalise=normalise,
    sample=sample,
    export_kind="string",
    reads=reads,
    check_links=check_links,
)
