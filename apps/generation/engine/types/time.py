"""Column type `time`: times of day between start and end (wrapping past midnight)."""

from __future__ import annotations

from ..values import Col
from ._temporal import normalise_temporal, temporal_offsets
from .base import ColumnType

normalise = normalise_temporal("time")


def sample(spec, env):
    low, high = env.runtime.resolved_range(spec)
    span = (high - low) % 86400
    return Col("time", (low + temporal_offsets(spec, env, span)) % 86400)


ENTRY = ColumnType(
    name="time",
    keys=("start", "end", "distribution", "timezone"),
    normalise=normalise,
    sample=sample,
    value_kind="time",
    text_chars=8,
    quoted=True,
    export_kind="time",
    always_valued=True,
)
