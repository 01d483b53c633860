"""Column type `timeseries`: base, trend, seasonality, noise and random walk over the row's position."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import limits
from ..column_types import (
    check_keys,
    describe,
    join,
    read_number,
)
from ..values import Col
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    seasonality = raw.get("seasonality")
    spath = join(path, "seasonality")
    if seasonality is not None:
        if not isinstance(seasonality, Mapping):
            ctx.add(spath, f"must be a mapping {{amplitude, period}}, got {describe(seasonality)}")
            seasonality = None
        else:
            check_keys(seasonality, ("amplitude", "period"), spath, ctx, "seasonality")
            if "period" not in seasonality:
                ctx.add(join(spath, "period"), "is required")
            seasonality = {"amplitude": read_number(seasonality, "amplitude", spath, ctx, 1.0),
                           "period": read_number(seasonality, "period", spath, ctx, 1.0, exclusive_minimum=0,
                                                 minimum=limits.MIN_POSITIVE)}
    return {"base": read_number(raw, "base", path, ctx, 0.0), "trend": read_number(raw, "trend", path, ctx, 0.0),
            "seasonality": seasonality, "noise": read_number(raw, "noise", path, ctx, 0.0, minimum=0),
            "walk": read_number(raw, "walk", path, ctx, 0.0, minimum=0)}


def sample(spec, env):
    positions = env.series_positions()
    t = positions.astype(np.float64)
    values = spec["base"] + spec["trend"] * t
    seasonality = spec["seasonality"]
    if seasonality:
        values = values + seasonality["amplitude"] * np.sin(2 * np.pi * t / seasonality["period"])
    if spec["noise"] > 0:
        values = values + env.rng("noise").normal(0.0, spec["noise"], env.n)
    if spec["walk"] > 0:
        values = values + env.runtime.walk(env.table.name, env.path, spec["walk"], env.rows, positions)
    return Col("float", values)


ENTRY = ColumnType(
    name="timeseries",
    keys=("base", "trend", "seasonality", "noise", "walk"),
    normalise=normalise,
    sample=sample,
    value_kind="float",
    text_chars=24,
    row_bound=True,
    export_kind="float",
    always_valued=True,
    no_unique="timeseries values cannot be made unique",
)
