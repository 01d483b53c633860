"""Column type `expression`: arithmetic over numeric columns of the row."""

from __future__ import annotations

from ..column_types import (
    join,
    read_str,
)
from ..expressions import ExpressionError, compile_expression
from ..values import Col
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    text = read_str(raw, "expr", path, ctx, None, required=True)
    if text is not None:
        try:
            compile_expression(text)
        except ExpressionError as exc:
            ctx.add(join(path, "expr"), str(exc))
    return {"expr": text}


def sample(spec, env):
    expression = env.runtime.cached(("expr", spec["expr"]), lambda: compile_expression(spec["expr"]))
    cols = {name: env.ctx.get(name) for name in expression.names}
    values, invalid = expression.evaluate({name: col.values for name, col in cols.items()}, env.n)
    for col in cols.values():
        if col.nulls is not None:
            invalid = invalid | col.nulls
    kind = "int" if values.dtype.kind in "iu" else "float"
    return Col(kind, values, invalid if invalid.any() else None)


ENTRY = ColumnType(
    name="expression",
    keys=("expr",),
    normalise=normalise,
    sample=sample,
    value_kind="number",
    text_chars=24,
    row_bound=True,
    no_unique="expression values cannot be made unique",
)
