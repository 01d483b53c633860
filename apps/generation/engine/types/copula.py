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
  keep their rank correlation with the other columns. (Computed without the CDF: the latent normal is compared
  with Phi^-1 of the cumulative weights.)
- `given: {column, values, quantiles | weights}`: the marginal of the rows whose `column` (another column of
  the row, generated first) holds each listed value; other rows, and nulls, follow the marginal's own. The
  latent draw does not change, only the distribution it is mapped through.
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
MAX_GIVEN_VALUES = 50
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


def _read_points(kind: str, points, qwhere: str, ctx, size: int | None = None) -> list | None:
    """A list of quantile points of `kind` (ascending, 2 to MAX_QUANTILES of them, `size` when given), or None
    (problems added)."""
    if not isinstance(points, list) or not 2 <= len(points) <= MAX_QUANTILES:
        ctx.add(qwhere, f"must be a list of 2 to {MAX_QUANTILES} values")
        return None
    if size is not None and len(points) != size:
        ctx.add(qwhere, f"must have as many points as the marginal's quantiles ({size}), got {len(points)}")
        return None
    numbers = []
    for i, point in enumerate(points):
        if kind in ("date", "datetime"):
            number = _temporal_number(kind, point)
            if number is None:
                ctx.add(f"{qwhere}[{i}]", f"must be an ISO {kind} within the supported range")
                return None
        else:
            if not is_number(point) or abs(point) > limits.FLOAT_LIMIT:
                ctx.add(f"{qwhere}[{i}]", f"must be a number within +-{limits.FLOAT_LIMIT:g}")
                return None
            number = float(point)
        numbers.append(number)
    if any(b < a for a, b in zip(numbers, numbers[1:], strict=False)):
        ctx.add(qwhere, "must be in ascending order")
        return None
    return list(points)


def _read_given(marginal: dict, spec: dict, where: str, ctx) -> dict | None:
    """`given: {column, values, quantiles | weights}`: the marginal of the rows whose `column` holds each value."""
    given = marginal.get("given")
    if given is None:
        return None
    gwhere = join(where, "given")
    if ctx.version < 1.1 or not isinstance(given, dict):
        ctx.add(gwhere, "must be a mapping {column, values, quantiles} (or weights for kind choice)")
        return None
    table_key = "weights" if spec["kind"] == "choice" else "quantiles"
    for key in given:
        if key not in ("column", "values", table_key):
            ctx.add(join(gwhere, key), f"unknown key of `given` for a {spec['kind']} marginal")
    column = given.get("column")
    if not isinstance(column, str) or not column:
        ctx.add(join(gwhere, "column"), "is required: the column of the row whose value picks the marginal")
        return None
    values = given.get("values")
    rows = given.get(table_key)
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_GIVEN_VALUES:
        ctx.add(join(gwhere, "values"), f"must be a list of 1 to {MAX_GIVEN_VALUES} values")
        return None
    for i, value in enumerate(values):
        if not (isinstance(value, str | bool) or is_number(value)) or literal_problem(value):
            ctx.add(join(gwhere, f"values[{i}]"), f"must be a string, number or boolean, got {describe(value)}")
            return None
    if len({orjson.dumps(v) for v in values}) != len(values):
        ctx.add(join(gwhere, "values"), "must not repeat a value")
        return None
    if not isinstance(rows, list) or len(rows) != len(values):
        ctx.add(join(gwhere, table_key), f"must be a list of {len(values)} lists, one per value")
        return None
    out = []
    for i, row in enumerate(rows):
        rwhere = join(gwhere, f"{table_key}[{i}]")
        if table_key == "quantiles":
            points = _read_points(spec["kind"], row, rwhere, ctx, size=len(spec["quantiles"]))
            if points is None:
                return None
            out.append(points)
            continue
        count = len(spec["values"])
        if not isinstance(row, list) or len(row) != count or not all(
                is_number(w) and 0 <= w <= limits.FLOAT_LIMIT for w in row) or not sum(row) > 0:
            ctx.add(rwhere, f"must be {count} non-negative weights, not all zero (one per value of the marginal)")
            return None
        out.append([float(w) for w in row])
    return {"column": column, "values": list(values), table_key: out}


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
    allowed = {"kind", "values", "weights", "given"} if kind == "choice" else {"kind", "quantiles", "precision",
                                                                                  "given"}
    for key in marginal:
        if key not in allowed:
            ctx.add(join(where, key), f"unknown key for a {kind} marginal")
    if kind == "choice":
        from .choice import normalise as normalise_choice

        spec = {"kind": "choice", **normalise_choice({k: v for k, v in marginal.items() if k != "given"}, where,
                                                     ctx, 0)}
    else:
        points = _read_points(kind, marginal.get("quantiles"), join(where, "quantiles"), ctx)
        spec = {"kind": kind, "quantiles": points or []}
        if kind == "float":
            spec["precision"] = read_int(marginal, "precision", where, ctx, 2, minimum=0, maximum=12)
        if points is None:
            return spec
    given = _read_given(marginal, spec, where, ctx)
    if given is not None:
        spec["given"] = given
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
    # einsum's own loops, not a BLAS product: OpenBLAS threads on a shared or pinned core took from 0.1 to 45 ms
    # for this (16,384 x 13) product, and its kernels differ between processors.
    latent = np.einsum("ij,kj->ik", rng.standard_normal((block_len, len(factor))), factor)
    cache[key] = latent
    total = sum(value.nbytes for value in cache.values())
    while total > LATENT_CACHE_BYTES and len(cache) > 1:
        _, dropped = cache.popitem(last=False)
        total -= dropped.nbytes
    return latent


def _thresholds(weights, count: int) -> np.ndarray:
    """The latent values at which a choice moves to its next value: Phi^-1 of the cumulative weights. Comparing
    a latent normal with them picks what comparing its uniform Phi(z) with the cumulative weights would."""
    weights = np.asarray(weights or [1.0] * count, dtype=np.float64)
    return normal_ppf(np.cumsum(weights / weights.sum()))


def _grid_values(uniform: np.ndarray, points: np.ndarray, steps: np.ndarray, case: np.ndarray | None = None):
    """The empirical quantile function at `uniform`: linear between points at equally spaced probabilities
    (np.interp over that grid, without its search: the cell is the uniform times the number of cells). With
    `case`, points and steps have one row per case and each value reads its row's."""
    cells = points.shape[-1] - 1
    position = uniform * cells
    cell = np.minimum(position.astype(np.intp), cells - 1)
    if case is None:
        return points[cell] + (position - cell) * steps[cell]
    return points[case, cell] + (position - cell) * steps[case, cell]


def _cases(spec, env) -> np.ndarray | None:
    """With `given`: the case of each row (the index of its `column` value in `given.values`; the number of
    values for a value not listed or null: the marginal's own distribution). None without `given`."""
    given = spec["marginal"].get("given")
    if given is None:
        return None
    col = env.ctx.get(given["column"])
    values = col.values
    case = np.full(len(values), len(given["values"]), dtype=np.intp)
    if col.kind not in ("int", "float", "str", "bool"):
        return case  # dates and the like are not matched: every row follows the marginal's own distribution
    for i, value in enumerate(given["values"]):
        if isinstance(value, bool) != (col.kind == "bool"):
            continue  # True == 1 in numpy: a boolean value matches only a boolean column
        if col.kind in ("int", "float") and not is_number(value):
            continue
        if col.kind == "str" and not isinstance(value, str):
            continue
        case[values == value] = i
    if col.nulls is not None:
        case[col.nulls] = len(given["values"])
    return case


def _sample_choice(spec, env, normals: np.ndarray, case: np.ndarray | None) -> Col:
    from ..generators import choice_array, value_key

    marginal = spec["marginal"]
    values_kind, pool = env.runtime.cached(("choice", value_key(marginal["values"])),
                                           lambda: choice_array(marginal["values"]))
    key = orjson.dumps([marginal["weights"], (marginal.get("given") or {}).get("weights")])
    tables = env.runtime.cached(("copula-thresholds", len(pool), key), lambda: [
        _thresholds(w, len(pool)) for w in [*(marginal.get("given") or {}).get("weights", []), marginal["weights"]]])
    if case is None:
        picks = np.searchsorted(tables[-1], normals, side="right")
    else:
        picks = np.empty(len(normals), dtype=np.intp)
        for i, thresholds in enumerate(tables):
            rows = case == i
            picks[rows] = np.searchsorted(thresholds, normals[rows], side="right")
    return Col(values_kind, pool[np.minimum(picks, len(pool) - 1)])


def _quantile_table(spec, env) -> tuple[np.ndarray, np.ndarray]:
    """(points, steps) of the marginal as numbers: one row per `given` value, then the marginal's own; one
    row without `given`."""
    marginal = spec["marginal"]
    given = marginal.get("given")
    lists = [*(given["quantiles"] if given else []), marginal["quantiles"]]

    def build():
        kind = marginal["kind"]
        if kind in ("date", "datetime"):
            points = np.asarray([[_temporal_number(kind, p) for p in row] for row in lists], dtype=np.float64)
        else:
            points = np.asarray(lists, dtype=np.float64)
        if given is None:
            points = points[0]
        return points, np.diff(points, axis=-1)

    return env.runtime.cached(("copula-quantiles", orjson.dumps(lists), marginal["kind"]), build)


def sample(spec, env):
    latent = _latent(spec, env)
    positions = env.rows - env.block * BLOCK_ROWS
    normals = latent[positions, spec["index"]]
    case = _cases(spec, env)
    marginal = spec["marginal"]
    kind = marginal["kind"]
    if kind == "choice":
        return _sample_choice(spec, env, normals, case)
    points, steps = _quantile_table(spec, env)
    numbers = _grid_values(normal_cdf(normals), points, steps, case)
    low, high = points[..., 0].min(), points[..., -1].max()
    if kind == "float":
        return Col("float", np.round(numbers, marginal.get("precision", 2)))
    if kind == "int":
        return Col("int", np.clip(np.rint(numbers), low, high).astype(np.int64))
    if kind == "date":
        days = np.clip(np.floor(numbers), low, high).astype(np.int64)
        return Col("date", np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]"))
    seconds = np.clip(np.floor(numbers), low, high).astype(np.int64)
    return Col("datetime", np.datetime64("1970-01-01T00:00:00", "s") + seconds.astype("timedelta64[s]"))


def reads(spec, columns, name):
    given = spec["marginal"].get("given")
    return [given["column"]] if given and given["column"] != name and given["column"] in columns else []


def check_links(doc, table_name, table, name, spec, path, ctx):
    """The `given` column of the marginal, and of each `when` clause's marginal, is another column of the table."""
    variants = [(spec.get("marginal"), join(path, "marginal"))] + [
        (clause["then"].get("marginal"), join(path, f"when[{i}].then.marginal"))
        for i, clause in enumerate(spec.get("when", []))]
    for marginal, where in variants:
        given = (marginal or {}).get("given")
        if given is None:
            continue
        if given["column"] == name:
            ctx.add(join(where, "given.column"), "must name another column of the table, not the column itself")
        elif given["column"] not in table["columns"]:
            ctx.add(join(where, "given.column"), f"names no column of table {table_name!r}: {given['column']!r}")


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
    reads=reads,
    check_links=check_links,
)
