"""Column type `reference`: a value of a row of another (or the same) table."""

from __future__ import annotations

from ..column_types import (
    join,
    normalise_distribution,
    read_str,
)
from ..generators import (
    reference_indices,
)
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    table = read_str(raw, "table", path, ctx, None, required=True)
    column = read_str(raw, "column", path, ctx, None)
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx,
                                  ("uniform", "zipf"), None, None)
    return {"table": table, "column": column, "distribution": dist}


def sample(spec, env):
    indices = reference_indices(spec, env)
    if env.ctx is not None:
        env.ctx.pending[(env.path, env.salt)] = indices
    return env.runtime.values_at(spec["table"], env.runtime.referenced_column(spec), indices)


ENTRY = ColumnType(
    name="reference",
    keys=("table", "column", "distribution"),
    normalise=normalise,
    sample=sample,
    structural_keys=("table", "column"),
    always_valued=True,
)
