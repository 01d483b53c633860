"""Column type `copula` (version 1.1): columns of a table drawn jointly through a Gaussian copula.

Every column of one group carries the group's name, the group's correlation matrix and its own `index` in it,
plus its own marginal. For each block of rows the group draws one matrix of correlated standard normals
(rows x size, from a stream named after the table, the group and the block: never the column), and each
column maps its own latent column through the normal CDF to a uniform and through its marginal's inverse
CDF to a value:

    amount:  {type: copula, group: spend, index: 0, correlation: [[1, 0.6], [0.6, 1]],
              marginal: {kind: float, quantiles: [0, 12.5, 40, 95.2, 1800], precision: 2}}
    visits:  {type: copula, group: spend, index: 1, correlation: [[1, 0.6], [0.6, 1]],
              marginal: {kind: int, quantiles: [0, 1, 3, 6, 40]}}
    segment: {type: copula, group: spend, index: 2, ...   marginal: {kind: choice, values: [a, b], weights: [3, 1]}}

- `quantiles`: ascending values at equally spaced probabilities 0, 1/(m-1), ..., 1 (2 to 1,001 points); a
  value is interpolated linearly between them (an empirical quantile function). Kinds int, float, date (ISO
  dates) and datetime (ISO datetimes, UTC). `precision` rounds floats (default 2).
- `choice`: the uniform picks a value by the cumulative weights, in the order listed; ordered categories
  keep their rank correlation with the other columns.
- The factor of the matrix is its eigen-decomposition with negative eigenvalues clipped to 0, so a matrix
  rounded for reading still works; validation refuses one that is not symmetric, has a diagonal other than 1,
  entries outside [-1, 1] or an eigenvalue below -0.01 (not a correlation matrix).
- Deterministic and chunk-invariant: the latent matrix of a block depends only on (seed, table, group,
  block). Columns that give one group different matrices are different groups (the stream is named after the
  matrix too), so an edit of one column's copy never makes another column's draws depend on it.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, date, datetime

import numpy as np
import orjson

from .. import limits
from ..column_types import describe, is_number, join, literal_problem, read_int, read_str
from ..randomness import derive_rng
from ..rowcounts import BLOCK_ROWS
from ..values import Col
from .base import ColumnType

MAX_GROUP_SIZE = 24
MAX_QUANTILES = 1001
MARGINAL_KINDS = ("int", "float", "date", "datetime", "choice")
_EPOCH_DAY = date(1970, 1, 1)
_VALUE_KINDS = {"int": "int", "float": "float", "date": "date", "datetime": "datetime"}


# ----------------------------------------------------------------------------- the normal distribution

def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x), vectorised: erfc by its Chebyshev fit (Numerical Recipes' erfcc), relative error under 1.2e-7."""
    x = np.asarray(x, dtype=np.float64)
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - 0.5 * erfc, 0.5 * erfc)


_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
      -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
      -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
      4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


def normal_ppf(p: np.ndarray) -> np.ndarray:
    """Phi^-1(p) for p in (0, 1), vectorised (Acklam's algorithm, relative error under 1.2e-9)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    out = np.empty_like(p)
    low, high = p < 0.02425, p > 1 - 0.02425
    mid = ~(low | high)
    q = np.sqrt(-2 * np.log(p[low]))
    out[low] = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
        (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1)
    q = np.sqrt(-2 * np.log(1 - p[high]))
    out[high] = -(((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
        (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1)
    q = p[mid] - 0.5
    r = q * q
    out[mid] = (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q / (
        ((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1)
    return out


def correlation_factor(matrix: np.ndarray) -> np.ndarray:
    """F with F @ F.T == matrix (negative eigenvalues clipped to 0, the diagonal kept at 1)."""
    values, vectors = np.linalg.eigh(matrix)
    factor = vectors * np.sqrt(np.clip(values, 0.0, None))
    norms = np.sqrt((factor * factor).sum(axis=1))
    return factor / np.where(norms > 0, norms, 1.0)[:, None]


# ----------------------------------------------------------------------------- normalising

def _read_matrix(raw, path, ctx) -> list[list[float]]:
    matrix = raw.get("correlation")
    where = join(path, "correlation")
    if matrix is None:
        ctx.add(where, "is required")
        return [[1.0]]
    if not isinstance(matrix, list) or not matrix or len(matrix) > MAX_GROUP_SIZE:
        ctx.add(where, f"must be a square list of lists with 1 to {MAX_GROUP_SIZE} rows")
        return [[1.0]]
    size = len(matrix)
    for i, row in enumerate(matrix):
        if not isinstance(row, list) or len(row) != size or not all(is_number(v) for v in row):
            ctx.add(f"{where}[{i}]", f"must be a list of {size} numbers")
            return [[1.0] * size for _ in range(size)]
    values = np.asarray(matrix, dtype=np.float64)
    if not np.all(np.abs(values) <= 1):
        ctx.add(where, "entries must be between -1 and 1")
    elif not np.allclose(np.diag(values), 1.0):
        ctx.add(where, "the diagonal must be 1")
    elif not np.allclose(values, values.T, atol=1e-9):
        ctx.add(where, "must be symmetric")
    elif np.linalg.eigvalsh(values).min() < -0.01:
        ctx.add(where, "is not a correlation matrix (it has a negative eigenvalue)")
    return [[float(v) for v in row] for row in matrix]


def _temporal_number(kind: str, value) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        if kind == "date":
            return float((date.fromisoformat(value) - _EPOCH_DAY).days)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if not (limits.MIN_DATETIME <= moment <= limits.MAX_DATETIME):
            return None
        return moment.timestamp()
    except ValueError:
        return None


def _read_marginal(raw, path, ctx) -> dict:
    marginal = raw.get("marginal")
    where = join(path, "marginal")
    if not isinstance(marginal, dict):
        ctx.add(where, "is required: a mapping with `kind` and `quantiles` (or `values` for kind choice)")
        return {"kind": "float", "quantiles": [0.0, 1.0], "precision": 2}
    kind = marginal.get("kind")
    if kind not in MARGINAL_KINDS:
        ctx.add(join(where, "kind"), f"must be one of {', '.join(MARGINAL_KINDS)}, got {describe(kind)}")
        return {"kind": "float", "quantiles": [0.0, 1.0], "precision": 2}
    allowed = {"kind", "values", "weights"} if kind == "choice" else {"kind", "quantiles", "precision"}
    for key in marginal:
        if key not in allowed:
            ctx.add(join(where, key), f"unknown key for a {kind} marginal")
    if kind == "choice":
        from .choice import normalise as normalise_choice

        choice = normalise_choice(marginal, where, ctx, 0)
        return {"kind": "choice", **choice}
    points = marginal.get("quantiles")
    qwhere = join(where, "quantiles")
    if not isinstance(points, list) or not 2 <= len(points) <= MAX_QUANTILES:
        ctx.add(qwhere, f"must be a list of 2 to {MAX_QUANTILES} values")
        points = []
    numbers = []
    for i, point in enumerate(points):
        if kind in ("date", "datetime"):
            number = _temporal_number(kind, point)
            if number is None:
                ctx.add(f"{qwhere}[{i}]", f"must be an ISO {kind} within the supported range")
                return {"kind": kind, "quantiles": [], "precision": 2}
        else:
            if not is_number(point) or abs(point) > limits.FLOAT_LIMIT:
                ctx.add(f"{qwhere}[{i}]", f"must be a number within +-{limits.FLOAT_LIMIT:g}")
                return {"kind": kind, "quantiles": [], "precision": 2}
            number = float(point)
        numbers.append(number)
    if any(b < a for a, b in zip(numbers, numbers[1:], strict=False)):
        ctx.add(qwhere, "must be in ascending order")
    spec = {"kind": kind, "quantiles": list(points)}
    if kind == "float":
        spec["precision"] = read_int(marginal, "precision", where, ctx, 2, minimum=0, maximum=12)
    return spec


def normalise(raw, path, ctx, nested):
    if ctx.version < 1.1:
        ctx.add(join(path, "type"), "the copula type needs `version: 1.1`")
    group = read_str(raw, "group", path, ctx, "", required=True)
    if group and (problem := literal_problem(group)):
        ctx.add(join(path, "group"), problem)
    matrix = _read_matrix(raw, path, ctx)
    index = read_int(raw, "index", path, ctx, 0, minimum=0, maximum=len(matrix) - 1)
    return {"group": group, "index": index, "correlation": matrix, "marginal": _read_marginal(raw, path, ctx)}


# ----------------------------------------------------------------------------- sampling

# Latent blocks are kept per plan runtime, up to this many bytes: the engine computes a chunk column by column,
# so each block's latent matrix is asked for once per column of the group, and the runtime's own block cache
# may have dropped the block in between.
LATENT_CACHE_BYTES = 64 << 20


def _latent(spec, env) -> np.ndarray:
    """The group's correlated normals for the whole block this env's rows belong to (rows x size)."""
    matrix_key = orjson.dumps(spec["correlation"])
    block_lo = env.block * BLOCK_ROWS
    block_len = max(0, min(BLOCK_ROWS, env.table.row_count - block_lo))
    key = (env.table.name, spec["group"], matrix_key, env.block)
    cache: OrderedDict = env.runtime.__dict__.setdefault("_copula_latent", OrderedDict())
    latent = cache.get(key)
    if latent is not None:
        cache.move_to_end(key)
        return latent
    factor = env.runtime.cached(("copula-factor", matrix_key),
                                lambda: correlation_factor(np.asarray(spec["correlation"], dtype=np.float64)))
    rng = derive_rng(env.runtime.seed, env.table.name, "copula", spec["group"], matrix_key.decode(), env.block)
    latent = rng.standard_normal((block_len, len(factor))) @ factor.T
    cache[key] = latent
    total = sum(value.nbytes for value in cache.values())
    while total > LATENT_CACHE_BYTES and len(cache) > 1:
        _, dropped = cache.popitem(last=False)
        total -= dropped.nbytes
    return latent


def _quantile_points(spec, env, path_key) -> np.ndarray:
    marginal = spec["marginal"]

    def build():
        kind = marginal["kind"]
        if kind in ("date", "datetime"):
            return np.asarray([_temporal_number(kind, p) for p in marginal["quantiles"]], dtype=np.float64)
        return np.asarray(marginal["quantiles"], dtype=np.float64)

    return env.runtime.cached(("copula-quantiles", path_key, orjson.dumps(marginal["quantiles"])), build)


def _choice_thresholds(marginal, env) -> np.ndarray:
    """The latent values at which a choice moves to its next value: Phi^-1 of the cumulative weights. A value
    is picked by comparing the latent normal with them, which picks what comparing its uniform Phi(z) with the
    cumulative weights would, without computing Phi."""

    def build():
        weights = np.asarray(marginal["weights"] or [1.0] * len(marginal["values"]), dtype=np.float64)
        return normal_ppf(np.cumsum(weights / weights.sum()))

    return env.runtime.cached(("copula-thresholds", orjson.dumps(marginal["weights"]), len(marginal["values"])),
                              build)


def _grid_values(uniform: np.ndarray, points: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The empirical quantile function at `uniform`: linear between points at equally spaced probabilities
    (np.interp over that grid, without its search: the cell is the uniform times the number of cells)."""
    position = uniform * (len(points) - 1)
    cell = np.minimum(position.astype(np.intp), len(points) - 2)
    return points[cell] + (position - cell) * steps[cell]


def sample(spec, env):
    latent = _latent(spec, env)
    positions = env.rows - env.block * BLOCK_ROWS
    normals = latent[positions, spec["index"]]
    marginal = spec["marginal"]
    kind = marginal["kind"]
    if kind == "choice":
        from ..generators import choice_array, value_key

        values_kind, pool = env.runtime.cached(("choice", value_key(marginal["values"])),
                                               lambda: choice_array(marginal["values"]))
        thresholds = _choice_thresholds(marginal, env)
        picks = np.minimum(np.searchsorted(thresholds, normals, side="right"), len(pool) - 1)
        return Col(values_kind, pool[picks])
    points = _quantile_points(spec, env, (env.table.name, env.path))
    steps = env.runtime.cached(("copula-steps", points.tobytes()), lambda: np.diff(points))
    numbers = _grid_values(normal_cdf(normals), points, steps)
    if kind == "float":
        return Col("float", np.round(numbers, marginal.get("precision", 2)))
    if kind == "int":
        return Col("int", np.clip(np.rint(numbers), points[0], points[-1]).astype(np.int64))
    if kind == "date":
        days = np.clip(np.floor(numbers), points[0], points[-1]).astype(np.int64)
        return Col("date", np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]"))
    seconds = np.clip(np.floor(numbers), points[0], points[-1]).astype(np.int64)
    return Col("datetime", np.datetime64("1970-01-01T00:00:00", "s") + seconds.astype("timedelta64[s]"))


def spec_kind(spec: dict) -> str:
    """The kind of value a copula column holds: its marginal's (a choice's follows its values)."""
    marginal = spec.get("marginal") or {}
    kind = marginal.get("kind")
    if kind == "choice":
        from ..analysis import kind_of_values

        return kind_of_values(marginal.get("values") or [])
    return _VALUE_KINDS.get(kind, "float")


def spec_size(spec: dict) -> tuple[int, bool]:
    """(most characters of a value's text, quoted) for the row-size bound."""
    marginal = spec.get("marginal") or {}
    if marginal.get("kind") == "choice":
        texts = [orjson.dumps(v).decode() for v in marginal.get("values") or [""]]
        return max(len(t) for t in texts), any(isinstance(v, str) for v in marginal.get("values") or [])
    if marginal.get("kind") in ("date", "datetime"):
        return 25, True
    return 24, False


ENTRY = ColumnType(
    name="copula",
    keys=("group", "index", "correlation", "marginal"),
    normalise=normalise,
    sample=sample,
    no_unique="a copula column's values follow its marginal distribution, not a domain of distinct values",
    row_bound=True,
    structural_keys=("group", "index", "correlation"),
    always_valued=True,
    spec_kind=spec_kind,
    spec_size=spec_size,
)
