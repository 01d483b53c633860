"""The string-grammar node algebra (literal, choice, concatenation, alternatives, repetition) and its
vectorised sampler; faker_bulk reuses it for Faker's format strings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

INT64_LIMIT = 2**63

# ---------------------------------------------------------------------------------------------
# String-grammar nodes. `sample(rng, n)` returns either one str (the same for every row) or an
# object array of n str; `as_object_array` turns either into an array.


def as_object_array(value: str | np.ndarray, n: int) -> np.ndarray:
    if isinstance(value, str):
        out = np.empty(n, dtype=object)
        out[:] = value
        return out
    return value


class Node:
    def sample(self, rng: np.random.Generator, n: int) -> str | np.ndarray:
        raise NotImplementedError

    def optimised(self) -> Node:
        """An equivalent node that samples faster (runs of single characters fused)."""
        return self


class Literal(Node):
    def __init__(self, text: str):
        self.text = text

    def sample(self, rng: np.random.Generator, n: int) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Literal({self.text!r})"


class Choice(Node):
    """One of `values` per row, uniformly or with `weights` (any non-negative scale)."""

    def __init__(self, values: Sequence[str], weights: Sequence[float] | None = None):
        if not values:
            raise ValueError("a choice needs at least one value")
        self.values = tuple(values)
        self._array = np.empty(len(self.values), dtype=object)
        self._array[:] = self.values
        self._cdf = None
        self.weights: tuple[float, ...] | None = None
        if weights is not None:
            w = np.asarray(weights, dtype=np.float64)
            if len(w) != len(self.values) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
                raise ValueError("choice weights must be finite, non-negative and not all zero")
            # Equal weights sample faster as plain integers and give the same distribution.
            if not np.all(w == w[0]):
                self._cdf = np.cumsum(w)
                self.weights = tuple(w.tolist())
        self.single_chars = all(len(v) == 1 for v in self.values)
        self.codes = (
            np.array([ord(v) for v in self.values], dtype=np.uint32) if self.single_chars else None
        )

    def draw(self, rng: np.random.Generator, size) -> np.ndarray:
        """Indices into `values`, shape `size`."""
        if self._cdf is None:
            return rng.integers(0, len(self.values), size=size)
        u = rng.random(size) * self._cdf[-1]
        return np.minimum(np.searchsorted(self._cdf, u, side="right"), len(self.values) - 1)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray | str:
        if len(self.values) == 1:
            return self.values[0]
        return self._array[self.draw(rng, n)]

    def __repr__(self) -> str:
        shown = ", ".join(repr(v) for v in self.values[:5])
        more = ", ..." if len(self.values) > 5 else ""
        return f"Choice([{shown}{more}]{', weighted' if self.weights else ''})"


class Concat(Node):
    def __init__(self, parts: Sequence[Node]):
        self.parts = tuple(parts)

    def sample(self, rng: np.random.Generator, n: int) -> str | np.ndarray:
        out: str | np.ndarray = ""
        for part in self.parts:
            out = out + part.sample(rng, n)
        return out

    def optimised(self) -> Node:
        parts: list[Node] = []
        for part in self.parts:
            part = part.optimised()
            if isinstance(part, Concat):
                parts.extend(part.parts)
            else:
                parts.append(part)
        fused: list[Node] = []
        run: list[Node] = []
        for part in parts + [None]:
            if part is not None and _fusable(part):
                run.append(part)
                continue
            if run:
                fused.append(_fuse(run))
                run = []
            if part is not None:
                fused.append(part)
        if len(fused) == 1:
            return fused[0]
        return Concat(fused)

    def __repr__(self) -> str:
        return f"Concat({list(self.parts)!r})"


class Alternatives(Node):
    """One option per row, uniformly or with `weights`."""

    def __init__(self, options: Sequence[Node], weights: Sequence[float] | None = None):
        if not options:
            raise ValueError("alternatives need at least one option")
        self.options = tuple(options)
        self.weights = None if weights is None else tuple(float(w) for w in weights)
        self._choice = Choice([str(i) for i in range(len(self.options))], self.weights)

    def sample(self, rng: np.random.Generator, n: int) -> str | np.ndarray:
        if len(self.options) == 1:
            return self.options[0].sample(rng, n)
        which = self._choice.draw(rng, n)
        # Group rows by option once (stable), rather than one full mask per option.
        order = np.argsort(which, kind="stable")
        counts = np.bincount(which, minlength=len(self.options))
        out = np.empty(n, dtype=object)
        start = 0
        for option, count in zip(self.options, counts, strict=True):
            if count:
                rows = order[start : start + count]
                out[rows] = option.sample(rng, int(count))
                start += count
        return out

    def optimised(self) -> Node:
        return Alternatives([o.optimised() for o in self.options], self.weights)

    def __repr__(self) -> str:
        return f"Alternatives({list(self.options)!r})"


class Repeat(Node):
    """`node` repeated a uniformly drawn number of times in [low, high]."""

    def __init__(self, node: Node, low: int, high: int):
        self.node, self.low, self.high = node, low, high

    def sample(self, rng: np.random.Generator, n: int) -> str | np.ndarray:
        counts = rng.integers(self.low, self.high + 1, size=n) if self.high > self.low else None
        out = as_object_array("", n)
        for i in range(self.high):
            if i < self.low:
                out = out + self.node.sample(rng, n)
                continue
            rows = np.flatnonzero(counts > i)
            if rows.size:
                out[rows] = out[rows] + self.node.sample(rng, rows.size)
        return out

    def optimised(self) -> Node:
        inner = self.node.optimised()
        if isinstance(inner, Choice) and inner.single_chars:
            if self.low == self.high:
                return _fuse([inner] * self.low) if self.low else Literal("")
            return CharRun(inner, self.low, self.high)
        if isinstance(inner, Literal) and self.low == self.high:
            return Literal(inner.text * self.low)
        return Repeat(inner, self.low, self.high)

    def __repr__(self) -> str:
        return f"Repeat({self.node!r}, {self.low}, {self.high})"


def _codes_to_strings(codes: np.ndarray) -> np.ndarray:
    """(n, width) uint32 code points -> object array of n str; trailing NULs are dropped."""
    n, width = codes.shape
    if width == 0:
        return as_object_array("", n)
    text = np.ascontiguousarray(codes, dtype=np.uint32).view(np.dtype(("U", width))).reshape(n)
    return text.astype(object)


class Block(Node):
    """A fixed-width run of literal characters and single-character choices, drawn as one
    code-point matrix instead of one string concatenation per character."""

    def __init__(self, template: np.ndarray, slots: list[tuple[int, Choice]]):
        self.template = template
        self.slots = slots

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        codes = np.empty((n, len(self.template)), dtype=np.uint32)
        codes[:] = self.template
        for position, choice in self.slots:
            codes[:, position] = choice.codes[choice.draw(rng, n)]
        return _codes_to_strings(codes)


class CharRun(Node):
    """Between `low` and `high` single characters drawn from one choice (e.g. `[A-Z]{2,5}`)."""

    def __init__(self, choice: Choice, low: int, high: int):
        self.choice, self.low, self.high = choice, low, high

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        codes = self.choice.codes[self.choice.draw(rng, (n, self.high))]
        lengths = rng.integers(self.low, self.high + 1, size=n)
        codes[np.arange(self.high)[None, :] >= lengths[:, None]] = 0
        return _codes_to_strings(codes)


def _fusable(node: Node) -> bool:
    return isinstance(node, Literal) or (isinstance(node, Choice) and node.single_chars)


def _fuse(run: list[Node]) -> Node:
    template: list[int] = []
    slots: list[tuple[int, Choice]] = []
    for node in run:
        if isinstance(node, Literal):
            template.extend(ord(c) for c in node.text)
        elif len(node.values) == 1:
            template.append(int(node.codes[0]))
        else:
            slots.append((len(template), node))
            template.append(0)
    if not slots:
        return Literal("".join(chr(c) for c in template))
    return Block(np.array(template, dtype=np.uint32), slots)


