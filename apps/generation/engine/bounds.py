"""Bounds from other columns (schema language 1.1): `start`/`end` of date and datetime columns and `min`/`max`
of integer and float columns given as expressions of the row (typed_expressions), drawn per row.

A bound that reads as a version-1 literal (an ISO value or `today`/`-2y` for dates, a number for numbers) is
*static* and generates exactly as in version 1. A column with any other bound takes its interval per row:
both bounds are evaluated over the block's rows, the value is drawn inside [low, high] with the column's
distribution (parameters left to their defaults follow the row's interval), and a row whose interval is
empty gets what `on_empty` says: `clamp` (the lower bound), `null`, or `error` (the chunk fails naming the
column and the row). A row where a bound is null (a null column, a date outside years 1..9999) gets null.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from . import limits
from .errors import GenerationError
from .expressions import ExpressionError
from .timeparse import TimeValueError, resolve_date, resolve_datetime, timezone_for
from .typed_expressions import Scope, TypedExpression, Value, compile_typed
from .values import Col

if TYPE_CHECKING:
    from .runtime import Env

BOUND_KEYS = {"date": ("start", "end"), "datetime": ("start", "end"), "integer": ("min", "max"),
              "float": ("min", "max")}
ON_EMPTY = ("clamp", "null", "error")
# The kinds of expression result each column type accepts as a bound.
ACCEPTED = {"date": ("date", "datetime"), "datetime": ("date", "datetime"), "integer": ("int",),
            "float": ("int", "float")}
_EPOCH = date(1970, 1, 1)
_PROBE = datetime(2000, 1, 1, tzinfo=UTC)


def is_static(kind: str, value: object) -> bool:
    """Whether a bound is a version-1 literal (its meaning and bytes are version 1's)."""
    if kind in ("integer", "float"):
        return not isinstance(value, str)
    if not isinstance(value, str):
        return True
    try:
        (resolve_date if kind == "date" else resolve_datetime)(value, _PROBE, UTC)
    except TimeValueError:
        return False
    return True


@lru_cache(maxsize=1024)
def compiled(text: str) -> TypedExpression:
    return compile_typed(text)


def expression_bounds(spec: dict) -> dict[str, str]:
    """The bounds of a spec that are expressions, by key."""
    kind = spec.get("type")
    return {key: spec[key] for key in BOUND_KEYS.get(kind, ()) if not is_static(kind, spec.get(key))}


def has_expression_bounds(spec: dict) -> bool:
    return bool(expression_bounds(spec))


def bound_problem(text: object) -> str | None:
    """Why a bound expression cannot be read (syntax, allow-list, sizes), or None."""
    if not isinstance(text, str):
        return f"must be a literal or a bound expression, got {type(text).__name__}"
    try:
        compiled(text)
    except ExpressionError as exc:
        return str(exc)
    return None


def kind_problem(column_type: str, result: str) -> str | None:
    if result in ACCEPTED[column_type]:
        return None
    wanted = " or ".join(ACCEPTED[column_type])
    return f"is a {result} expression; a bound of a {column_type} column must be {wanted}"


# ----------------------------------------------------------------------------- generation
def column_value(col: Col) -> Value:
    if col.kind == "date":
        return Value("date", col.values.astype("datetime64[D]").astype(np.int64))
    if col.kind == "datetime":
        return Value("datetime", col.values.astype("datetime64[s]").astype(np.int64))
    if col.kind in ("int", "float", "bool", "str"):
        return Value(col.kind, col.values)
    raise ExpressionError(f"{col.kind} values cannot be read by an expression")


def scope_for(expression: TypedExpression, env: Env, timezone: str, purpose: str) -> tuple[Scope, np.ndarray]:
    """The columns an expression reads for env's rows, and the rows where any of them is null."""
    nulls = np.zeros(env.n, dtype=bool)
    columns = {}
    for name in expression.names:
        col = env.ctx.get(name)
        columns[(name, None)] = column_value(col)
        nulls |= col.null_mask()
    for reference, field in expression.refs:
        col = env.ctx.referenced(reference, field)
        columns[(reference, field)] = column_value(col)
        nulls |= col.null_mask()
    reference_time = env.runtime.reference_time
    local = reference_time.astimezone(timezone_for(timezone))
    today = (local.date() - _EPOCH).days
    now = int((reference_time - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
    scope = Scope(columns, today=today, now=now, draw=lambda i: env.rng(f"{purpose}.draw{i}"))
    return scope, nulls


def _static_bound(kind: str, value, env: Env, timezone: str) -> np.ndarray:
    if kind == "date":
        day = resolve_date(value, env.runtime.reference_time, timezone_for(timezone))
        return np.full(env.n, (day - _EPOCH).days, dtype=np.int64)
    if kind == "datetime":
        moment = resolve_datetime(value, env.runtime.reference_time, timezone_for(timezone))
        seconds = int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
        return np.full(env.n, seconds, dtype=np.int64)
    return np.full(env.n, value, dtype=np.int64 if kind == "integer" else np.float64)


def _expression_bound(kind: str, text: str, env: Env, timezone: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    expression = env.runtime.cached(("bound", text), lambda: compiled(text))
    scope, nulls = scope_for(expression, env, timezone, key)
    value, invalid = expression.evaluate(scope, env.n)
    invalid |= nulls
    values = value.values
    if kind == "date" and value.kind == "datetime":
        values = values // 86400
    elif kind == "datetime" and value.kind == "date":
        values = values * 86400
    elif kind == "integer":
        too_big = np.abs(values) > limits.INT_LIMIT
        invalid |= too_big
        values = np.where(too_big, 0, values)
    elif kind == "float":
        values = values.astype(np.float64)
        too_big = np.abs(values) > limits.FLOAT_LIMIT
        invalid |= too_big
        values = np.where(too_big, 0.0, values)
    return values, invalid


def row_bounds(spec: dict, env: Env) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, high, null rows): per-row bounds as days (date), seconds (datetime) or numbers."""
    kind = spec["type"]
    timezone = spec.get("timezone", "UTC")
    out = []
    nulls = np.zeros(env.n, dtype=bool)
    for key in BOUND_KEYS[kind]:
        value = spec[key]
        if is_static(kind, value):
            out.append(_static_bound(kind, value, env, timezone))
        else:
            values, invalid = _expression_bound(kind, value, env, timezone, key)
            out.append(values)
            nulls |= invalid
    return out[0], out[1], nulls


def sample_in_rows(distribution: dict, low: np.ndarray, high: np.ndarray, rng: np.random.Generator, size: int, *,
                   integer: bool) -> np.ndarray:
    """One draw per row inside [low[i], high[i]] (high >= low), defaults following each row's interval."""
    name, params = next(iter(distribution.items()))
    difference = high - low
    # Integer bounds within +-2**62 can be 2**63 apart, one past int64: those spans are taken in floats.
    wide = difference < 0
    span = np.where(wide, high.astype(np.float64) - low.astype(np.float64), difference.astype(np.float64))
    if name == "uniform":
        draws = rng.random(size)
        if integer:
            offsets = np.minimum(np.floor(draws * (span + 1)), span)
            if not wide.any():
                return low + offsets.astype(np.int64)
            # A float sum below 2**62 + 2**10 converts to int64 safely; the clip keeps each row's interval.
            spread = np.where(wide, np.rint(low.astype(np.float64) + offsets), 0.0).astype(np.int64)
            return np.clip(np.where(wide, spread, low + np.where(wide, 0, offsets).astype(np.int64)), low, high)
        return low + span * draws
    if name == "normal":
        mean, std = params.get("mean"), params.get("std")
        raw = rng.normal(low + span / 2 if mean is None else mean, span / 6 if std is None else std, size)
    elif name == "lognormal":
        raw = rng.lognormal(params.get("mean", 0.0), params.get("sigma", 1.0), size)
    elif name == "exponential":
        scale = params.get("scale")
        raw = rng.exponential(np.maximum(span / 4, 1e-9) if scale is None else scale, size)
    elif name == "poisson":
        lam = params.get("lam")
        raw = rng.poisson(np.maximum(low + span / 2, 0.0) if lam is None else lam, size).astype(np.float64)
    else:
        raw = rng.zipf(params.get("a", 2.0), size).astype(np.float64)
    if integer:
        return np.clip(np.rint(raw), low, high).astype(np.int64)
    return np.clip(raw, low, high)


def sample_bounded(spec: dict, env: Env) -> Col:
    """Values of a column with bound expressions, per row (see the module's docstring)."""
    kind = spec["type"]
    low, high, nulls = row_bounds(spec, env)
    empty = (low > high) & ~nulls
    if empty.any() and spec.get("on_empty", "clamp") == "error":
        row = int(env.rows[np.flatnonzero(empty)[0]])
        first, second = BOUND_KEYS[kind]
        raise GenerationError(f"tables.{env.table.name}.columns.{env.path}: row {row}: the interval is empty "
                              f"({first} {_shown(kind, low[empty][0])} is after {second} "
                              f"{_shown(kind, high[empty][0])}); on_empty is error")
    safe_high = np.where(empty | nulls, low, high)
    distribution = spec["distribution"]
    rng = env.rng("values")
    if kind in ("date", "datetime"):
        offsets = sample_in_rows(distribution, np.zeros(env.n, dtype=np.int64), safe_high - low, rng, env.n,
                                 integer=True)
        values = low + offsets
        col = (Col("date", values.astype("datetime64[D]")) if kind == "date"
               else Col("datetime", values.astype("datetime64[s]"), timezone=spec["timezone"]))
    elif kind == "integer":
        col = Col("int", sample_in_rows(distribution, low, safe_high, rng, env.n, integer=True))
    else:
        raw = sample_in_rows(distribution, low, safe_high, rng, env.n, integer=False)
        col = Col("float", np.clip(np.round(raw, spec["precision"]), low, safe_high))
    if spec.get("on_empty", "clamp") == "null":
        nulls = nulls | empty
    return col.with_nulls(nulls)


def _shown(kind: str, value) -> str:
    if kind == "date":
        return str(np.datetime64(int(value), "D"))
    if kind == "datetime":
        return str(np.datetime64(int(value), "s")) + "Z"
    return str(value)


def reads(spec: dict) -> list[tuple[str, str | None]]:
    """What a version 1.1 spec reads from its row: (column, None) or (reference column, parent column), from its
    bound expressions and, for an expression column, its `expr`. Broken texts read nothing (validation says why)."""
    texts = list(expression_bounds(spec).values())
    if spec.get("type") == "expression" and "result" in spec:
        texts.append(spec.get("expr"))
    found: list[tuple[str, str | None]] = []
    for text in texts:
        try:
            expression = compiled(text) if isinstance(text, str) else None
        except ExpressionError:
            expression = None
        if expression is not None:
            found.extend((name, None) for name in expression.names)
            found.extend(expression.refs)
    return list(dict.fromkeys(found))
