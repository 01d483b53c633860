"""`locale: {column: C, map: {...}}` (version 1.1): the Faker locale of each row read from column C.

Shared by faker columns and the document (whose form also takes `default`, the locale of rows whose value
neither map knows). The locales a map can give count toward the document's limit of Faker locales; without
`map`, the built-in ISO 3166 alpha-3 map applies, and the column's values must be listed in the document
(a choice or constant column, or a lookup of one), so that the locales they give are known and counted.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import analysis, leaves, limits
from ..column_types import check_faker_provider, check_keys, describe, join
from ..row_locales import ALPHA3_LOCALES, locales_of_values

SPEC_KEYS = ("column", "map")
DOCUMENT_KEYS = ("column", "map", "default")


def read(raw, path: str, ctx, allowed=SPEC_KEYS) -> dict | None:
    """The normalised {column, map} of a locale mapping, or None (problems added)."""
    if ctx.version < 1.1:
        ctx.add(path, "a locale per row ({column: ...}) needs version: 1.1")
        return None
    if not isinstance(raw, Mapping):
        ctx.add(path, f"must be a Faker locale or a mapping {{column, map}}, got {describe(raw)}")
        return None
    check_keys(raw, allowed, path, ctx, "a locale per row")
    column = raw.get("column")
    if not isinstance(column, str) or not column:
        ctx.add(join(path, "column"), "is required: the column whose value names each row's locale")
        return None
    mapping = raw.get("map")
    if mapping is not None:
        if not isinstance(mapping, Mapping) or not mapping:
            ctx.add(join(path, "map"), f"must be a non-empty mapping of values to Faker locales, got "
                                       f"{describe(mapping)}")
            return None
        clean = {}
        for value, locale in mapping.items():
            if not isinstance(locale, str) or locale not in leaves.available_locales():
                ctx.add(join(join(path, "map"), str(value)), f"unknown locale {locale!r}")
            else:
                clean[str(value)] = locale
        mapping = clean
        count(sorted(set(mapping.values())), join(path, "map"), ctx)
    return {"column": column, "map": mapping}


def count(locales, path: str, ctx) -> bool:
    """Add `locales` to the document's Faker locales; False (problem added) past the limit."""
    new = set(locales) | ctx.locales
    if len(new) > limits.MAX_LOCALES:
        ctx.add(path, f"a document may use at most {limits.MAX_LOCALES} Faker locales; this locale map makes "
                      f"{len(new)}")
        return False
    ctx.locales.update(locales)
    return True


def _listed_values(doc, table, name, depth=0):
    spec = table["columns"].get(name)
    if spec is None or depth > 10:
        return None
    if spec["type"] == "choice":
        values = list(spec["values"])
        for clause in spec.get("when", []):
            values += clause["then"].get("values", [])
        return values
    if spec["type"] == "constant":
        return [spec["value"]]
    if spec["type"] == "lookup":
        ref = table["columns"].get(spec["reference"])
        parent = doc["tables"].get(ref.get("table")) if ref else None
        return _listed_values(doc, parent, spec["column"], depth + 1) if parent else None
    return None


def check(doc, table, name, spec, path, ctx) -> None:
    """The locale column exists and holds strings; without `map`, its values are listed and their locales
    counted; the provider exists in each of the locales."""
    row_locale = spec.get("row_locale")
    if not row_locale:
        return
    columns = table["columns"]
    column = row_locale["column"]
    lpath = join(path, "locale")
    if column not in columns or column == name:
        if not row_locale.get("document"):
            ctx.add(join(lpath, "column"), f"names unknown column {column!r}" if column != name
                    else "cannot name the faker column itself")
        return
    kind = analysis.column_kind(doc, table, column)
    if kind != "str":
        ctx.add(join(lpath, "column"), f"column {column!r} holds {kind} values; locale columns hold strings")
        return
    mapping = row_locale["map"]
    if mapping is None:
        values = _listed_values(doc, table, column)
        if values is None:
            ctx.add(lpath, f"the values of column {column!r} are not listed in the document (a choice, constant "
                           "or lookup of one), so give `map` with the locales they stand for")
            return
        locales = set(locales_of_values(values, ALPHA3_LOCALES, spec["locale"]).tolist())
        if not count(sorted(locales), lpath, ctx):
            return
    else:
        locales = set(mapping.values())
    for locale in sorted(locales - {spec["locale"]}):
        if spec["provider"] is not None:
            check_faker_provider(spec["provider"], spec["args"], locale, path, ctx)
