"""Column type `lookup`: a column of the row a reference column points at."""

from __future__ import annotations

from ..column_types import (
    read_str,
)
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    return {"reference": read_str(raw, "reference", path, ctx, None, required=True),
            "column": read_str(raw, "column", path, ctx, None, required=True)}


def sample(spec, env):
    return env.ctx.referenced(spec["reference"], spec["column"])


ENTRY = ColumnType(
    name="lookup",
    keys=("reference", "column"),
    normalise=normalise,
    sample=sample,
    row_bound=True,
    structural_keys=("reference", "column"),
    no_unique="lookup copies values of another table and cannot be made unique",
)
