"""Column type `mrz_td3`: the two-line machine readable zone of a passport, from other columns of the row.

Version 1.1: names are written per ICAO 9303 part 3 (Ä -> AE, Cyrillic and Greek tables, the romanised form
where the names' Faker locale has one); a name that cannot be written fails the chunk, naming the column and
row. `invalid_ratio` gives a share of rows a wrong composite check digit.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from .. import leaves
from ..column_types import (
    MRZ_FIELDS,
    check_keys,
    describe,
    join,
)
from ..errors import GenerationError
from ..mrz_transliteration import icao_latin, latin_with
from ..row_locales import romanised_names
from ..values import Col, object_array, to_pylist
from . import faker
from ._check_digits import invalid_ratio_key, with_invalid
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    fields = raw.get("fields")
    fpath = join(path, "fields")
    if fields is None:
        ctx.add(fpath, "is required: a mapping of MRZ fields to column names")
        fields = {}
    elif not isinstance(fields, Mapping):
        ctx.add(fpath, f"must be a mapping of MRZ fields to column names, got {describe(fields)}")
        fields = {}
    check_keys(fields, MRZ_FIELDS, fpath, ctx, "mrz_td3 fields")
    out = {}
    for name in MRZ_FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            ctx.add(join(fpath, name), f"must be a column name, got {describe(value)}")
            value = None
        out[name] = value
    return {"fields": out, **invalid_ratio_key(raw, path, ctx)}


def sample(spec, env):
    fields = {}
    for field, column in spec["fields"].items():
        fields[field] = to_pylist(env.ctx.get(column)) if column else [None] * env.n
    if "invalid_ratio" not in spec:  # version 1: diacritics dropped, other scripts left out
        return Col("str", object_array(leaves.domain().mrz_td3(**fields)))
    locales = _name_locales(spec, env)
    out = np.empty(env.n, dtype=object)
    for locale in sorted(set(locales.tolist())):
        rows = np.flatnonzero(locales == locale)
        part = {field: [values[i] for i in rows] for field, values in fields.items()}
        try:
            out[rows] = leaves.domain().mrz_td3(**part, latin=_latin(locale))
        except ValueError as exc:
            row = int(env.rows[rows[getattr(exc, "row", 0)]])
            raise GenerationError(f"tables.{env.table.name}.columns.{env.path}: row {row}: {exc}") from exc
    return with_invalid("mrz_td3", spec, env, out.tolist())


def _name_locales(spec, env) -> np.ndarray:
    """The locale each row's names come from (the surname's faker column, else the given names'), so names
    of a locale whose Faker data has a romanised form are written in it; "" where names are not Faker's."""
    for field in ("surname", "given_names"):
        column = spec["fields"].get(field)
        column_spec = env.table.columns.get(column) if column else None
        if column_spec is not None and column_spec["type"] == "faker":
            per_row = faker.row_locales_of(column_spec, env)
            return per_row if per_row is not None else np.full(env.n, column_spec["locale"], dtype=object)
    return np.full(env.n, "", dtype=object)


@lru_cache(maxsize=64)
def _latin(locale: str):
    # Names repeat a lot within a locale: each distinct one is transliterated once per process.
    return lru_cache(maxsize=65_536)(latin_with(romanised_names(locale)) if locale else icao_latin)


ENTRY = ColumnType(
    name="mrz_td3",
    keys=("fields", "invalid_ratio"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=90,
    quoted=True,
    row_bound=True,
    export_kind="string",
    always_valued=True,
    no_unique="mrz_td3 values are derived from other columns and cannot be made unique",
)
