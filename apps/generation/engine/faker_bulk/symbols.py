"""Symbolic values met while evaluating a Faker method, and the grammar nodes they become.

Anything that is not one of these symbols is a concrete Python value. The rewriting helpers turn
placeholders, tokens and character-local transformations into grammar nodes piece by piece.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..patterns import Alternatives, Choice, Concat, Literal, Node

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


