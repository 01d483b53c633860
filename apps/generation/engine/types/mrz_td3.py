"""Column type `mrz_td3`: the two-line machine readable zone of a passport, from other columns of the row."""

from __future__ import annotations

from collections.abc import Mapping

from .. import leaves
from ..column_types import (
    MRZ_FIELDS,
    check_keys,
    describe,
    join,
)
from ..values import Col, object_array, to_pylist
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
    return {"fields": out}


def sample(spec, env):
    fields = {}
    for field, column in spec["fields"].items():
        fields[field] = to_pylist(env.ctx.get(column)) if column else [None] * env.n
    return Col("str", object_array(leaves.domain().mrz_td3(**fields)))


ENTRY = ColumnType(
    name="mrz_td3",
    keys=("fields",),
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
