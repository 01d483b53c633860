"""Column type `expression`: arithmetic over columns of the row (version 1.1: dates, parents, draws too)."""

from __future__ import annotations

from ..bounds import scope_for
from ..column_types import (
    join,
    read_str,
)
from ..expressions import ExpressionError, compile_expression
from ..typed_expressions import compile_typed
from ..values import Col
from .base import ColumnType

_DTYPES = {"date": "datetime64[D]", "datetime": "datetime64[s]"}


def normalise(raw, path, ctx, nested):
    text = read_str(raw, "expr", path, ctx, None, required=True)
    typed = ctx.version >= 1.1
    if text is not None:
        try:
            compile_typed(text) if typed else compile_expression(text)
        except ExpressionError as exc:
            ctx.add(join(path, "expr"), str(exc))
    # `result`, the kind of value the expression makes, is worked out by validation once every column's kind
    # is known; its presence marks a version 1.1 expression.
    return {"expr": text, "result": None} if typed else {"expr": text}


def sample(spec, env):
    if "result" in spec:
        return _typed(spec, env)
    expression = env.runtime.cached(("expr", spec["expr"]), lambda: compile_expression(spec["expr"]))
    cols = {name: env.ctx.get(name) for name in expression.names}
    values, invalid = expression.evaluate({name: col.values for name, col in cols.items()}, env.n)
    for col in cols.values():
        if col.nulls is not None:
            invalid = invalid | col.nulls
    kind = "int" if values.dtype.kind in "iu" else "float"
    return Col(kind, values, invalid if invalid.any() else None)


def _typed(spec, env):
    expression = env.runtime.cached(("typed", spec["expr"]), lambda: compile_typed(spec["expr"]))
    scope, nulls = scope_for(expression, env, "UTC", "expr")
    value, invalid = expression.evaluate(scope, env.n)
    invalid |= nulls
    values = value.values.astype(_DTYPES[value.kind]) if value.kind in _DTYPES else value.values
    return Col(value.kind, values, invalid if invalid.any() else None)


ENTRY = ColumnType(
    name="expression",
    keys=("expr",),
    normalise=normalise,
    sample=sample,
    row_bound=True,
    no_unique="expression values cannot be made unique",
)
