"""Column type `datetime`: datetimes between start and end, shown in `timezone`."""

from __future__ import annotations

import numpy as np

from ..bounds import has_expression_bounds, sample_bounded
from ..values import Col
from ._temporal import normalise_temporal, temporal_offsets
from .base import ColumnType

normalise = normalise_temporal("datetime")


def sample(spec, env):
    if has_expression_bounds(spec):
        return sample_bounded(spec, env)
    low, high = env.runtime.resolved_range(spec)
    span = int((high - low).total_seconds())
    offsets = temporal_offsets(spec, env, span)
    start = np.datetime64(low.replace(tzinfo=None).isoformat(timespec="seconds"), "s")
    return Col("datetime", start + offsets.astype("timedelta64[s]"), timezone=spec["timezone"])


ENTRY = ColumnType(
    name="datetime",
    keys=("start", "end", "distribution", "timezone", "on_empty"),
    normalise=normalise,
    sample=sample,
    value_kind="datetime",
    text_chars=25,
    quoted=True,
    export_kind="datetime",
    always_valued=True,
)
