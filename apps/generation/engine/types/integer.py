"""Column type `integer`: whole numbers between min and max, drawn from a distribution."""

from __future__ import annotations

from ..bounds import has_expression_bounds, sample_bounded
from ..column_types import (
    DISTRIBUTIONS,
    INT_LIMIT,
    join,
    normalise_distribution,
    read_int,
    read_range,
)
from ..distributions import sample_numbers
from ..values import Col
from ._bounds import expression_bounds, read_on_empty
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    def bounded_int(raw, key, path, ctx, default):
        return read_int(raw, key, path, ctx, default, minimum=-INT_LIMIT, maximum=INT_LIMIT)

    exprs = expression_bounds(raw, ("min", "max"), path, ctx)
    literal = {key: value for key, value in raw.items() if key not in exprs}
    low, high = read_range(literal, path, ctx, bounded_int, 0, 1000)
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx, DISTRIBUTIONS,
                                  None if exprs else low, None if exprs else high)
    spec = {"min": exprs.get("min") or low, "max": exprs.get("max") or high, "distribution": dist}
    read_on_empty(raw, path, ctx, spec)
    return spec


def sample(spec, env):
    if has_expression_bounds(spec):
        return sample_bounded(spec, env)
    return Col("int", sample_numbers(spec["distribution"], spec["min"], spec["max"], env.rng("values"), env.n,
                                     integer=True))


ENTRY = ColumnType(
    name="integer",
    keys=("min", "max", "distribution", "on_empty"),
    normalise=normalise,
    sample=sample,
    value_kind="int",
    text_chars=20,
    export_kind="integer",
    always_valued=True,
)
