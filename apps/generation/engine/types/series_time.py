"""Column type `series_time`: timestamps start, start+step, ... over the row's position."""

from __future__ import annotations

from datetime import UTC

import numpy as np

from ..column_types import (
    describe,
    join,
)
from ..timeparse import TimeValueError, parse_step, resolve_datetime
from ..values import Col
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    start = raw.get("start", "today")
    if hasattr(start, "isoformat") and not isinstance(start, str):
        start = start.isoformat()
    if not isinstance(start, str):
        ctx.add(join(path, "start"), f"must be an ISO datetime or a relative time, got {describe(start)}")
        start = "today"
    else:
        try:
            resolve_datetime(start, ctx.reference_time, UTC)
        except TimeValueError as exc:
            ctx.add(join(path, "start"), str(exc))
    step = raw.get("step", "1h")
    try:
        parse_step(step)
    except TimeValueError as exc:
        ctx.add(join(path, "step"), str(exc))
        step = "1h"
    return {"start": start, "step": step}


def sample(spec, env):
    start = env.runtime.cached(("series_start", spec["start"]),
                               lambda: resolve_datetime(spec["start"], env.runtime.reference_time, UTC))
    base = np.datetime64(start.replace(tzinfo=None).isoformat(timespec="seconds"), "s")
    step = parse_step(spec["step"])
    return Col("datetime", base + (env.series_positions() * step).astype("timedelta64[s]"))


ENTRY = ColumnType(
    name="series_time",
    keys=("start", "step"),
    normalise=normalise,
    sample=sample,
    value_kind="datetime",
    text_chars=20,
    quoted=True,
    row_bound=True,
    export_kind="datetime",
    always_valued=True,
)
