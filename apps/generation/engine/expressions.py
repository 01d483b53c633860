"""Safe arithmetic expressions over the columns of a row, evaluated on whole numpy arrays.

The text is parsed with `ast` and only a whitelist of nodes is accepted: numbers, column names,
`+ - * / // % **`, unary minus/plus, parentheses and calls of round(), min(), max(), abs().
Nothing is ever passed to eval(). Rows where an operation is undefined (division by zero,
overflow to infinity, NaN) come back flagged as invalid, and the column makes them null.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

MAX_EXPRESSION_LENGTH = 2000
MAX_DEPTH = 50
FUNCTIONS = ("round", "min", "max", "abs")

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}


class ExpressionError(ValueError):
    """The expression text is not in the accepted language."""


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.expr
    names: tuple[str, ...]

    def evaluate(self, columns: Mapping[str, np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray]:
        """(values, invalid): int64 or float64 values and a mask of rows with no defined result."""
        invalid = np.zeros(size, dtype=bool)
        with np.errstate(all="ignore"):
            values = _Evaluator(columns, size, invalid).visit(self.tree)
        values = np.broadcast_to(values, (size,)).copy()
        if values.dtype.kind == "f":
            invalid |= ~np.isfinite(values)
            values[invalid] = 0.0
        elif values.dtype.kind == "b":
            values = values.astype(np.int64)
        return values, invalid


def compile_expression(text: object) -> Expression:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression must be a non-empty string")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"invalid expression syntax: {getattr(exc, 'msg', exc)}") from exc
    names: list[str] = []
    _check(tree, names, 0)
    return Expression(text, tree, tuple(dict.fromkeys(names)))


def _check(node: ast.AST, names: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError("expression is nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ExpressionError(f"only numbers are allowed as literals, not {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function and must be called")
        names.append(node.id)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
        _check(node.left, names, depth + 1)
        _check(node.right, names, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
        _check(node.operand, names, depth + 1)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError("only round(), min(), max() and abs() may be called")
        if node.keywords:
            raise ExpressionError(f"{node.func.id}() takes no keyword arguments")
        count = len(node.args)
        name = node.func.id
        if name == "abs" and count != 1:
            raise ExpressionError("abs() takes exactly one argument")
        if name == "round":
            if count not in (1, 2):
                raise ExpressionError("round() takes one or two arguments")
            if count == 2 and not (
                isinstance(node.args[1], ast.Constant) and type(node.args[1].value) is int
                and 0 <= node.args[1].value <= 15
            ):
                raise ExpressionError("round()'s second argument must be an integer literal from 0 to 15")
        if name in ("min", "max") and count < 2:
            raise ExpressionError(f"{name}() takes at least two arguments")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ExpressionError("starred arguments are not allowed")
            _check(arg, names, depth + 1)
    else:
        raise ExpressionError(f"{type(node).__name__} is not allowed in an expression")


class _Evaluator:
    def __init__(self, columns: Mapping[str, np.ndarray], size: int, invalid: np.ndarray):
        self.columns = columns
        self.size = size
        self.invalid = invalid

    def visit(self, node: ast.AST) -> np.ndarray:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, int) and abs(value) < 2**63:
                return np.full(self.size, value, dtype=np.int64)
            return np.full(self.size, float(value), dtype=np.float64)
        if isinstance(node, ast.Name):
            values = np.asarray(self.columns[node.id])
            return values.astype(np.int64) if values.dtype.kind == "b" else values
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self._binary(_BINARY[type(node.op)], self.visit(node.left), self.visit(node.right))
        assert isinstance(node, ast.Call)
        args = [self.visit(arg) for arg in node.args]
        name = node.func.id  # type: ignore[attr-defined]
        if name == "abs":
            return np.abs(args[0])
        if name == "min":
            return _reduce(np.minimum, args)
        if name == "max":
            return _reduce(np.maximum, args)
        digits = node.args[1].value if len(node.args) == 2 else 0  # type: ignore[attr-defined]
        if args[0].dtype.kind in "iu":
            return args[0]
        rounded = np.round(args[0], digits)
        if len(node.args) == 1:
            # round(x) gives an integer, as in Python; values beyond int64 are left undefined.
            too_big = ~np.isfinite(rounded) | (np.abs(rounded) >= 2**63)
            self.invalid |= too_big
            return np.where(too_big, 0, rounded).astype(np.int64)
        return rounded

    def _binary(self, op: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        integers = left.dtype.kind in "iu" and right.dtype.kind in "iu"
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return np.true_divide(left.astype(np.float64), right)
        if op in ("//", "%"):
            if integers:
                zero = right == 0
                self.invalid |= zero
                safe = np.where(zero, 1, right)
                return np.floor_divide(left, safe) if op == "//" else np.remainder(left, safe)
            return np.floor_divide(left, right) if op == "//" else np.remainder(left, right)
        # Power: integers stay integers when the exponent is non-negative and the result fits.
        if integers and (right >= 0).all():
            exact = np.power(left.astype(np.float64), right.astype(np.float64))
            fits = np.abs(exact) < 2**62
            if fits.all():
                return np.power(left, right)
            return exact
        return np.power(left.astype(np.float64), right.astype(np.float64))


def _reduce(func, args: list[np.ndarray]) -> np.ndarray:
    result = args[0]
    for arg in args[1:]:
        result = func(result, arg)
    return result
