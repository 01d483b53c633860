"""Column type `date`: dates between start and end."""

from __future__ import annotations

import numpy as np

from ..bounds import has_expression_bounds, sample_bounded
from ..values import Col
from ._temporal import normalise_temporal, temporal_offsets
from .base import ColumnType

normalise = normalise_temporal("date")


def sample(spec, env):
    if has_expression_bounds(spec):
        return sample_bounded(spec, env)
    low, high = env.runtime.resolved_range(spec)
    span = (high - low).days
    offsets = temporal_offsets(spec, env, span)
    start = np.datetime64(low.isoformat(), "D")
    return Col("date", start + offsets.astype("timedelta64[D]"))


ENTRY = ColumnType(
    name="date",
    keys=("start", "end", "distribution", "timezone", "on_empty"),
    normalise=normalise,
    sample=sample,
    value_kind="date",
    text_chars=10,
    quoted=True,
    export_kind="date",
    always_valued=True,
)
