"""Column type `constant`: the same value in every row."""

from __future__ import annotations

import numpy as np

from ..column_types import (
    join,
    literal_problem,
)
from ..generators import (
    choice_array,
)
from ..values import Col, object_array
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    if "value" not in raw:
        ctx.add(join(path, "value"), "is required")
    elif problem := literal_problem(raw["value"]):
        ctx.add(join(path, "value"), problem)
    return {"value": raw.get("value")}


def sample(spec, env):
    kind, pool = choice_array([spec["value"]])
    return Col(kind, np.repeat(pool, env.n) if kind != "json" else object_array([spec["value"]] * env.n))


ENTRY = ColumnType(
    name="constant",
    keys=("value",),
    normalise=normalise,
    sample=sample,
)
