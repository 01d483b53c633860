"""Expressions of schema language 1.1: numbers, booleans, dates and datetimes, parents and seeded draws.

One language serves `expression` columns and the bound expressions of `start`/`end` (date, datetime) and
`min`/`max` (integer, float). Besides version 1's arithmetic it has:

- durations `16y`, `3mo`, `2w`, `1d`, `6h`, `30m`, `10s` added to or taken from a date or datetime (month
  arithmetic clamps to the month's last day), `today` and `now` (the reference time), ISO literals
  (`2020-01-01`, `2020-01-01T08:00:00Z`);
- `date ± number` (days), `date - date` (days), `years_between(a, b)`, `add_months(d, n)`, `year(d)`,
  `month(d)`, `day(d)`;
- comparisons giving booleans (strings may be compared with `==`/`!=`), `and`, `or`, `not`, `where(c, a, b)`;
- `ref.column`: a column of the row that the reference column `ref` points at;
- per-row draws `normal(mean, std)`, `uniform(a, b)`, `randint(a, b)`, `bernoulli(p)`.

The text is rewritten (durations and ISO literals become calls), parsed with `ast` and checked against an
allow-list; nothing reaches eval(). Evaluation is vectorised over numpy arrays; rows where a result is
undefined (division by zero, a date outside years 1..9999, a null input) are flagged invalid and become null.
The kind of the result (int, float, bool, date, datetime) is found by evaluating on empty arrays of the
columns' kinds, which also reports every type mismatch before any row is made.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from . import limits
from .expressions import MAX_DEPTH, MAX_EXPRESSION_LENGTH, ExpressionError

DURATION_UNITS = {"y": (12, 0), "mo": (1, 0), "w": (0, 7 * 86400), "d": (0, 86400), "h": (0, 3600), "m": (0, 60),
                  "s": (0, 1)}
MAX_DURATION_AMOUNT = 999_999
FUNCTIONS = {
    "round": (1, 2), "min": (2, 64), "max": (2, 64), "abs": (1, 1), "years_between": (2, 2),
    "add_months": (2, 2), "year": (1, 1), "month": (1, 1), "day": (1, 1), "where": (3, 3),
    "normal": (2, 2), "uniform": (2, 2), "randint": (2, 2), "bernoulli": (1, 1),
    "_duration": (2, 2), "_iso": (1, 1),
}
DRAWS = ("normal", "uniform", "randint", "bernoulli")
RESERVED = ("today", "now")
TIME_KINDS = ("date", "datetime")
NUMERIC = ("int", "float")
# Days since 1970-01-01 of 0001-01-01 and 9999-12-31, and the datetime range of limits.
MIN_DAY = (date(1, 1, 1) - date(1970, 1, 1)).days
MAX_DAY = (date(9999, 12, 31) - date(1970, 1, 1)).days
MIN_SECOND = int((limits.MIN_DATETIME - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
MAX_SECOND = int((limits.MAX_DATETIME - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
MAX_MONTHS = 12 * 10_000
MAX_DAYS = MAX_DAY - MIN_DAY

_TOKENS = re.compile(
    r"""(?P<string>"[^"\\]*"|'[^'\\]*')"""
    r"""|(?P<iso>\b\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?(?![\w:]))"""
    r"""|(?P<duration>\b(?P<amount>\d+)(?P<unit>mo|y|w|d|h|m|s)\b)"""
)
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


@dataclass(frozen=True)
class Duration:
    months: int
    seconds: int

    def __neg__(self) -> Duration:
        return Duration(-self.months, -self.seconds)

    def __add__(self, other: Duration) -> Duration:
        return Duration(self.months + other.months, self.seconds + other.seconds)


@dataclass
class Value:
    """A typed column of values: kind is int, float, bool, str, date (days since 1970), datetime (seconds since
    1970, UTC) or duration (a constant, `duration` set)."""

    kind: str
    values: np.ndarray | None = None
    duration: Duration | None = None


@dataclass(frozen=True)
class TypedExpression:
    source: str
    tree: ast.expr
    names: tuple[str, ...]  # columns of the row it reads
    refs: tuple[tuple[str, str], ...]  # (reference column, parent column) pairs it reads
    draws: int  # per-row draw calls, numbered in the order they appear

    def evaluate(self, inputs: Scope, size: int) -> tuple[Value, np.ndarray]:
        invalid = np.zeros(size, dtype=bool)
        with np.errstate(all="ignore"):
            value = _Evaluator(inputs, size, invalid).visit(self.tree)
        if value.kind == "duration":
            value = inputs.relative(value.duration, size, invalid)
        values = np.broadcast_to(value.values, (size,)).copy()
        if value.kind == "float":
            bad = ~np.isfinite(values)
            invalid |= bad
            values[bad] = 0.0
        return Value(value.kind, values), invalid

    def result_kind(self, kinds: Callable[[str, str | None], str]) -> str:
        """The kind of the result given the kinds of the columns read (ExpressionError on a type mismatch)."""
        empty = {"int": np.int64, "float": np.float64, "number": np.float64, "bool": bool, "str": object,
                 "date": np.int64, "datetime": np.int64}
        columns = {}
        for key in [(name, None) for name in self.names] + list(self.refs):
            kind = kinds(*key)
            if kind not in empty:
                shown = key[0] if key[1] is None else f"{key[0]}.{key[1]}"
                raise ExpressionError(f"column {shown!r} holds {kind} values, which expressions cannot read")
            columns[key] = Value("float" if kind == "number" else kind, np.zeros(0, dtype=empty[kind]))
        scope = Scope(columns, today=0, now=0, draw=lambda i: np.random.default_rng(0))
        return self.evaluate(scope, 0)[0].kind


class Scope:
    """What an evaluation reads: columns by (name, None) or (reference, parent column), the reference time and
    one random generator per draw call."""

    def __init__(self, columns: Mapping[tuple[str, str | None], Value], *, today: int, now: int,
                 draw: Callable[[int], np.random.Generator]):
        self.columns = columns
        self.today = today
        self.now = now
        self.draw = draw

    def relative(self, duration: Duration, size: int, invalid: np.ndarray) -> Value:
        """A bare duration where a point in time is expected: counted from now (whole days: from today)."""
        if duration.seconds % 86400 == 0:
            base = Value("date", np.full(size, self.today, dtype=np.int64))
        else:
            base = Value("datetime", np.full(size, self.now, dtype=np.int64))
        return shift(base, duration, invalid)


def rewrite(text: str) -> str:
    """Durations and ISO literals as calls Python can parse: `16y` -> `_duration(16, 'y')`."""
    def replace(match: re.Match) -> str:
        if match.group("string"):
            return match.group("string")
        if match.group("iso"):
            return f"_iso('{match.group('iso')}')"
        return f"_duration({int(match.group('amount'))}, '{match.group('unit')}')"

    return _TOKENS.sub(replace, text)


def compile_typed(text: object) -> TypedExpression:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression must be a non-empty string")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(rewrite(text.strip()), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"invalid expression syntax: {getattr(exc, 'msg', exc)}") from exc
    found = _Found()
    _check(tree, found, 0)
    return TypedExpression(text, tree, tuple(dict.fromkeys(found.names)), tuple(dict.fromkeys(found.refs)),
                           found.draws)


class _Found:
    def __init__(self):
        self.names: list[str] = []
        self.refs: list[tuple[str, str]] = []
        self.draws = 0


def _check(node: ast.AST, found: _Found, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError("expression is nested too deeply")
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, bool | int | float | str):
            raise ExpressionError(f"{node.value!r} is not allowed as a literal")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function and must be called")
        if node.id not in RESERVED:
            found.names.append(node.id)
    elif isinstance(node, ast.Attribute):
        if not isinstance(node.value, ast.Name) or node.value.id in RESERVED:
            raise ExpressionError("only reference.column may use a dot")
        found.refs.append((node.value.id, node.attr))
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
        _check(node.left, found, depth + 1)
        _check(node.right, found, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
        _check(node.operand, found, depth + 1)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, found, depth + 1)
    elif isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            raise ExpressionError("comparisons take one of < <= > >= == != between two values (no chains)")
        _check(node.left, found, depth + 1)
        _check(node.comparators[0], found, depth + 1)
    elif isinstance(node, ast.Call):
        _check_call(node, found, depth)
    else:
        raise ExpressionError(f"{type(node).__name__} is not allowed in an expression")


def _check_call(node: ast.Call, found: _Found, depth: int) -> None:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        public = ", ".join(f"{name}()" for name in FUNCTIONS if not name.startswith("_"))
        raise ExpressionError(f"only these functions may be called: {public}")
    name = node.func.id
    if node.keywords:
        raise ExpressionError(f"{name}() takes no keyword arguments")
    low, high = FUNCTIONS[name]
    if not low <= len(node.args) <= high:
        count = str(low) if low == high else f"{low} to {high}"
        raise ExpressionError(f"{name}() takes {count} arguments")
    if name == "round" and len(node.args) == 2 and not (
            isinstance(node.args[1], ast.Constant) and type(node.args[1].value) is int
            and 0 <= node.args[1].value <= 15):
        raise ExpressionError("round()'s second argument must be an integer literal from 0 to 15")
    if name == "_duration":
        amount, unit = node.args
        if not (isinstance(amount, ast.Constant) and type(amount.value) is int and amount.value >= 0
                and isinstance(unit, ast.Constant) and unit.value in DURATION_UNITS):
            raise ExpressionError("a duration is a whole number and a unit: 16y, 3mo, 2w, 1d, 6h, 30m, 10s")
        if amount.value > MAX_DURATION_AMOUNT:
            raise ExpressionError(f"durations are at most {MAX_DURATION_AMOUNT:,} units")
        return
    if name == "_iso":
        if not (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            raise ExpressionError("dates are written as ISO literals: 2020-01-31 or 2020-01-31T08:00:00Z")
        return
    if name in DRAWS:
        setattr(node, "draw_index", found.draws)  # noqa: B010 - the tree is private to this module
        found.draws += 1
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise ExpressionError("starred arguments are not allowed")
        _check(arg, found, depth + 1)


# ----------------------------------------------------------------------------- calendar arithmetic
def add_months_days(days: np.ndarray, months: np.ndarray | int, invalid: np.ndarray) -> np.ndarray:
    """Days moved by whole months, the day clamped to the target month's last day."""
    months = np.asarray(months, dtype=np.int64)
    too_far = np.abs(months) > MAX_MONTHS
    if too_far.any():
        invalid |= np.broadcast_to(too_far, invalid.shape)
        months = np.where(too_far, 0, months)
    moment = days.astype("datetime64[D]")
    month = moment.astype("datetime64[M]")
    offset = (moment - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - first).astype(np.int64)
    return first.astype(np.int64) + np.minimum(offset, length - 1)


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    moment = days.astype("datetime64[D]")
    months = moment.astype("datetime64[M]").astype(np.int64)
    year = months // 12 + 1970
    month = months % 12 + 1
    day = (moment - moment.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def shift(value: Value, duration: Duration, invalid: np.ndarray) -> Value:
    """A date or datetime moved by a duration (a date moved by hours, minutes or seconds becomes a datetime
    at midnight UTC plus the duration)."""
    if value.kind == "date" and duration.seconds % 86400:
        value = _as_datetime(value)
    if value.kind == "date":
        days = value.values
        if duration.months:
            days = add_months_days(days, duration.months, invalid)
        return checked(Value("date", days + duration.seconds // 86400), invalid)
    days, clock = np.divmod(value.values, 86400)
    if duration.months:
        days = add_months_days(days, duration.months, invalid)
    return checked(Value("datetime", days * 86400 + clock + duration.seconds), invalid)


def checked(value: Value, invalid: np.ndarray) -> Value:
    """Dates and datetimes outside years 1..9999 are undefined (null)."""
    low, high = (MIN_DAY, MAX_DAY) if value.kind == "date" else (MIN_SECOND, MAX_SECOND)
    outside = (value.values < low) | (value.values > high)
    if outside.any():
        invalid |= np.broadcast_to(outside, invalid.shape)
        value = Value(value.kind, np.where(outside, 0, value.values))
    return value


def _as_datetime(value: Value) -> Value:
    return Value("datetime", value.values * 86400) if value.kind == "date" else value


def _as_days(value: Value) -> np.ndarray:
    return value.values // 86400 if value.kind == "datetime" else value.values


# ----------------------------------------------------------------------------- evaluation
_INT64_MIN = np.iinfo(np.int64).min


def _overflowed(op: str, a: np.ndarray, b: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Where `a op b` of 64-bit integers wrapped around (numpy integer arithmetic wraps silently)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if op == "+":
        return ((a >= 0) == (b >= 0)) & ((result >= 0) != (a >= 0))
    if op == "-":
        return ((a >= 0) != (b >= 0)) & ((result >= 0) != (a >= 0))
    # a * b wrapped unless dividing the product by a gives b back (and -1 * -2**63, whose quotient wraps too).
    nonzero = a != 0
    quotient = np.floor_divide(result, np.where(nonzero, a, 1))
    return nonzero & ((quotient != b) | ((a == -1) & (b == _INT64_MIN)))


class _Evaluator:
    def __init__(self, scope: Scope, size: int, invalid: np.ndarray):
        self.scope = scope
        self.size = size
        self.invalid = invalid

    def visit(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Constant):
            return self._constant(node.value)
        if isinstance(node, ast.Name):
            if node.id == "today":
                return Value("date", np.full(self.size, self.scope.today, dtype=np.int64))
            if node.id == "now":
                return Value("datetime", np.full(self.size, self.scope.now, dtype=np.int64))
            return self.scope.columns[(node.id, None)]
        if isinstance(node, ast.Attribute):
            return self.scope.columns[(node.value.id, node.attr)]  # type: ignore[attr-defined]
        if isinstance(node, ast.UnaryOp):
            return self._unary(node.op, self.visit(node.operand))
        if isinstance(node, ast.BinOp):
            return self._binary(_BINARY[type(node.op)], self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.BoolOp):
            values = [self._bool(self.visit(v), "and/or") for v in node.values]
            func = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            result = values[0]
            for value in values[1:]:
                result = func(result, value)
            return Value("bool", result)
        if isinstance(node, ast.Compare):
            return self._compare(_COMPARE[type(node.ops[0])], self.visit(node.left), self.visit(node.comparators[0]))
        return self._call(node)  # type: ignore[arg-type]

    def _constant(self, value) -> Value:
        if isinstance(value, bool):
            return Value("bool", np.full(self.size, value, dtype=bool))
        if isinstance(value, int) and abs(value) < 2**63:
            return Value("int", np.full(self.size, value, dtype=np.int64))
        if isinstance(value, int | float):
            return Value("float", np.full(self.size, float(value), dtype=np.float64))
        return Value("str", np.full(self.size, value, dtype=object))

    def _bool(self, value: Value, where: str) -> np.ndarray:
        if value.kind != "bool":
            raise ExpressionError(f"{where} needs true/false values, not {value.kind}")
        return value.values

    def _number(self, value: Value, where: str) -> np.ndarray:
        if value.kind == "bool":
            return value.values.astype(np.int64)
        if value.kind not in NUMERIC:
            raise ExpressionError(f"{where} needs numbers, not {value.kind}")
        return value.values

    def _unary(self, op, value: Value) -> Value:
        if isinstance(op, ast.Not):
            return Value("bool", ~self._bool(value, "not"))
        if value.kind == "duration":
            return Value("duration", duration=-value.duration if isinstance(op, ast.USub) else value.duration)
        numbers = self._number(value, "a sign")
        if numbers.dtype.kind == "f":
            return Value("float", -numbers if isinstance(op, ast.USub) else numbers)
        if isinstance(op, ast.USub):
            return Value("int", self._no_wrap(-numbers, numbers == _INT64_MIN))
        return Value("int", numbers)

    def _no_wrap(self, result: np.ndarray, wrapped: np.ndarray) -> np.ndarray:
        """Integer results past 64 bits are undefined (null), not wrapped around."""
        if wrapped.any():
            self.invalid |= np.broadcast_to(wrapped, self.invalid.shape)
            result = np.where(wrapped, 0, result)
        return result

    def _binary(self, op: str, left: Value, right: Value) -> Value:
        kinds = (left.kind, right.kind)
        if "duration" in kinds:
            return self._duration_arithmetic(op, left, right)
        if left.kind in TIME_KINDS or right.kind in TIME_KINDS:
            return self._time_arithmetic(op, left, right)
        a, b = self._number(left, f"'{op}'"), self._number(right, f"'{op}'")
        integers = a.dtype.kind in "iu" and b.dtype.kind in "iu"
        if op in ("+", "-", "*"):
            result = a + b if op == "+" else a - b if op == "-" else a * b
            if integers:
                result = self._no_wrap(result, _overflowed(op, a, b, result))
            return Value("int" if integers else "float", result)
        if op == "/":
            return Value("float", np.true_divide(a.astype(np.float64), b))
        if op in ("//", "%"):
            if integers:
                # Division by zero, and the one quotient past 64 bits (-2**63 // -1), are undefined.
                zero = (b == 0) | ((a == _INT64_MIN) & (b == -1))
                self.invalid |= np.broadcast_to(zero, self.invalid.shape)
                safe = np.where(zero, 1, b)
                return Value("int", np.floor_divide(a, safe) if op == "//" else np.remainder(a, safe))
            return Value("float", np.floor_divide(a, b) if op == "//" else np.remainder(a, b))
        return Value("float", np.power(a.astype(np.float64), b.astype(np.float64)))

    def _duration_arithmetic(self, op: str, left: Value, right: Value) -> Value:
        if left.kind == "duration" and right.kind == "duration" and op in "+-":
            other = right.duration if op == "+" else -right.duration
            return Value("duration", duration=left.duration + other)
        if left.kind in TIME_KINDS and op in "+-":
            return shift(left, right.duration if op == "+" else -right.duration, self.invalid)
        if right.kind in TIME_KINDS and op == "+":
            return shift(right, left.duration, self.invalid)
        raise ExpressionError(f"a duration can only be added to or taken from a date or datetime (not {left.kind} "
                              f"{op} {right.kind})")

    def _time_arithmetic(self, op: str, left: Value, right: Value) -> Value:
        if op == "-" and left.kind in TIME_KINDS and right.kind in TIME_KINDS:
            if left.kind == right.kind == "date":
                return Value("int", left.values - right.values)
            seconds = _as_datetime(left).values - _as_datetime(right).values
            return Value("float", seconds / 86400.0)
        point, other = (left, right) if left.kind in TIME_KINDS else (right, left)
        if op not in "+-" or (op == "-" and point is right) or other.kind not in NUMERIC + ("bool",):
            raise ExpressionError(f"dates take + or - a number of days or a duration (not {left.kind} {op} "
                                  f"{right.kind})")
        days = self._number(other, "date arithmetic")
        if op == "-":
            days = -days
        huge = ~np.isfinite(days) | (np.abs(days) > MAX_DAYS) if days.dtype.kind == "f" else np.abs(days) > MAX_DAYS
        if huge.any():
            self.invalid |= np.broadcast_to(huge, self.invalid.shape)
            days = np.where(huge, 0, days)
        if point.kind == "date":
            return checked(Value("date", point.values + np.floor(days).astype(np.int64)), self.invalid)
        return checked(Value("datetime", point.values + np.rint(days * 86400).astype(np.int64)), self.invalid)

    def _comparable(self, left: Value, right: Value, where: str) -> tuple[np.ndarray, np.ndarray]:
        if left.kind == "duration" or right.kind == "duration":
            left, right = self._point(left), self._point(right)
        if left.kind in TIME_KINDS and right.kind in TIME_KINDS:
            if left.kind != right.kind:
                left, right = _as_datetime(left), _as_datetime(right)
            return left.values, right.values
        if left.kind in NUMERIC + ("bool",) and right.kind in NUMERIC + ("bool",):
            return self._number(left, where), self._number(right, where)
        if left.kind == right.kind == "str":
            return left.values, right.values
        raise ExpressionError(f"{where} cannot compare {left.kind} with {right.kind}")

    def _compare(self, op: str, left: Value, right: Value) -> Value:
        a, b = self._comparable(left, right, op)
        if left.kind == "str" and op not in ("==", "!="):
            raise ExpressionError(f"strings can only be compared with == and !=, not {op}")
        result = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
                  "==": np.equal, "!=": np.not_equal}[op](a, b)
        return Value("bool", np.asarray(result, dtype=bool))

    def _call(self, node: ast.Call) -> Value:
        name = node.func.id  # type: ignore[attr-defined]
        if name == "_duration":
            months, seconds = DURATION_UNITS[node.args[1].value]  # type: ignore[attr-defined]
            amount = node.args[0].value  # type: ignore[attr-defined]
            return Value("duration", duration=Duration(months * amount, seconds * amount))
        if name == "_iso":
            return self._iso(node.args[0])
        args = [self.visit(arg) for arg in node.args]
        if name in ("min", "max"):
            return self._extreme(name, args)
        if name == "where":
            return self._where(args)
        if name in DRAWS:
            return self._draw(name, args, self.scope.draw(node.draw_index))  # type: ignore[attr-defined]
        if name in ("year", "month", "day"):
            if args[0].kind not in TIME_KINDS:
                raise ExpressionError(f"{name}() needs a date or datetime, not {args[0].kind}")
            parts = ymd(_as_days(args[0]))
            return Value("int", parts[("year", "month", "day").index(name)])
        if name == "years_between":
            return self._years_between(*args)
        if name == "add_months":
            if args[0].kind not in TIME_KINDS:
                raise ExpressionError(f"add_months() needs a date or datetime first, not {args[0].kind}")
            months = self._number(args[1], "add_months()")
            if months.dtype.kind == "f":
                raise ExpressionError("add_months() needs a whole number of months")
            if args[0].kind == "date":
                return checked(Value("date", add_months_days(args[0].values, months, self.invalid)), self.invalid)
            days, clock = np.divmod(args[0].values, 86400)
            shifted = add_months_days(days, months, self.invalid)
            return checked(Value("datetime", shifted * 86400 + clock), self.invalid)
        numbers = self._number(args[0], f"{name}()")
        if name == "abs":
            if numbers.dtype.kind == "f":
                return Value("float", np.abs(numbers))
            return Value("int", self._no_wrap(np.abs(numbers), numbers == _INT64_MIN))
        # round
        if numbers.dtype.kind in "iu":
            return Value("int", numbers)
        if len(node.args) == 2:
            return Value("float", np.round(numbers, node.args[1].value))  # type: ignore[attr-defined]
        rounded = np.round(numbers)
        too_big = ~np.isfinite(rounded) | (np.abs(rounded) >= 2**63)
        self.invalid |= np.broadcast_to(too_big, self.invalid.shape)
        return Value("int", np.where(too_big, 0, rounded).astype(np.int64))

    def _iso(self, node: ast.AST) -> Value:
        from .timeparse import TimeValueError, resolve_date, resolve_datetime

        text = node.value  # type: ignore[attr-defined]
        try:
            if "T" in text:
                moment = resolve_datetime(text, datetime(2000, 1, 1, tzinfo=UTC), UTC)
                seconds = int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
                return Value("datetime", np.full(self.size, seconds, dtype=np.int64))
            day = resolve_date(text, datetime(2000, 1, 1, tzinfo=UTC), UTC)
        except TimeValueError as exc:
            raise ExpressionError(str(exc)) from exc
        return Value("date", np.full(self.size, (day - date(1970, 1, 1)).days, dtype=np.int64))

    def _point(self, value: Value) -> Value:
        return self.scope.relative(value.duration, self.size, self.invalid) if value.kind == "duration" else value

    def _extreme(self, name: str, args: list[Value]) -> Value:
        func = np.minimum if name == "min" else np.maximum
        if any(a.kind in TIME_KINDS or a.kind == "duration" for a in args):
            args = [self._point(a) for a in args]
            if any(a.kind not in TIME_KINDS for a in args):
                kinds = ", ".join(sorted({a.kind for a in args} - set(TIME_KINDS)))
                raise ExpressionError(f"{name}() cannot mix dates with {kinds}")
            if any(a.kind == "datetime" for a in args):
                args = [_as_datetime(a) for a in args]
            result = args[0].values
            for arg in args[1:]:
                result = func(result, arg.values)
            return Value(args[0].kind, result)
        numbers = [self._number(a, f"{name}()") for a in args]
        result = numbers[0]
        for arg in numbers[1:]:
            result = func(result, arg)
        return Value("float" if result.dtype.kind == "f" else "int", result)

    def _where(self, args: list[Value]) -> Value:
        condition = self._bool(args[0], "where()'s condition")
        a, b = args[1], args[2]
        if a.kind == "duration" or b.kind == "duration":
            a, b = self._point(a), self._point(b)
        if a.kind in TIME_KINDS and b.kind in TIME_KINDS:
            if a.kind != b.kind:
                a, b = _as_datetime(a), _as_datetime(b)
            return Value(a.kind, np.where(condition, a.values, b.values))
        if a.kind == b.kind == "bool":
            return Value("bool", np.where(condition, a.values, b.values))
        x, y = self._number(a, "where()"), self._number(b, "where()")
        result = np.where(condition, x, y)
        return Value("float" if result.dtype.kind == "f" else "int", result)

    def _years_between(self, a: Value, b: Value) -> Value:
        if a.kind not in TIME_KINDS or b.kind not in TIME_KINDS:
            raise ExpressionError(f"years_between() needs two dates, not {a.kind} and {b.kind}")
        ya, ma, da = ymd(_as_days(a))
        yb, mb, db = ymd(_as_days(b))
        earlier = (mb < ma) | ((mb == ma) & (db < da))
        later = (mb > ma) | ((mb == ma) & (db > da))
        years = yb - ya
        # Completed years from a to b (an age); negative when b is before a.
        return Value("int", np.where(years > 0, years - earlier, np.where(years < 0, years + later, 0)))

    def _draw(self, name: str, args: list[Value], rng: np.random.Generator) -> Value:
        numbers = [np.broadcast_to(self._number(a, f"{name}()"), (self.size,)) for a in args]
        if name == "bernoulli":
            p = numbers[0].astype(np.float64)
            bad = ~np.isfinite(p) | (p < 0) | (p > 1)
            self.invalid |= bad
            return Value("bool", rng.random(self.size) < np.where(bad, 0.0, p))
        a, b = numbers
        if name == "randint":
            if a.dtype.kind == "f" or b.dtype.kind == "f":
                raise ExpressionError("randint() needs whole numbers")
            bad = a > b
            self.invalid |= bad
            low = np.minimum(a, limits.INT_LIMIT).clip(-limits.INT_LIMIT)
            high = np.where(bad, low, np.minimum(b, limits.INT_LIMIT).clip(-limits.INT_LIMIT))
            return Value("int", rng.integers(low, high, self.size, endpoint=True, dtype=np.int64))
        a, b = a.astype(np.float64), b.astype(np.float64)
        if name == "normal":
            bad = ~np.isfinite(a) | ~np.isfinite(b) | (b < 0)
            self.invalid |= bad
            return Value("float", rng.normal(np.where(bad, 0.0, a), np.where(bad, 0.0, b), self.size))
        bad = ~np.isfinite(a) | ~np.isfinite(b)
        self.invalid |= bad
        a, b = np.where(bad, 0.0, a), np.where(bad, 0.0, b)
        return Value("float", a + (b - a) * rng.random(self.size))
