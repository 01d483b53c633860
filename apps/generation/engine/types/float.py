"""Column type `float`: numbers between min and max rounded to `precision` decimals, drawn from a distribution."""

from __future__ import annotations

import numpy as np

from ..bounds import has_expression_bounds, sample_bounded
from ..column_types import (
    DISTRIBUTIONS,
    join,
    normalise_distribution,
    read_int,
    read_number,
    read_range,
)
from ..distributions import sample_numbers
from ..values import Col
from ._bounds import expression_bounds, read_on_empty
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    exprs = expression_bounds(raw, ("min", "max"), path, ctx)
    literal = {key: value for key, value in raw.items() if key not in exprs}
    low, high = read_range(literal, path, ctx, read_number, 0.0, 1.0)
    precision = read_int(raw, "precision", path, ctx, 2, minimum=0, maximum=12)
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx, DISTRIBUTIONS,
                                  None if exprs else low, None if exprs else high)
    spec = {"min": exprs.get("min") or float(low), "max": exprs.get("max") or float(high), "precision": precision,
            "distribution": dist}
    read_on_empty(raw, path, ctx, spec)
    return spec


def sample(spec, env):
    if has_expression_bounds(spec):
        return sample_bounded(spec, env)
    raw = sample_numbers(spec["distribution"], spec["min"], spec["max"], env.rng("values"), env.n, integer=False)
    return Col("float", np.clip(np.round(raw, spec["precision"]), spec["min"], spec["max"]))


ENTRY = ColumnType(
    name="float",
    keys=("min", "max", "precision", "distribution", "on_empty"),
    normalise=normalise,
    sample=sample,
    value_kind="float",
    text_chars=24,
    export_kind="float",
    always_valued=True,
)
