"""Shared by the date, datetime and time types: normalising start/end/timezone and drawing offsets."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from ..bounds import bound_problem
from ..column_types import DISTRIBUTIONS, describe, join, normalise_distribution, read_str
from ..distributions import sample_numbers
from ..timeparse import TimeValueError, resolve_date, resolve_datetime, resolve_time, timezone_for
from ._bounds import VERSION_HINT, read_on_empty


def normalise_temporal(kind):
    defaults = {"date": ("-1y", "today"), "datetime": ("-1y", "now"), "time": ("00:00:00", "23:59:59")}[kind]

    def normalise(raw, path, ctx, nested):
        timezone = read_str(raw, "timezone", path, ctx, "UTC")
        try:
            tz = timezone_for(timezone)
        except TimeValueError as exc:
            ctx.add(join(path, "timezone"), str(exc))
            tz, timezone = UTC, "UTC"
        bounds = []
        for key, default in zip(("start", "end"), defaults, strict=True):
            value = raw.get(key, default)
            if hasattr(value, "isoformat") and not isinstance(value, str):
                value = value.isoformat()
            resolved = None
            if not isinstance(value, str):
                ctx.add(join(path, key), f"must be an ISO {kind} or a relative time, got {describe(value)}")
                value = default
            else:
                try:
                    resolved = resolve_bound(kind, value, ctx.reference_time, tz)
                except TimeValueError as exc:
                    value = _expression_or_default(kind, key, value, default, str(exc), path, ctx)
            bounds.append((value, resolved))
        (start, low), (end, high) = bounds
        if kind != "time" and low is not None and high is not None and low > high:
            ctx.add(path, f"start ({start}) is after end ({end})")
        dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx, DISTRIBUTIONS,
                                      None, None)
        spec = {"start": start, "end": end, "distribution": dist, "timezone": timezone}
        if kind != "time":
            read_on_empty(raw, path, ctx, spec)
        return spec

    return normalise


def _expression_or_default(kind: str, key: str, value: str, default: str, literal_problem: str, path: str,
                           ctx) -> str:
    """A bound that is not a literal: a bound expression in version 1.1 (dates and datetimes), else a problem."""
    if kind == "time" or ctx.version < 1.1:
        # The hint is for texts that are clearly expressions (a lone word such as 'yesterday' is just wrong).
        hint = f"; {VERSION_HINT}" if kind != "time" and not bound_problem(value) and not value.isidentifier() \
            else ""
        ctx.add(join(path, key), literal_problem + hint)
        return default
    problem = bound_problem(value)
    if problem:
        ctx.add(join(path, key), problem)
        return default
    return value
def _temporal_offsets(spec, env, span: int) -> np.ndarray:
    return sample_numbers(spec["distribution"], 0, span, env.rng("values"), env.n, integer=True)


def resolve_bound(kind: str, value: str, reference: datetime, tz):
    if kind == "date":
        return resolve_date(value, reference, tz)
    if kind == "datetime":
        return resolve_datetime(value, reference, tz)
    return resolve_time(value, reference, tz)


def temporal_offsets(spec, env, span: int) -> np.ndarray:
    return sample_numbers(spec["distribution"], 0, span, env.rng("values"), env.n, integer=True)
