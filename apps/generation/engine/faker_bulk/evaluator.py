"""Symbolic evaluation of Faker provider methods, read from their source with `ast`."""

from __future__ import annotations

import ast
import functools
import inspect
import operator
import re
import string
import textwrap
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..patterns import Alternatives, Choice, Concat, Literal, Node
from .symbols import (
    _DIGIT_PLACEHOLDERS,
    _FAKER_TOKEN,
    _GENERATOR,
    _RANDOM,
    IntegerText,
    Unsupported,
    _Builtin,
    _concat,
    _Int,
    _is_symbolic,
    _map_text,
    _Method,
    _node,
    _Objects,
    _placeholders,
    _rewrite,
    _Self,
    _Text,
    _Words,
)

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


