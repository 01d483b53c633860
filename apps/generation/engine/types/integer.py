"""Column type `integer`: whole numbers between min and max, drawn from a distribution."""

from __future__ import annotations

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
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    def bounded_int(raw, key, path, ctx, default):
        return read_int(raw, key, path, ctx, default, minimum=-INT_LIMIT, maximum=INT_LIMIT)

    low, high = read_range(raw, path, ctx, bounded_int, 0, 1000)
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx, DISTRIBUTIONS,
                                  low, high)
    return {"min": low, "max": high, "distribution": dist}


def sample(spec, env):
    return Col("int", sample_numbers(spec["distribution"], spec["min"], spec["max"], env.rng("values"), env.n,
                                     integer=True))


ENTRY = ColumnType(
    name="integer",
    keys=("min", "max", "distribution"),
    normalise=normalise,
    sample=sample,
    value_kind="int",
    text_chars=20,
    export_kind="integer",
    always_valued=True,
)
