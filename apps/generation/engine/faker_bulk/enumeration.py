"""Enumeration of a grammar tree's values, for unique columns."""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np

from ..patterns import INT64_LIMIT, Alternatives, Choice, Concat, Literal, Node
from .symbols import IntegerText

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


