"""Numeric draws for every distribution of the language, clipped to [low, high]."""

from __future__ import annotations

import numpy as np


def sample_numbers(distribution: dict, low: float, high: float, rng: np.random.Generator, size: int, *,
                   integer: bool) -> np.ndarray:
    """`size` draws clipped to [low, high]: int64 when `integer`, else float64.

    Parameters left null in the normalised document take range-based defaults: normal mean at the
    middle and std a sixth of the range, exponential scale a quarter of it, poisson lam the middle.
    """
    name, params = next(iter(distribution.items()))
    span = high - low
    if name == "uniform":
        if integer:
            return rng.integers(int(low), int(high), size, endpoint=True, dtype=np.int64)
        return rng.uniform(low, high, size) if span > 0 else np.full(size, float(low))
    if name == "normal":
        mean = params.get("mean")
        std = params.get("std")
        raw = rng.normal(low + span / 2 if mean is None else mean, span / 6 if std is None else std, size)
    elif name == "lognormal":
        raw = rng.lognormal(params.get("mean", 0.0), params.get("sigma", 1.0), size)
    elif name == "exponential":
        scale = params.get("scale")
        raw = rng.exponential(max(span / 4, 1e-9) if scale is None else scale, size)
    elif name == "poisson":
        lam = params.get("lam")
        raw = rng.poisson(max(low + span / 2, 0.0) if lam is None else lam, size).astype(np.float64)
    elif name == "zipf":
        raw = rng.zipf(params.get("a", 2.0), size).astype(np.float64)
    else:
        raise ValueError(f"unknown distribution {name!r}")
    if integer:
        return np.clip(np.rint(raw), low, high).astype(np.int64)
    return np.clip(raw, low, high)
