"""Column type `object`: a mapping of named fields, each a column spec."""

from __future__ import annotations

from collections.abc import Mapping

from .. import limits
from ..column_types import (
    IDENTIFIER,
    describe,
    join,
    normalise_column,
)
from ..generators import (
    generate_column,
)
from ..values import Col, object_array, to_pylist
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    fields = raw.get("fields")
    fpath = join(path, "fields")
    out = {}
    if not isinstance(fields, Mapping) or not fields:
        ctx.add(fpath, "is required: a non-empty mapping of field names to column specs"
                if fields is None else f"must be a non-empty mapping, got {describe(fields)}")
        return {"fields": out}
    if len(fields) > limits.MAX_OBJECT_FIELDS:
        ctx.add(fpath, f"must have at most {limits.MAX_OBJECT_FIELDS} fields")
        return {"fields": out}
    for name, spec in fields.items():
        if not isinstance(name, str) or not IDENTIFIER.match(name):
            ctx.add(join(fpath, name), "field names must match ^[a-z_][a-z0-9_]*$ (at most 63 characters)")
            continue
        out[name] = normalise_column(spec, join(fpath, name), ctx, nested=nested + 1)
    return {"fields": out}


def sample(spec, env):
    names = list(spec["fields"])
    lists = [to_pylist(generate_column(field, env.nested(f"{env.path}.{name}", env.rows)))
             for name, field in spec["fields"].items()]
    return Col("json", object_array([dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]))


ENTRY = ColumnType(
    name="object",
    keys=("fields",),
    normalise=normalise,
    sample=sample,
    value_kind="json",
    always_valued=True,
    no_unique="objects cannot be unique",
)
