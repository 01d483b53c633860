"""Vectorised sampling of common Faker providers from Faker's own locale data.

Rather than re-typing what each locale does, the provider method of the locale
is read (its source, via `ast`) and evaluated *symbolically*: the data it
touches (`self.first_names`, `self.formats`, ...) is concrete, every random
step (`random_element`, `numerify`, `generator.parse`, `randint`, ...) becomes a
node of the string grammar in `patterns`, and the resulting tree is sampled with
numpy. A method doing anything outside that small vocabulary (loops over random
values, conditions on random values, `super()`, other libraries) is not
answered in bulk (`bulk_sampler` returns None) and the caller falls back to
Faker itself, so a locale never gets values its own Faker would not make.

Known approximations, all character-local: string transformations Faker applies
to a whole value (`lower`, `slugify`, `_to_ascii`, ...) are applied to each
piece of the value separately, and `numerify` after `generator.parse` is applied
to token values as well as to the format (as Faker does).
"""

from __future__ import annotations

import ast
import functools
import inspect
import operator
import re
import string
import textwrap
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .patterns import INT64_LIMIT, Alternatives, Choice, Concat, Literal, Node, as_object_array

# Providers answered in bulk (when the locale's implementation allows it).
BULK_PROVIDERS = frozenset(
    {
        # person
        "first_name", "last_name", "name", "first_name_male", "first_name_female", "first_name_nonbinary",
        "last_name_male", "last_name_female", "last_name_nonbinary", "name_male", "name_female",
        "name_nonbinary", "prefix", "prefix_male", "prefix_female", "prefix_nonbinary", "suffix",
        "suffix_male", "suffix_female", "suffix_nonbinary", "language_name",
        # internet
        "email", "safe_email", "free_email", "company_email", "user_name", "domain_name", "domain_word",
        "free_email_domain", "safe_domain_name", "tld", "hostname",
        # phone_number
        "phone_number", "msisdn", "country_calling_code", "cellphone_number", "landline_number",
        # address
        "street_address", "street_name", "street_suffix", "building_number", "secondary_address",
        "address", "city", "city_prefix", "city_suffix", "postcode", "zipcode", "postalcode",
        "state", "state_abbr", "administrative_unit", "country", "country_code",
        "military_ship", "military_state", "military_apo", "military_dpo",
        # company, job, lorem, color, misc data lists
        "company", "company_suffix", "catch_phrase", "bs", "job", "word", "color_name", "safe_color_name",
        "currency_code", "currency_name", "license_plate",
    }
)  # fmt: skip

_FAKER_TOKEN = re.compile(r"\{\{\s*(\w+)(:\s*\w+?)?\s*\}\}")  # as faker.generator._re_token
_DIGIT_PLACEHOLDERS = {
    "#": (string.digits, None),
    "%": ("123456789", None),
    "$": ("23456789", None),
    # Faker: empty half of the time, otherwise a digit.
    "!": (("",) + tuple(string.digits), (10,) + (1,) * 10),
    "@": (("",) + tuple("123456789"), (9,) + (1,) * 9),
}


class Unsupported(Exception):
    """The Faker method does something this module does not reproduce in bulk."""


# ---------------------------------------------------------------------------------------------
# A string-grammar node for integers written in decimal (Faker's '%05d' % randint(...) etc.).


class IntegerText(Node):
    def __init__(self, low: int, high: int, width: int = 0):
        if low < 0 or high < low:
            raise Unsupported("negative or empty integer range")
        self.low, self.high, self.width = low, high, width

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.render(rng.integers(self.low, self.high + 1, size=n))

    def render(self, numbers: np.ndarray) -> np.ndarray:
        text = np.asarray(numbers).astype(str)
        if self.width:
            text = np.strings.zfill(text, self.width)
        return text.astype(object)

    def __repr__(self) -> str:
        return f"IntegerText({self.low}, {self.high}, width={self.width})"


# ---------------------------------------------------------------------------------------------
# Symbolic values met while evaluating a Faker method. Anything else is a concrete Python value.


@dataclass(frozen=True, eq=False)
class _Text:
    """A random string."""

    node: Node


@dataclass(frozen=True, eq=False)
class _Int:
    """A uniformly random integer in [low, high]."""

    low: int
    high: int


@dataclass(frozen=True, eq=False)
class _Objects:
    """A random non-string element (e.g. a tuple row of a locale table, or a bound method)."""

    values: tuple
    weights: tuple | None


@dataclass(frozen=True, eq=False)
class _Words:
    """`text.split(sep)`: only `sep2.join(...)` of it and its first item are supported."""

    node: Node
    sep: str


@dataclass(frozen=True, eq=False)
class _Self:
    provider: Any


@dataclass(frozen=True, eq=False)
class _Method:
    provider: Any
    name: str


@dataclass(frozen=True, eq=False)
class _Builtin:
    """A callable the evaluator implements itself (generator.parse, random.randint, ...)."""

    name: str
    subject: Any = None


_GENERATOR = _Builtin("generator")
_RANDOM = _Builtin("random")


def _node(value: Any) -> Node:
    """The string a value becomes inside a Faker value (Faker's parse applies `str`)."""
    if isinstance(value, _Text):
        return value.node
    if isinstance(value, _Int):
        return IntegerText(value.low, value.high)
    if isinstance(value, str):
        return Literal(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Literal(str(value))
    raise Unsupported(f"not a string: {value!r}")


def _is_symbolic(value: Any) -> bool:
    if isinstance(value, _Text | _Int | _Objects | _Words):
        return True
    if isinstance(value, list | tuple):
        return any(_is_symbolic(v) for v in value)
    return False


# ---------------------------------------------------------------------------------------------
# Rewriting a grammar tree piece by piece (placeholders, tokens, character-local transformations).


def _rewrite(node: Node, leaf: Callable[[str], Node]) -> Node:
    memo: dict[int, Node] = {}

    def visit(current: Node) -> Node:
        key = id(current)
        if key in memo:
            return memo[key]
        if isinstance(current, Literal):
            result = leaf(current.text)
        elif isinstance(current, Choice):
            pieces = [leaf(v) for v in current.values]
            weights = current.weights
            if all(isinstance(p, Literal) for p in pieces):
                result = Choice([p.text for p in pieces], weights)
            else:
                result = Alternatives(pieces, weights)
        elif isinstance(current, Concat):
            result = _concat([visit(p) for p in current.parts])
        elif isinstance(current, Alternatives):
            result = Alternatives([visit(o) for o in current.options], current.weights)
        elif isinstance(current, IntegerText):
            # Digits are passed through unchanged by every rewrite used here; check rather than assume.
            probe = leaf(string.digits)
            if not (isinstance(probe, Literal) and probe.text == string.digits):
                raise Unsupported("a transformation changes digits")
            result = current
        else:
            raise Unsupported(f"cannot rewrite {current!r}")
        memo[key] = result
        return result

    return visit(node)


def _concat(parts: Sequence[Node]) -> Node:
    flat: list[Node] = []
    for part in parts:
        items = part.parts if isinstance(part, Concat) else (part,)
        for item in items:
            if isinstance(item, Literal) and flat and isinstance(flat[-1], Literal):
                flat[-1] = Literal(flat[-1].text + item.text)
            elif not (isinstance(item, Literal) and item.text == ""):
                flat.append(item)
    if not flat:
        return Literal("")
    return flat[0] if len(flat) == 1 else Concat(flat)


def _placeholders(text: str, table: dict[str, tuple]) -> Node:
    """Literal runs and one choice per placeholder character of `table`."""
    if not any(ch in table for ch in text):
        return Literal(text)
    parts: list[Node] = []
    for ch in text:
        if ch in table:
            values, weights = table[ch]
            parts.append(Choice(tuple(values), weights))
        else:
            parts.append(Literal(ch))
    return _concat(parts)


def _map_text(fn: Callable[[str], str]) -> Callable[[str], Node]:
    return lambda text: Literal(fn(text))


# ---------------------------------------------------------------------------------------------
# The evaluator.

_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}  # fmt: skip
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Mod: operator.mod}
# Read-only methods of plain data that Faker methods call on locale tables.
_PURE_DATA_METHODS = frozenset(
    {"keys", "values", "items", "get", "split", "join", "replace", "strip", "upper", "lower", "startswith",
     "endswith", "index", "count", "format"}
)  # fmt: skip
_PURE_BUILTINS = {"list": list, "tuple": tuple, "len": len, "sorted": sorted, "int": int, "dict": dict}
# Module-level helpers of Faker locale modules that are pure functions of plain data.
_PURE_GLOBALS = frozenset({"add_ordereddicts"})
# ... and pure string functions that act character by character (applied piece by piece).
_TEXT_GLOBALS = frozenset({"latinize", "translate_to_bengali_digits"})
_PURE_PROVIDER_METHODS = frozenset({"get_words_list"})


def _slugify(**options: bool) -> Callable[[str], str]:
    from faker.utils.text import slugify

    return lambda text: slugify(text, **options)


_DECORATORS: dict[str, Callable[[], Callable[[str], str]]] = {
    "lowercase": lambda: str.lower,
    "slugify": lambda: _slugify(),
    "slugify_unicode": lambda: _slugify(allow_unicode=True),
    "slugify_domain": lambda: _slugify(allow_dots=True),
}


@functools.lru_cache(maxsize=2048)
def _method_ast(func) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    definition = tree.body[0]
    if not isinstance(definition, ast.FunctionDef):
        raise Unsupported("not a plain function")
    return definition


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


class _Evaluator:
    """Evaluates Faker provider methods of one locale's generator symbolically."""

    def __init__(self, generator):
        self.generator = generator
        self.results: dict[tuple, Any] = {}
        self.active: set[tuple] = set()

    # -- calls into Faker methods

    def formatter(self, name: str, args: tuple = (), kwargs: dict | None = None) -> Any:
        bound = getattr(self.generator, name, None)
        if bound is None or not inspect.ismethod(bound):
            raise Unsupported(f"no formatter {name!r}")
        return self.call_method(bound.__self__, name, args, kwargs or {})

    def call_method(self, provider, name: str, args: tuple, kwargs: dict) -> Any:
        if _is_symbolic(args) or _is_symbolic(tuple(kwargs.values())):
            raise Unsupported(f"{name}() called with random arguments")
        key: tuple = (id(provider), name, args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
            cacheable = True
        except TypeError:
            # Unhashable arguments (lists): not cached; recursion is still caught by name.
            key, cacheable = (id(provider), name), False
        if cacheable and key in self.results:
            return self.results[key]
        if key in self.active:
            raise Unsupported(f"recursive call to {name}()")
        self.active.add(key)
        try:
            result = self._run(provider, name, args, kwargs)
        finally:
            self.active.discard(key)
        if cacheable:
            self.results[key] = result
        return result

    def _run(self, provider, name: str, args: tuple, kwargs: dict) -> Any:
        bound = getattr(provider, name, None)
        if bound is None or not inspect.ismethod(bound):
            raise Unsupported(f"no method {name!r}")
        func = inspect.unwrap(bound.__func__)
        try:
            definition = _method_ast(func)
        except (OSError, TypeError, SyntaxError) as exc:
            raise Unsupported(f"no source for {name}()") from exc
        try:
            bound_args = inspect.signature(func).bind(provider, *args, **kwargs)
        except TypeError as exc:
            raise Unsupported(f"arguments do not fit {name}(): {exc}") from exc
        bound_args.apply_defaults()
        env = dict(bound_args.arguments)
        first = next(iter(env))
        env[first] = _Self(provider)
        frame = _Frame(self, provider, func.__globals__, env)
        try:
            frame.run(definition.body)
        except _Return as done:
            result = done.value
        else:
            raise Unsupported(f"{name}() returns nothing")
        for decorator in reversed(definition.decorator_list):
            label = decorator.id if isinstance(decorator, ast.Name) else None
            if label not in _DECORATORS:
                raise Unsupported(f"decorator {ast.unparse(decorator)}")
            result = _Text(_rewrite(_node(result), _map_text(_DECORATORS[label]())))
        return result

    # -- Faker's random primitives

    def choose(self, elements: Any) -> Any:
        if isinstance(elements, _Objects):
            options = [_node(self.choose(v)) for v in elements.values]
            return _Text(Alternatives(options, elements.weights))
        if _is_symbolic(elements):
            raise Unsupported("random_element over random data")
        if isinstance(elements, dict) and not isinstance(elements, OrderedDict):
            raise Unsupported("random_element over a plain dict")
        if isinstance(elements, OrderedDict):
            values, weights = tuple(elements.keys()), tuple(float(w) for w in elements.values())
        else:
            values, weights = tuple(elements), None
        if not values:
            raise Unsupported("random_element over nothing")
        if all(isinstance(v, str) for v in values):
            return _Text(Choice(values, weights))
        return _Objects(values, weights)

    def parse(self, text: Any) -> _Text:
        def expand(piece: str) -> Node:
            if "{{" not in piece:
                return Literal(piece)
            parts: list[Node] = []
            last = 0
            for match in _FAKER_TOKEN.finditer(piece):
                if match.group(2):
                    raise Unsupported("argument groups in format strings")
                parts.append(Literal(piece[last : match.start()]))
                parts.append(_node(self.formatter(match.group(1))))
                last = match.end()
            parts.append(Literal(piece[last:]))
            return _concat(parts)

        return _Text(_rewrite(_node(text), expand))

    @staticmethod
    def numerify(text: Any) -> _Text:
        return _Text(_rewrite(_node(text), lambda piece: _placeholders(piece, _DIGIT_PLACEHOLDERS)))

    @staticmethod
    def lexify(text: Any, letters: str = string.ascii_letters) -> _Text:
        if not isinstance(letters, str) or not letters:
            raise Unsupported("lexify letters")
        table = {"?": (tuple(letters), None)}
        return _Text(_rewrite(_node(text), lambda piece: _placeholders(piece, table)))


class _Frame:
    """One method activation: its locals, and the evaluation of its statements and expressions."""

    def __init__(self, evaluator: _Evaluator, provider, module_globals: dict, env: dict):
        self.ev = evaluator
        self.provider = provider
        self.globals = module_globals
        self.env = env

    # -- statements

    def run(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Return):
            raise _Return(None if node.value is None else self.eval(node.value))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return  # docstring
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.env[node.targets[0].id] = self.eval(node.value)
            return
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            self.env[node.target.id] = self.eval(node.value)
            return
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            current = self.env.get(node.target.id)
            self.env[node.target.id] = self.binary(node.op, current, self.eval(node.value))
            return
        if isinstance(node, ast.If):
            self.run(node.body if self.truth(self.eval(node.test)) else node.orelse)
            return
        raise Unsupported(f"statement {type(node).__name__}")

    @staticmethod
    def truth(value: Any) -> bool:
        if _is_symbolic(value):
            raise Unsupported("branch on a random value")
        return bool(value)

    # -- expressions

    def eval(self, node: ast.expr) -> Any:
        method = getattr(self, f"eval_{type(node).__name__}", None)
        if method is None:
            raise Unsupported(f"expression {type(node).__name__}")
        return method(node)

    def eval_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def eval_Name(self, node: ast.Name) -> Any:
        if node.id in self.env:
            return self.env[node.id]
        if node.id in ("hasattr", "str") or node.id in _PURE_BUILTINS:
            return _Builtin(node.id)
        if node.id in self.globals and node.id in _PURE_GLOBALS | _TEXT_GLOBALS:
            return _Builtin(node.id, self.globals[node.id])
        raise Unsupported(f"name {node.id!r}")

    def eval_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.eval(e) for e in node.elts)

    def eval_List(self, node: ast.List) -> list:
        return [self.eval(e) for e in node.elts]

    def eval_Attribute(self, node: ast.Attribute) -> Any:
        subject = self.eval(node.value)
        name = node.attr
        if isinstance(subject, _Self):
            if name == "generator":
                return _GENERATOR
            try:
                value = getattr(subject.provider, name)
            except AttributeError as exc:
                raise Unsupported(f"no attribute {name!r}") from exc
            if inspect.ismethod(value):
                return _Method(subject.provider, name)
            if callable(value):
                # static helpers and classes may draw from Faker's own random state
                raise Unsupported(f"callable attribute {name!r}")
            return value
        if subject is _GENERATOR:
            if name == "random":
                return _RANDOM
            if name in ("parse", "format"):
                return _Builtin(name)
            raise Unsupported(f"generator.{name}")
        if subject is _RANDOM:
            if name in ("randint", "randrange"):
                return _Builtin(name)
            raise Unsupported(f"random.{name}")
        if isinstance(subject, _Text) and name in ("upper", "lower", "split"):
            return _Builtin(f"text.{name}", subject)
        if isinstance(subject, _Words) and name == "pop":
            return _Builtin("words.pop", subject)
        if not _is_symbolic(subject) and name in _PURE_DATA_METHODS:
            if name == "join" and isinstance(subject, str):
                return _Builtin("join", subject)
            return getattr(subject, name)
        raise Unsupported(f"attribute .{name}")

    def eval_Subscript(self, node: ast.Subscript) -> Any:
        subject = self.eval(node.value)
        key = self.eval(node.slice)
        if _is_symbolic(key):
            raise Unsupported("random subscript")
        if isinstance(subject, _Objects):
            mapped = tuple(v[key] for v in subject.values)
            if all(isinstance(v, str) for v in mapped):
                return _Text(Choice(mapped, subject.weights))
            return _Objects(mapped, subject.weights)
        if isinstance(subject, _Words) and key == 0:
            return _Text(_first_word(subject.node, subject.sep))
        if isinstance(subject, _Text) and isinstance(subject.node, Choice):
            # area_code[0], area_code[1:] of a value drawn from a table
            return _Text(Choice([v[key] for v in subject.node.values], subject.node.weights))
        if isinstance(subject, _Text | _Int | _Words):
            raise Unsupported("subscript of a random value")
        return subject[key]

    def eval_Slice(self, node: ast.Slice) -> slice:
        parts = [None if p is None else self.eval(p) for p in (node.lower, node.upper, node.step)]
        return slice(*parts)

    def eval_BinOp(self, node: ast.BinOp) -> Any:
        return self.binary(node.op, self.eval(node.left), self.eval(node.right))

    def binary(self, op: ast.operator, left: Any, right: Any) -> Any:
        if isinstance(op, ast.Mod) and isinstance(left, str) and _is_symbolic(right):
            return _printf(left, right if isinstance(right, tuple) else (right,))
        if not _is_symbolic(left) and not _is_symbolic(right):
            if type(op) not in _BINARY:
                raise Unsupported(f"operator {type(op).__name__}")
            return _BINARY[type(op)](left, right)
        if isinstance(op, ast.Add) and not isinstance(left, _Int) and not isinstance(right, _Int):
            return _Text(_concat([_node(left), _node(right)]))
        raise Unsupported(f"operator {type(op).__name__} on random values")

    def eval_Compare(self, node: ast.Compare) -> bool:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node)
            if _is_symbolic(left) or _is_symbolic(right):
                raise Unsupported("comparison of random values")
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def eval_BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value = None
        for item in node.values:
            value = self.eval(item)
            if self.truth(value) != is_and:
                return value
        return value

    def eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.eval(node.operand)
        if _is_symbolic(value):
            raise Unsupported("unary operator on a random value")
        if isinstance(node.op, ast.Not):
            return not value
        if isinstance(node.op, ast.USub):
            return -value
        raise Unsupported(f"unary {type(node.op).__name__}")

    def eval_IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body if self.truth(self.eval(node.test)) else node.orelse)

    def eval_JoinedStr(self, node: ast.JoinedStr) -> Any:
        parts: list[Any] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(value.value)
                continue
            if not isinstance(value, ast.FormattedValue):
                raise Unsupported("f-string part")
            item = self.eval(value.value)
            spec = "" if value.format_spec is None else self.eval(value.format_spec)
            if value.conversion != -1 or not isinstance(spec, str):
                raise Unsupported("f-string conversion")
            if not _is_symbolic(item):
                parts.append(format(item, spec))
            elif isinstance(item, _Int):
                parts.append(_Text(_integer_text(item, spec.removesuffix("d"))))
            elif spec:
                raise Unsupported("format spec on random text")
            else:
                parts.append(item)
        if not _is_symbolic(parts):
            return "".join(parts)
        return _Text(_concat([_node(p) for p in parts]))

    def eval_ListComp(self, node: ast.ListComp) -> list:
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise Unsupported("list comprehension shape")
        generator = node.generators[0]
        if not isinstance(generator.target, ast.Name):
            raise Unsupported("list comprehension target")
        iterable = self.eval(generator.iter)
        if _is_symbolic(iterable):
            raise Unsupported("iteration over random values")
        saved = self.env.get(generator.target.id, _MISSING)
        out = []
        for item in iterable:
            self.env[generator.target.id] = item
            if all(self.truth(self.eval(cond)) for cond in generator.ifs):
                out.append(self.eval(node.elt))
        if saved is _MISSING:
            self.env.pop(generator.target.id, None)
        else:
            self.env[generator.target.id] = saved
        return out

    def eval_Call(self, node: ast.Call) -> Any:
        func = self.eval(node.func)
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise Unsupported("star arguments")
        args = tuple(self.eval(a) for a in node.args)
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords}
        if isinstance(func, _Method):
            return self.call_provider(func, args, kwargs)
        if isinstance(func, _Builtin):
            return self.call_builtin(func, args, kwargs)
        if isinstance(func, _Objects) and all(isinstance(v, _Method) for v in func.values):
            # random_element((self.last_name_male, self.last_name_female))() and the like
            options = [_node(self.call_provider(v, args, kwargs)) for v in func.values]
            return _Text(Alternatives(options, func.weights))
        if callable(func) and not _is_symbolic(args) and not _is_symbolic(tuple(kwargs.values())):
            return func(*args, **kwargs)
        raise Unsupported("call")

    def call_provider(self, method: _Method, args: tuple, kwargs: dict) -> Any:
        ev, name = self.ev, method.name
        params = _bind(getattr(method.provider, name), args, kwargs)
        if name == "random_element":
            return ev.choose(params["elements"])
        if name == "numerify":
            return ev.numerify(params["text"])
        if name == "lexify":
            return ev.lexify(params["text"], params["letters"])
        if name == "bothify":
            return ev.lexify(ev.numerify(params["text"]), params["letters"])
        if name == "random_int":
            if params["step"] != 1:
                raise Unsupported("random_int with a step")
            return _Int(params["min"], params["max"])
        if name in ("random_digit", "random_digit_not_null", "random_digit_above_two"):
            return _Int({"random_digit": 0, "random_digit_not_null": 1}.get(name, 2), 9)
        if name == "random_number":
            digits = params["digits"]
            if not isinstance(digits, int) or digits < 1:
                raise Unsupported("random_number without a digit count")
            return _Int(10 ** (digits - 1) if params["fix_len"] else 0, 10**digits - 1)
        if name in ("random_letter", "random_lowercase_letter", "random_uppercase_letter"):
            letters = {"random_letter": string.ascii_letters, "random_lowercase_letter": string.ascii_lowercase}
            return _Text(Choice(tuple(letters.get(name, string.ascii_uppercase))))
        if name == "words":
            return self.words(method.provider, params)
        if name == "_to_ascii":
            text = params["string"]
            convert = getattr(method.provider, name)
            if not _is_symbolic(text):
                return convert(text)
            return _Text(_rewrite(_node(text), _map_text(convert)))
        if name in _PURE_PROVIDER_METHODS and not _is_symbolic(tuple(params.values())):
            return getattr(method.provider, name)(*args, **kwargs)
        return ev.call_method(method.provider, name, args, kwargs)

    def words(self, provider, params: dict) -> list:
        nb, unique = params["nb"], params["unique"]
        if unique or not isinstance(nb, int) or not 0 <= nb <= 16:
            raise Unsupported("words() shape")
        word_list = provider.get_words_list(
            part_of_speech=params["part_of_speech"], ext_word_list=params["ext_word_list"]
        )
        return [self.ev.choose(word_list) for _ in range(nb)]

    def call_builtin(self, func: _Builtin, args: tuple, kwargs: dict) -> Any:
        name = func.name
        if name == "parse":
            return self.ev.parse(args[0])
        if name == "format":
            if len(args) != 1 or kwargs or not isinstance(args[0], str):
                raise Unsupported("generator.format with arguments")
            return self.ev.formatter(args[0])
        if name in ("randint", "randrange"):
            if len(args) != 2 or kwargs or _is_symbolic(args):
                raise Unsupported(f"random.{name} arguments")
            low, high = args
            return _Int(low, high if name == "randint" else high - 1)
        if name == "hasattr":
            subject, attribute = args
            if isinstance(subject, _Self):
                return hasattr(subject.provider, attribute)
            raise Unsupported("hasattr on a value")
        if name == "str":
            (value,) = args
            return _Text(_node(value)) if _is_symbolic(value) else str(value)
        if name == "join":
            return _join(func.subject, args[0])
        if name == "text.upper":
            return _Text(_rewrite(func.subject.node, _map_text(str.upper)))
        if name == "text.lower":
            return _Text(_rewrite(func.subject.node, _map_text(str.lower)))
        if name == "text.split":
            if len(args) != 1 or not isinstance(args[0], str) or len(args[0]) != 1:
                raise Unsupported("split shape")
            return _Words(func.subject.node, args[0])
        if name == "words.pop":
            if args != (0,):
                raise Unsupported("pop shape")
            return _Text(_first_word(func.subject.node, func.subject.sep))
        if name in _TEXT_GLOBALS:
            (value,) = args
            if not _is_symbolic(value):
                return func.subject(value)
            return _Text(_rewrite(_node(value), _map_text(func.subject)))
        if _is_symbolic(args) or _is_symbolic(tuple(kwargs.values())):
            raise Unsupported(f"{name}() of random values")
        if name in _PURE_GLOBALS:
            return func.subject(*args, **kwargs)
        return _PURE_BUILTINS[name](*args, **kwargs)


_MISSING = object()


def _bind(bound_method, args: tuple, kwargs: dict) -> dict:
    try:
        params = inspect.signature(bound_method).bind(*args, **kwargs)
    except TypeError as exc:
        raise Unsupported(str(exc)) from exc
    params.apply_defaults()
    return dict(params.arguments)


def _join(separator: str, items: Any) -> Any:
    if isinstance(items, _Words):
        # "".join(text.split(" ")) is text.replace(" ", ""): character-local.
        return _Text(_rewrite(items.node, _map_text(lambda t: t.replace(items.sep, separator))))
    if not _is_symbolic(items):
        return separator.join(items)
    if not isinstance(items, list | tuple):
        raise Unsupported("join of random values")
    parts: list[Node] = []
    for i, item in enumerate(items):
        if i:
            parts.append(Literal(separator))
        parts.append(_node(item))
    return _Text(_concat(parts))


def _first_word(node: Node, sep: str) -> Node:
    """The grammar of `text.split(sep)[0]` for the strings of `node`."""

    def first(parts: list[Node]) -> Node:
        # The first word of the concatenation of `parts`, resolving each branch to its end.
        if not parts:
            return Literal("")
        head, rest = parts[0], parts[1:]
        if isinstance(head, Concat):
            return first(list(head.parts) + rest)
        if isinstance(head, Alternatives):
            return Alternatives([first([option] + rest) for option in head.options], head.weights)
        if isinstance(head, Literal):
            prefix, found, _ = head.text.partition(sep)
            return Literal(prefix) if found else _concat([head, first(rest)])
        if isinstance(head, IntegerText):
            return _concat([head, first(rest)])
        if isinstance(head, Choice):
            weights = head.weights or (1.0,) * len(head.values)
            ended = [i for i, v in enumerate(head.values) if sep in v]
            going = [i for i, v in enumerate(head.values) if sep not in v]
            branches: list[Node] = []
            branch_weights: list[float] = []
            if ended:
                prefixes = [head.values[i].partition(sep)[0] for i in ended]
                branches.append(Choice(prefixes, [weights[i] for i in ended]))
                branch_weights.append(sum(weights[i] for i in ended))
            if going:
                kept = Choice([head.values[i] for i in going], [weights[i] for i in going])
                branches.append(_concat([kept, first(rest)]))
                branch_weights.append(sum(weights[i] for i in going))
            return branches[0] if len(branches) == 1 else Alternatives(branches, branch_weights)
        raise Unsupported(f"first word of {head!r}")

    return first([node])


_PRINTF = re.compile(r"%(%|(0?)(\d*)d|s)")


def _integer_text(value: _Int, spec: str) -> Node:
    """`value` formatted with '', '05', ... ; other specs are not reproduced."""
    if spec and not re.fullmatch(r"0\d+", spec):
        raise Unsupported(f"integer format {spec!r}")
    return IntegerText(value.low, value.high, int(spec) if spec else 0)


def _printf(template: str, values: tuple) -> _Text:
    parts: list[Node] = []
    queue = list(values)
    last = 0
    for match in _PRINTF.finditer(template):
        parts.append(Literal(template[last : match.start()]))
        last = match.end()
        if match.group(1) == "%":
            parts.append(Literal("%"))
            continue
        if not queue:
            raise Unsupported("printf arguments")
        value = queue.pop(0)
        if match.group(1) == "s":
            parts.append(_node(value))
        elif isinstance(value, _Int):
            if match.group(3) and not match.group(2):
                raise Unsupported("space-padded integer")
            parts.append(_integer_text(value, match.group(2) + match.group(3)))
        elif isinstance(value, int):
            parts.append(Literal(match.group(0) % value))
        else:
            raise Unsupported("printf value")
    if queue:
        raise Unsupported("printf arguments")
    parts.append(Literal(template[last:]))
    return _Text(_concat(parts))


# ---------------------------------------------------------------------------------------------
# Enumeration for unique columns: an injective nth over a sub-language of the tree whose every
# string splits back into its pieces in one way only. Concatenation pieces of variable length
# must be followed by a piece starting with a character they never contain (values that break
# this are left out); of alternatives, only ones provably disjoint from each other are kept.

_EDGE = 16  # how many leading/trailing character sets are kept for disjointness checks


class _Space:
    size: int
    chars: frozenset
    fixed: int | None
    min_len: int
    head: tuple  # character sets of the first positions every string has
    tail: tuple

    def nth(self, ranks: np.ndarray) -> np.ndarray | str:
        raise NotImplementedError


def _ranks(ranks: np.ndarray, size: int) -> np.ndarray:
    if size < INT64_LIMIT and ranks.dtype == object:
        return ranks.astype(np.int64)
    return ranks


class _ValuesSpace(_Space):
    def __init__(self, values: Sequence[str]):
        self.values = np.empty(len(values), dtype=object)
        self.values[:] = values
        self.size = len(values)
        self.chars = frozenset("".join(values))
        lengths = {len(v) for v in values}
        self.fixed = lengths.pop() if len(lengths) == 1 else None
        self.min_len = min(len(v) for v in values)
        edge = min(self.min_len, _EDGE)
        self.head = tuple(frozenset(v[i] for v in values) for i in range(edge))
        self.tail = tuple(frozenset(v[len(v) - edge + i] for v in values) for i in range(edge))

    def nth(self, ranks: np.ndarray) -> np.ndarray | str:
        if self.size == 1:
            return self.values[0]
        return self.values[_ranks(ranks, self.size)]


class _IntegerSpace(_Space):
    def __init__(self, node: IntegerText):
        self.node = node
        self.size = node.high - node.low + 1
        self.chars = frozenset(string.digits)
        short, long_ = (max(len(str(x)), node.width) for x in (node.low, node.high))
        self.fixed = short if short == long_ else None
        self.min_len = short
        digits = frozenset(string.digits)
        self.head = self.tail = (digits,) * min(short, _EDGE)

    def nth(self, ranks: np.ndarray) -> np.ndarray:
        ranks = _ranks(ranks, self.size)
        return self.node.render(ranks + self.node.low)


class _ConcatSpace(_Space):
    def __init__(self, parts: list[_Space]):
        self.parts = parts
        self.size = 1
        for part in parts:
            self.size *= part.size
        self.chars = frozenset().union(*(p.chars for p in parts))
        self.fixed = None if any(p.fixed is None for p in parts) else sum(p.fixed for p in parts)
        self.min_len = sum(p.min_len for p in parts)
        self.head = _edge(parts)
        self.tail = tuple(reversed(_edge(list(reversed(parts)), from_end=True)))

    def nth(self, ranks: np.ndarray) -> np.ndarray | str:
        ranks = _ranks(ranks, self.size)
        pieces = []
        for part in reversed(self.parts):
            pieces.append(part.nth(ranks % part.size))
            ranks = ranks // part.size
        out: np.ndarray | str = ""
        for piece in reversed(pieces):
            out = out + piece
        return out


def _edge(parts: list[_Space], from_end: bool = False) -> tuple:
    sets: list[frozenset] = []
    for part in parts:
        sets.extend(reversed(part.tail) if from_end else part.head)
        if part.fixed is None or len(sets) >= _EDGE:
            break
    return tuple(sets[:_EDGE])


class _AlternativesSpace(_Space):
    def __init__(self, options: list[_Space]):
        self.options = options
        self.size = sum(o.size for o in options)
        self.offsets = np.cumsum([0] + [o.size for o in options], dtype=object)
        self.chars = frozenset().union(*(o.chars for o in options))
        fixed = {o.fixed for o in options}
        self.fixed = fixed.pop() if len(fixed) == 1 else None
        self.min_len = min(o.min_len for o in options)
        self.head = _union_edge([o.head for o in options])
        self.tail = tuple(reversed(_union_edge([tuple(reversed(o.tail)) for o in options])))

    def nth(self, ranks: np.ndarray) -> np.ndarray:
        ranks = _ranks(ranks, self.size)
        offsets = self.offsets if self.size >= INT64_LIMIT else self.offsets.astype(np.int64)
        which = np.searchsorted(offsets, ranks, side="right") - 1
        out = np.empty(len(ranks), dtype=object)
        for i, option in enumerate(self.options):
            rows = np.flatnonzero(which == i)
            if rows.size:
                out[rows] = option.nth(ranks[rows] - offsets[i])
        return out


def _union_edge(edges: list[tuple]) -> tuple:
    length = min(len(e) for e in edges)
    return tuple(frozenset().union(*(e[i] for e in edges)) for i in range(length))


def _disjoint(a: _Space, b: _Space) -> bool:
    if a.fixed is not None and b.fixed is not None and a.fixed != b.fixed:
        return True
    if any(not (x & y) for x, y in zip(a.head, b.head, strict=False)):
        return True
    return any(not (x & y) for x, y in zip(reversed(a.tail), reversed(b.tail), strict=False))


def _fixed_length(node: Node) -> bool:
    if isinstance(node, Literal):
        return True
    if isinstance(node, Choice):
        return len({len(v) for v in node.values}) == 1
    if isinstance(node, Concat):
        return all(_fixed_length(p) for p in node.parts)
    if isinstance(node, IntegerText):
        return max(len(str(node.low)), node.width) == max(len(str(node.high)), node.width)
    return False


def _space(node: Node, stop: frozenset) -> _Space | None:
    """An unambiguous enumeration of strings of `node` that avoid the characters in `stop`."""
    if isinstance(node, Literal):
        return None if stop & set(node.text) else _ValuesSpace([node.text])
    if isinstance(node, Choice):
        values = list(dict.fromkeys(v for v in node.values if not stop & set(v)))
        return _ValuesSpace(values) if values else None
    if isinstance(node, IntegerText):
        return None if stop & set(string.digits) else _IntegerSpace(node)
    if isinstance(node, Concat):
        parts: list[_Space] = []
        following: _Space | None = None
        for part in reversed(node.parts):
            part_stop = stop
            if not _fixed_length(part) and following is not None:
                if following.min_len == 0 or not following.head:
                    return None
                part_stop = stop | following.head[0]
            space = _space(part, part_stop)
            if space is None:
                return None
            if space.fixed == 0:
                continue  # an empty piece adds nothing and separates nothing
            parts.append(space)
            following = space
        parts.reverse()
        if not parts:
            return _ValuesSpace([""])
        return parts[0] if len(parts) == 1 else _ConcatSpace(parts)
    if isinstance(node, Alternatives):
        candidates = [s for s in (_space(o, stop) for o in node.options) if s is not None]
        kept: list[_Space] = []
        for candidate in sorted(candidates, key=lambda s: -s.size):
            if all(_disjoint(candidate, other) for other in kept):
                kept.append(candidate)
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else _AlternativesSpace(kept)
    return None


# ---------------------------------------------------------------------------------------------
# Public interface.


class BulkSampler:
    """Samples one Faker provider of one locale in bulk."""

    def __init__(self, provider: str, locale: str, tree: Node):
        self.provider = provider
        self.locale = locale
        self.tree = tree
        self._sampler = tree.optimised()
        self._space: _Space | None = None
        self._space_built = False

    def sample(self, rng: np.random.Generator, n: int) -> list[str]:
        return as_object_array(self._sampler.sample(rng, n), n).tolist()

    def _enumeration(self) -> _Space | None:
        if not self._space_built:
            self._space = _space(self.tree, frozenset())
            self._space_built = True
        return self._space

    @property
    def domain_size(self) -> int | None:
        """How many distinct values `nth` enumerates (a subset of what `sample` draws, because
        only unambiguous formats are enumerated), or None when they cannot be enumerated."""
        space = self._enumeration()
        return None if space is None else space.size

    def nth(self, indices) -> list[str]:
        """Distinct values for distinct indices in 0..domain_size-1."""
        space = self._enumeration()
        if space is None:
            raise ValueError(f"faker provider {self.provider!r} ({self.locale}) has no enumeration")
        ranks = np.asarray(indices, dtype=object if space.size >= INT64_LIMIT else np.int64).reshape(-1)
        if ranks.size and (ranks.min() < 0 or ranks.max() >= space.size):
            raise ValueError(f"index out of range 0..{space.size - 1}")
        return as_object_array(space.nth(ranks), len(ranks)).tolist()

    def __repr__(self) -> str:
        return f"BulkSampler({self.provider!r}, {self.locale!r})"


@functools.cache
def _generator(locale: str):
    from faker import Factory
    from faker.config import AVAILABLE_LOCALES

    if locale not in AVAILABLE_LOCALES:
        return None
    return Factory.create(locale)


@functools.cache
def _evaluator(locale: str) -> _Evaluator | None:
    generator = _generator(locale)
    return None if generator is None else _Evaluator(generator)


def _args_key(args: dict | None) -> tuple | None:
    """Hashable form of the provider arguments (lists become tuples, which Faker accepts alike)."""

    def freeze(value: Any) -> Any:
        return tuple(freeze(v) for v in value) if isinstance(value, list | tuple) else value

    try:
        key = tuple(sorted((str(name), freeze(value)) for name, value in (args or {}).items()))
        hash(key)
    except TypeError:
        return None
    return key


@functools.lru_cache(maxsize=1024)
def _cached_sampler(provider: str, locale: str, args_key: tuple) -> BulkSampler | None:
    evaluator = _evaluator(locale)
    if evaluator is None:
        return None
    try:
        value = evaluator.formatter(provider, (), dict(args_key))
        tree = _node(value)
    except (Unsupported, AttributeError, KeyError, IndexError, TypeError, ValueError):
        # Anything this evaluator cannot follow is left to Faker itself.
        return None
    return BulkSampler(provider, locale, tree)


def bulk_sampler(provider: str, locale: str, args: dict | None = None) -> BulkSampler | None:
    """A vectorised sampler for Faker `provider` in `locale` called with `args`, or None when this
    combination is not answered in bulk (the caller then uses Faker row by row)."""
    if provider not in BULK_PROVIDERS or not isinstance(locale, str):
        return None
    key = _args_key(args)
    if key is None:
        return None
    return _cached_sampler(provider, locale.replace("-", "_"), key)
