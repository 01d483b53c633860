"""Column type `float`: numbers between min and max rounded to `precision` decimals, drawn from a distribution."""

from __future__ import annotations

import numpy as np

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
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    low, high = read_range(raw, path, ctx, read_number, 0.0, 1.0)
    precision = read_int(raw, "precision", path, ctx, 2, minimum=0, maximum=12)
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx, DISTRIBUTIONS,
                                  low, high)
    return {"min": float(low), "max": float(high), "precision": precision, "distribution": dist}


def sample(spec, env):
    raw = sample_numbers(spec["distribution"], spec["min"], spec["max"], env.rng("values"), env.n, integer=False)
    return Col("float", np.clip(np.round(raw, spec["precision"]), spec["min"], spec["max"]))


ENTRY = ColumnType(
    name="float",
    keys=("min", "max", "precision", "distribution"),
    normalise=normalise,
    sample=sample,
    value_kind="float",
    text_chars=24,
    export_kind="float",
    always_valued=True,
)
