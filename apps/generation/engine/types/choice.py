"""Column type `choice`: one of `values`, optionally weighted, or with `in_order: true` the row's own value:
row i takes values[i mod len(values)], so parallel in-order columns of one table (a code, its name, ...) line
up row by row, and a unique in-order column gives its first values in the order listed."""

from __future__ import annotations

import numpy as np

from .. import limits
from ..analysis import distinct_values
from ..column_types import (
    MAX_CHOICE_VALUES,
    describe,
    is_number,
    join,
    literal_problem,
)
from ..generators import (
    choice_array,
    value_key,
)
from ..values import Col
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    values = raw.get("values")
    if values is None:
        ctx.add(join(path, "values"), "is required")
        values = []
    elif not isinstance(values, list) or not values:
        ctx.add(join(path, "values"), "must be a non-empty list")
        values = []
    elif len(values) > MAX_CHOICE_VALUES:
        ctx.add(join(path, "values"), f"must have at most {MAX_CHOICE_VALUES} values")
        values = []
    else:
        for i, value in enumerate(values):
            if not (isinstance(value, str | bool) or is_number(value)):
                ctx.add(join(path, f"values[{i}]"), f"must be a string, number or boolean, got {describe(value)}")
            elif problem := literal_problem(value):
                ctx.add(join(path, f"values[{i}]"), problem)
    weights = raw.get("weights")
    if weights is not None:
        if not isinstance(weights, list) or not all(is_number(w) and 0 <= w <= limits.FLOAT_LIMIT for w in weights):
            ctx.add(join(path, "weights"), f"must be a list of non-negative numbers up to {limits.FLOAT_LIMIT:g}")
            weights = None
        elif values and len(weights) != len(values):
            ctx.add(join(path, "weights"), f"has {len(weights)} weights for {len(values)} values")
            weights = None
        elif not sum(weights) > 0:
            ctx.add(join(path, "weights"), "must not all be zero")
            weights = None
        else:
            weights = [float(w) for w in weights]
    in_order = raw.get("in_order", False)
    if not isinstance(in_order, bool):
        ctx.add(join(path, "in_order"), f"must be a boolean, got {describe(in_order)}")
        in_order = False
    elif in_order and weights is not None:
        ctx.add(join(path, "in_order"), "cannot be combined with weights: an in-order choice follows the row")
        in_order = False
    elif in_order and ctx.version < 1.1:
        ctx.add(join(path, "in_order"), "needs version: 1.1")
        in_order = False
    elif in_order and raw.get("unique") is True and len(values) != len(distinct_values(values)):
        ctx.add(join(path, "in_order"), "needs distinct values in a unique column")
        in_order = False
    elif in_order and nested:
        ctx.add(join(path, "in_order"), "is for table columns, not array items or object fields")
        in_order = False
    out = {"values": list(values), "weights": weights}
    if in_order:
        # Kept only when set, so documents without it keep their hashes.
        out["in_order"] = True
    return out


def sample(spec, env):
    kind, pool = env.runtime.cached(("choice", value_key(spec["values"])), lambda: choice_array(spec["values"]))
    if spec.get("in_order"):
        return Col(kind, pool[env.rows.astype(np.int64) % len(pool)])
    rng = env.rng("values")
    if spec["weights"] is None:
        picks = rng.integers(0, len(pool), env.n)
    else:
        weights = np.asarray(spec["weights"], dtype=np.float64)
        cumulative = np.cumsum(weights / weights.sum())
        picks = np.minimum(np.searchsorted(cumulative, rng.random(env.n), side="right"), len(pool) - 1)
    return Col(kind, pool[picks])


ENTRY = ColumnType(
    name="choice",
    keys=("values", "weights", "in_order"),
    normalise=normalise,
    sample=sample,
)
