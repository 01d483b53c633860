"""`when` conditions: which rows of a block match `{column, op, value}`, vectorised."""

from __future__ import annotations

import operator
from datetime import UTC, datetime

import numpy as np

from .timeparse import resolve_date, resolve_datetime, resolve_time
from .values import Col

_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
        ">=": operator.ge}


def matches(col: Col, op: str, value: object, reference_time: datetime) -> np.ndarray:
    """Boolean mask of rows where `column op value` holds; null rows match only `== null`."""
    nulls = col.null_mask()
    if op in ("==", "!=") and value is None:
        return nulls.copy() if op == "==" else ~nulls
    if op in ("in", "not_in"):
        present = [v for v in value if v is not None]
        hit = _member(col, present, reference_time)
        if any(v is None for v in value):
            hit = hit | nulls
            return hit if op == "in" else ~hit
        return (hit if op == "in" else ~hit) & ~nulls
    if value is None:
        return np.zeros(len(col), dtype=bool)
    values = col.values
    target = _comparable(col, value, reference_time)
    if col.kind == "json":
        result = np.fromiter((_safe(_OPS[op], v, target) for v in values), dtype=bool, count=len(values))
    else:
        result = np.asarray(_OPS[op](values, target), dtype=bool)
    return result & ~nulls


def _member(col: Col, items: list, reference_time: datetime) -> np.ndarray:
    targets = [_comparable(col, v, reference_time) for v in items]
    if col.kind in ("str", "json"):
        keys = {(type(t) is bool, t) for t in targets if _hashable(t)}
        return np.fromiter(((type(v) is bool, v) in keys if _hashable(v) else False for v in col.values),
                           dtype=bool, count=len(col.values))
    if not targets:
        return np.zeros(len(col.values), dtype=bool)
    return np.isin(col.values, np.array(targets, dtype=col.values.dtype))


def _comparable(col: Col, value: object, reference_time: datetime) -> object:
    if col.kind == "date":
        return np.datetime64(resolve_date(value, reference_time, UTC), "D")
    if col.kind == "datetime":
        return np.datetime64(resolve_datetime(value, reference_time, UTC).replace(tzinfo=None), "s")
    if col.kind == "time":
        return resolve_time(value, reference_time, UTC)
    return value


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _safe(func, left, right) -> bool:
    try:
        return bool(func(left, right))
    except TypeError:
        return False
