"""String patterns: the regular-expression subset of `string.pattern`.

Supported (SCHEMA_DSL.md): literals and backslash escapes, classes such as
`[A-Z0-9_]` with ranges, `\\d` and `\\w` (ASCII: `[0-9]`, `[A-Za-z0-9_]`),
the quantifiers `{n}`, `{n,m}` and `?`, and groups `( ... | ... )`, nested
(`(?: ... )` is accepted as a plain group). Everything else (`*`, `+`, `.`,
anchors, negated classes, lazy quantifiers) is rejected with a PatternError
naming the position, so a pattern never means something other than what
Python's `re` would make of it.

The module also holds the small string-grammar node algebra (literal, choice,
concatenation, alternatives, repetition) and its vectorised sampler, which
faker_bulk reuses for Faker's format strings.

Counting and enumeration go through a deterministic finite automaton built
from the pattern: alternatives that spell the same string (`(ab|a)b?`) are
merged there, so `domain_size` is exact and `nth` is a true bijection.

Cost: a pattern is a few characters that can stand for a huge automaton
(`(a{0,9}|b{0,9}){0,1000}` once grew a process to 4.8 GB). `estimate_cost`
reads the parsed tree, before anything is expanded, and gives the automaton's
size (states and transitions with every repetition written out), the longest
match, and an estimate of the subset construction's work (size times the most
automaton states that can be active at once); `compile_pattern` refuses a
pattern over the bounds of `limits` with a PatternError. The construction also
counts its real work and stops at a fixed budget, so a pattern the estimate
underrates is still refused instead of growing.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import limits

INT64_LIMIT = 2**63

# Bounds that keep one pattern's automaton small; generous for real column patterns.
MAX_REPEAT = limits.MAX_REPEAT
MAX_NFA_STATES = limits.MAX_PATTERN_SIZE
MAX_DFA_STATES = limits.MAX_DFA_STATES
MAX_GROUP_DEPTH = limits.MAX_PATTERN_GROUP_DEPTH
MAX_CLASS_CHARS = limits.MAX_PATTERN_CLASS_CHARS

DIGITS = string.digits
WORD_CHARS = string.ascii_uppercase + string.ascii_lowercase + string.digits + "_"


class PatternError(ValueError):
    """A pattern outside the supported subset; `position` is the 0-based offset of the problem."""

    def __init__(self, message: str, pattern: str, position: int):
        self.pattern = pattern
        self.position = position
        super().__init__(f"{message} at position {position} in pattern {pattern!r}")


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


# ---------------------------------------------------------------------------------------------
# Parser: recursive descent over the subset, building the nodes above.

_LITERAL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}
_CLASS_ESCAPES = {"d": DIGITS, "w": WORD_CHARS}


class _Parser:
    def __init__(self, pattern: str):
        self.pattern = pattern
        self.pos = 0
        self.depth = 0

    def error(self, message: str, position: int | None = None) -> PatternError:
        return PatternError(message, self.pattern, self.pos if position is None else position)

    def peek(self) -> str | None:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else None

    def parse(self) -> Node:
        node = self.alternation()
        if self.pos < len(self.pattern):
            # alternation() only stops early on an unmatched ')'.
            raise self.error("unbalanced ')'")
        return node

    def alternation(self) -> Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else Alternatives(options)

    def sequence(self) -> Node:
        parts: list[Node] = []
        while (char := self.peek()) is not None and char not in "|)":
            atom = self.atom()
            parts.append(self.quantified(atom))
        return parts[0] if len(parts) == 1 else Concat(parts)

    def atom(self) -> Node:
        start = self.pos
        char = self.pattern[self.pos]
        if char == "(":
            self.pos += 1
            if self.pattern.startswith("?:", self.pos):
                self.pos += 2
            elif self.peek() == "?":
                raise self.error("group extensions '(?...)' other than '(?:' are not supported")
            self.depth += 1
            if self.depth > MAX_GROUP_DEPTH:
                raise self.error(f"groups are nested more than {MAX_GROUP_DEPTH} deep", start)
            inner = self.alternation()
            self.depth -= 1
            if self.peek() != ")":
                raise self.error("unbalanced '(' (missing ')')", start)
            self.pos += 1
            return inner
        if char == "[":
            return self.char_class()
        if char == "\\":
            return self.escape(in_class=False)
        if char in "*+":
            raise self.error(f"quantifier '{char}' is not supported (use {{n,m}})")
        if char in "?{":
            raise self.error(f"quantifier '{char}' has nothing to repeat")
        if char == "}":
            raise self.error("unexpected '}' (escape it as '\\}')")
        if char == ".":
            raise self.error("'.' is not supported (use a class such as [A-Za-z0-9])")
        if char in "^$":
            raise self.error(f"anchor '{char}' is not supported (patterns always match whole values)")
        if char == "]":
            raise self.error("unbalanced ']' (escape it as '\\]')")
        self.pos += 1
        return Literal(char)

    def escape(self, *, in_class: bool) -> Node:
        start = self.pos
        self.pos += 1
        char = self.peek()
        if char is None:
            raise self.error("pattern ends with a lone backslash", start)
        self.pos += 1
        if char in _CLASS_ESCAPES:
            return Choice(_CLASS_ESCAPES[char])
        if char in _LITERAL_ESCAPES:
            return Literal(_LITERAL_ESCAPES[char])
        if char.isalnum() or char == "_":
            raise self.error(f"escape '\\{char}' is not supported", start)
        return Literal(char)

    def char_class(self) -> Node:
        start = self.pos
        self.pos += 1
        if self.peek() == "^":
            raise self.error("negated classes '[^...]' are not supported")
        chars: set[str] = set()
        first = True
        while True:
            char = self.peek()
            if char is None:
                raise self.error("unbalanced '[' (missing ']')", start)
            if char == "]" and not first:
                self.pos += 1
                break
            if char == "]":
                raise self.error("empty class '[]'", start)
            if char == "[":
                raise self.error("'[' inside a class must be escaped as '\\['")
            item_start = self.pos
            low = self.class_item()
            first = False
            is_range = (
                self.peek() == "-"
                and self.pos + 1 < len(self.pattern)
                and self.pattern[self.pos + 1] != "]"
            )
            if not is_range:
                chars.update(low)
                continue
            self.pos += 1
            high = self.class_item()
            if len(low) != 1 or len(high) != 1:
                raise self.error("a range bound must be a single character", item_start)
            if ord(low) > ord(high):
                raise self.error(f"bad range '{low}-{high}' (start is after end)", item_start)
            if len(chars) + ord(high) - ord(low) + 1 > MAX_CLASS_CHARS:
                raise self.error(f"a class may stand for at most {MAX_CLASS_CHARS:,} characters", start)
            chars.update(chr(c) for c in range(ord(low), ord(high) + 1))
        return Choice(sorted(chars))

    def class_item(self) -> str:
        """One class member: a character, or the characters of an escape such as \\d."""
        if self.peek() == "\\":
            node = self.escape(in_class=True)
            return node.text if isinstance(node, Literal) else "".join(node.values)
        char = self.pattern[self.pos]
        self.pos += 1
        return char

    def quantified(self, atom: Node) -> Node:
        char = self.peek()
        if char is None:
            return atom
        start = self.pos
        if char == "?":
            self.pos += 1
            low, high = 0, 1
        elif char == "{":
            low, high = self.braces()
        elif char in "*+":
            raise self.error(f"quantifier '{char}' is not supported (use {{n,m}})")
        else:
            return atom
        following = self.peek()
        if following is not None and following in "?{*+":
            raise self.error("a quantifier cannot follow another quantifier", self.pos)
        if high > MAX_REPEAT:
            raise self.error(f"repeat count {high} is above the limit of {MAX_REPEAT}", start)
        return Repeat(atom, low, high)

    def braces(self) -> tuple[int, int]:
        start = self.pos
        end = self.pattern.find("}", start)
        if end < 0:
            raise self.error("bad quantifier: '{' without '}'", start)
        body = self.pattern[start + 1 : end]
        low_text, comma, high_text = body.partition(",")
        if not low_text.isdigit() or (comma and not high_text.isdigit()):
            raise self.error(f"bad quantifier '{{{body}}}' (use {{n}} or {{n,m}})", start)
        low = int(low_text)
        high = int(high_text) if comma else low
        if low > high:
            raise self.error(f"bad quantifier '{{{body}}}': minimum is greater than maximum", start)
        self.pos = end + 1
        return low, high


# ---------------------------------------------------------------------------------------------
# Automaton: Thompson NFA -> DFA by subset construction; the language is finite (no * or +), so
# the DFA is acyclic and the strings below each state can be counted and unranked.


class _Nfa:
    def __init__(self, pattern: str):
        self.pattern = pattern
        self.moves: list[dict[str, list[int]]] = []
        self.eps: list[list[int]] = []

    def state(self) -> int:
        if len(self.moves) >= MAX_NFA_STATES:
            raise PatternError("pattern is too large to count", self.pattern, 0)
        self.moves.append({})
        self.eps.append([])
        return len(self.moves) - 1

    def build(self, node: Node) -> tuple[int, int]:
        start = self.state()
        if isinstance(node, Literal):
            end = start
            for char in node.text:
                nxt = self.state()
                self.moves[end].setdefault(char, []).append(nxt)
                end = nxt
            return start, end
        if isinstance(node, Choice):
            end = self.state()
            for char in node.values:
                self.moves[start].setdefault(char, []).append(end)
            return start, end
        if isinstance(node, Concat):
            end = start
            for part in node.parts:
                s, e = self.build(part)
                self.eps[end].append(s)
                end = e
            return start, end
        if isinstance(node, Alternatives):
            end = self.state()
            for option in node.options:
                s, e = self.build(option)
                self.eps[start].append(s)
                self.eps[e].append(end)
            return start, end
        if isinstance(node, Repeat):
            end = start
            optional_ends = []
            for i in range(node.high):
                if i >= node.low:
                    optional_ends.append(end)
                s, e = self.build(node.node)
                self.eps[end].append(s)
                end = e
            for state in optional_ends:
                self.eps[state].append(end)
            return start, end
        raise TypeError(f"cannot build an automaton for {node!r}")

    def closure(self, states) -> frozenset[int]:
        seen = set(states)
        stack = list(states)
        while stack:
            for nxt in self.eps[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)


class _Dfa:
    """Per state: accepting flag, sorted outgoing characters, targets, and the number of strings
    accepted from each state; used to count the language and to unrank indices into it."""

    def __init__(self, node: Node, pattern: str, work_budget: int | None = None):
        nfa = _Nfa(pattern)
        start, final = nfa.build(node)
        first = nfa.closure([start])
        ids = {first: 0}
        subsets = [first]
        edges: list[list[tuple[str, int]]] = []
        # The estimate refused the patterns it can see are too big; this stops the ones it underrates.
        budget = limits.MAX_PATTERN_STEPS if work_budget is None else work_budget
        work = 0
        for subset in subsets:  # grows while iterating: breadth-first discovery
            work += len(subset)
            if work > budget:
                raise PatternError("pattern is too complex to count (its automaton grows past the work bound)",
                                   pattern, 0)
            moves: dict[str, set[int]] = {}
            for state in subset:
                for char, targets in nfa.moves[state].items():
                    moves.setdefault(char, set()).update(targets)
            out = []
            work += sum(len(targets) for targets in moves.values())
            for char in sorted(moves):
                target = nfa.closure(moves[char])
                work += len(target)
                if target not in ids:
                    if len(subsets) >= MAX_DFA_STATES:
                        raise PatternError("pattern is too complex to count", pattern, 0)
                    ids[target] = len(subsets)
                    subsets.append(target)
                out.append((char, ids[target]))
            edges.append(out)
        self.work = work
        self.accepting = np.array([final in s for s in subsets], dtype=bool)
        self.edges = edges
        counts, longest = self._count()
        self.counts = counts
        self.size = counts[0]
        self.max_length = longest[0]
        self.codes = [np.array([ord(c) for c, _ in out], dtype=np.uint32) for out in edges]
        self.targets = [np.array([t for _, t in out], dtype=np.int64) for out in edges]
        self._offsets: list | None = None

    @property
    def offsets(self) -> list:
        """Per state, the strings ranked below each outgoing edge: built on first use, because only `nth`
        needs them and for a long pattern they are one big number per transition (gigabytes at 10,000
        characters), where validation needs one per state."""
        if self._offsets is None:
            big = self.size >= INT64_LIMIT
            counts = self.counts
            offsets = []
            for out in self.edges:
                cumulative = [0]
                for _, target in out[:-1]:
                    cumulative.append(cumulative[-1] + counts[target])
                offsets.append(np.array(cumulative, dtype=object if big else np.int64))
            self._offsets = offsets
        return self._offsets

    def _count(self) -> tuple[list[int], list[int]]:
        """Strings accepted from each state, and the longest of them, by post-order DFS."""
        n = len(self.edges)
        counts: list[int | None] = [None] * n
        longest = [0] * n
        stack = [(0, False)]
        while stack:
            state, expanded = stack.pop()
            if counts[state] is not None:
                continue
            if not expanded:
                stack.append((state, True))
                stack.extend((t, False) for _, t in self.edges[state] if counts[t] is None)
                continue
            total = int(self.accepting[state])
            deepest = 0
            for _, target in self.edges[state]:
                total += counts[target]
                deepest = max(deepest, longest[target] + 1)
            counts[state] = total
            longest[state] = deepest
        return counts, longest

    def unrank(self, ranks: np.ndarray) -> list[str]:
        n = len(ranks)
        remaining = ranks.copy()
        state = np.zeros(n, dtype=np.int64)
        codes = np.zeros((n, max(self.max_length, 1)), dtype=np.uint32)
        active = np.arange(n)
        for step in range(self.max_length):
            # An accepting state ranks its own (shorter) string first: rank 0 stops here.
            stop = self.accepting[state[active]] & (remaining[active] == 0)
            active = active[~stop]
            if not active.size:
                break
            current = state[active]
            for s in np.unique(current):
                rows = active[current == s]
                rank = remaining[rows] - int(self.accepting[s])
                k = np.searchsorted(self.offsets[s], rank, side="right") - 1
                codes[rows, step] = self.codes[s][k]
                remaining[rows] = rank - self.offsets[s][k]
                state[rows] = self.targets[s][k]
        return _codes_to_strings(codes).tolist()

    # -- unique values of a language above the permutation cap: a numbered prefix, a sampled tail

    def prefix_depth(self, target: int, needed: int, cap: int) -> tuple[int, bool] | None:
        """(depth k, with_short) for numbering the language's prefixes of k characters: the smallest k
        whose prefix count is at least `target` and at most `cap`, else the largest count still >= `needed`.
        with_short also numbers the accepted strings shorter than k (only when prefixes alone do not
        fit); None when no depth works."""
        level = {0: 1}  # strings of length d from the start -> DFA state reached
        short = 0  # accepted strings shorter than d
        best: tuple[int, int] | None = None  # (prefix count, depth) of the largest fitting count
        best_short: int | None = None
        for depth in range(1, self.max_length + 1):
            short += sum(count for state, count in level.items() if self.accepting[state])
            nxt: dict[int, int] = {}
            for state, count in level.items():
                for target_state in self.targets[state].tolist():
                    nxt[target_state] = nxt.get(target_state, 0) + count
            level = nxt
            prefixes = sum(level.values())
            if target <= prefixes <= cap:
                return depth, False
            if needed <= prefixes <= cap and (best is None or prefixes > best[0]):
                best = (prefixes, depth)
            if short + prefixes > cap:
                break
            if short + prefixes >= needed:
                best_short = depth
        if best is not None:
            return best[1], False
        return None if best_short is None else (best_short, True)

    def prefixes(self, depth: int, with_short: bool) -> tuple[list[dict], int]:
        """(tables, how many values are numbered), cached: per depth d < `depth`, state -> cumulative
        counts (int64) of the numbered prefixes below each outgoing edge."""
        cache = self.__dict__.setdefault("_prefixes", {})
        key = (depth, with_short)
        if key not in cache:
            cache[key] = self._prefix_tables(depth, with_short)
        return cache[key]

    def _prefix_tables(self, depth: int, with_short: bool) -> tuple[list[dict], int]:
        levels = [{0}]
        for _ in range(depth):
            levels.append({t for s in levels[-1] for t in self.targets[s].tolist()})
        below = dict.fromkeys(levels[depth], 1)
        tables: list[dict] = [{} for _ in range(depth)]
        for d in range(depth - 1, -1, -1):
            here = {}
            for state in levels[d]:
                cumulative = [0]
                for target_state in self.targets[state].tolist()[:-1]:
                    cumulative.append(cumulative[-1] + below[target_state])
                last = self.targets[state][-1] if len(self.targets[state]) else None
                total = (cumulative[-1] + below[int(last)] if last is not None else 0)
                tables[d][state] = np.array(cumulative, dtype=np.int64)
                here[state] = total + int(with_short and self.accepting[state])
            below = here
        return tables, below[0]

    def tail_cdf(self, state: int) -> np.ndarray:
        """Cumulative probabilities of stopping (first) and of each outgoing edge, so that a walk from
        `state` spells each string accepted from it with equal probability."""
        cache = self.__dict__.setdefault("_tail_cdfs", {})
        cdf = cache.get(state)
        if cdf is None:
            total = self.counts[state]
            weights = [int(self.accepting[state])] + [self.counts[t] for t in self.targets[state].tolist()]
            cdf = np.cumsum([w / total for w in weights])
            cache[state] = cdf
        return cdf

    def tail_run(self, state: int) -> tuple[list[np.ndarray], int]:
        """The forced run from `state`: while a state is not accepting and all its edges lead to one
        state, every string continues with a uniform character of those edges. (character sets, end)."""
        cache = self.__dict__.setdefault("_tail_runs", {})
        found = cache.get(state)
        if found is None:
            sets = []
            current = state
            while (not self.accepting[current] and len(self.targets[current])
                   and (self.targets[current] == self.targets[current][0]).all()):
                sets.append(self.codes[current])
                current = int(self.targets[current][0])
            found = cache[state] = (sets, current)
        return found

    def unique_strings(self, heads: np.ndarray, depth: int, with_short: bool,
                       rng: np.random.Generator) -> list[str]:
        """The prefixes numbered `heads` (distinct heads, distinct prefixes), each completed by a tail
        drawn from `rng` uniformly among the strings that extend it."""
        tables = self.prefixes(depth, with_short)[0]
        n = len(heads)
        remaining = np.asarray(heads, dtype=np.int64).copy()
        state = np.zeros(n, dtype=np.int64)
        codes = np.zeros((n, max(self.max_length, 1)), dtype=np.uint32)
        active = np.arange(n)
        for step in range(depth):
            shift = self.accepting[state[active]] if with_short else np.zeros(len(active), dtype=bool)
            if with_short:
                stop = shift & (remaining[active] == 0)
                active, shift = active[~stop], shift[~stop]
            current = state[active]
            for s in np.unique(current):
                at = current == s
                rows = active[at]
                rank = remaining[rows] - shift[at]
                offsets = tables[step][int(s)]
                k = np.searchsorted(offsets, rank, side="right") - 1
                codes[rows, step] = self.codes[s][k]
                remaining[rows] = rank - offsets[k]
                state[rows] = self.targets[s][k]
        # Tails: runs of forced states draw their characters at once; branching states one step at a time.
        position = np.full(n, depth, dtype=np.int64)
        while active.size:
            current = state[active]
            keep = np.ones(len(active), dtype=bool)
            single = current[0] == current.min() == current.max()
            for s in current[:1] if single else np.unique(current):
                at = np.arange(len(active)) if single else np.flatnonzero(current == s)
                rows = active[at]
                sets, end = self.tail_run(int(s))
                if sets:
                    width = len(sets)
                    sizes = np.array([len(c) for c in sets], dtype=np.int64)
                    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
                    table = np.concatenate(sets)
                    if (sizes == sizes[0]).all():
                        picks = rng.integers(0, sizes[0], (len(rows), width), dtype=np.int64)
                    else:
                        picks = (rng.random((len(rows), width)) * sizes).astype(np.int64)
                    columns = position[rows][:, None] + np.arange(width)
                    codes[rows[:, None], columns] = table[starts + picks]
                    position[rows] += width
                    state[rows] = end
                    continue
                cdf = self.tail_cdf(int(s))
                k = np.minimum(np.searchsorted(cdf, rng.random(len(rows)) * cdf[-1], side="right"), len(cdf) - 1)
                stop = k == 0
                keep[at[stop]] = False
                go = ~stop
                moved, edge = rows[go], k[go] - 1
                codes[moved, position[moved]] = self.codes[s][edge]
                position[moved] += 1
                state[moved] = self.targets[s][edge]
            active = active[keep]
        return _codes_to_strings(codes).tolist()


@dataclass(frozen=True)
class PatternCost:
    """What a parsed pattern costs, read from its tree before anything is expanded."""

    size: int  # automaton states and transitions with every repetition written out
    width: int  # most automaton states that can be active at once (an upper bound)
    max_length: int  # the longest string the pattern matches
    min_length: int

    @property
    def work(self) -> int:
        """Estimated subset-construction work: each automaton state met with everything active beside it."""
        return self.size * self.width


def estimate_cost(node: Node) -> PatternCost:
    """The cost of a parsed pattern, by the same arithmetic as the automaton's construction."""
    if isinstance(node, Literal):
        return PatternCost(1 + 2 * len(node.text), 1, len(node.text), len(node.text))
    if isinstance(node, Choice):
        longest = max(len(v) for v in node.values)
        return PatternCost(2 + len(node.values), 1, longest, min(len(v) for v in node.values))
    if isinstance(node, Concat | Alternatives):
        parts = [estimate_cost(p) for p in (node.parts if isinstance(node, Concat) else node.options)]
        size = 2 + sum(p.size for p in parts) + len(parts)
        if isinstance(node, Alternatives):
            return PatternCost(size, sum(p.width for p in parts), max(p.max_length for p in parts),
                               min(p.min_length for p in parts))
        # A part after parts of variable length can be entered at as many offsets as their lengths vary.
        width, offsets = 0, 1
        for part in parts:
            width += part.width * offsets
            offsets += part.max_length - part.min_length
        return PatternCost(size, width, sum(p.max_length for p in parts), sum(p.min_length for p in parts))
    if isinstance(node, Repeat):
        inner = estimate_cost(node.node)
        spread = inner.max_length - inner.min_length
        # Fixed-length items: the count read so far fixes the iteration (plus the optional exits);
        # variable-length ones can be in any iteration at once.
        width = inner.width + 2 if spread == 0 and inner.min_length > 0 else inner.width * max(node.high, 1) + 1
        return PatternCost(1 + node.high * (inner.size + 1), width, node.high * inner.max_length,
                           node.low * inner.min_length)
    raise TypeError(f"no cost for {node!r}")


def check_cost(cost: PatternCost, pattern: str) -> None:
    if cost.size > limits.MAX_PATTERN_SIZE:
        raise PatternError(f"pattern is too large: its automaton would have about {cost.size:,} states and "
                           f"transitions (at most {limits.MAX_PATTERN_SIZE:,})", pattern, 0)
    if cost.work > limits.MAX_PATTERN_WORK:
        raise PatternError(f"pattern is too complex: counting its strings would take about {cost.work:,} steps "
                           f"(at most {limits.MAX_PATTERN_WORK:,}); nested or variable-length repetitions multiply",
                           pattern, 0)


def pattern_cost(pattern: str) -> PatternCost:
    """Parse `pattern` (PatternError when it is outside the subset or over the size bounds) and cost it."""
    if not isinstance(pattern, str):
        raise PatternError("pattern must be a string", str(pattern), 0)
    if len(pattern) > limits.MAX_PATTERN_LENGTH:
        raise PatternError(f"pattern is longer than {limits.MAX_PATTERN_LENGTH:,} characters", pattern[:40], 0)
    cost = estimate_cost(_Parser(pattern).parse())
    check_cost(cost, pattern)
    return cost


class Pattern:
    """A compiled pattern: exact `domain_size`, random `sample`, and the bijection `nth`."""

    def __init__(self, source: str, tree: Node, work_budget: int | None = None):
        self.source = source
        self.tree = tree
        check_cost(estimate_cost(tree), source)  # before anything is expanded
        self._sampler = tree.optimised()
        self._dfa = _Dfa(tree, source, work_budget)

    @property
    def work(self) -> int:
        """Steps its automaton's construction took."""
        return self._dfa.work

    @property
    def approx_bytes(self) -> int:
        """A rough size in memory, for caches that bound their total size."""
        dfa = self._dfa
        edges = sum(len(out) for out in dfa.edges)
        big = sum(c.bit_length() for c in dfa.counts) // 8
        return 600 * len(dfa.edges) + 150 * edges + big * 2 + 64 * len(self.source)

    @property
    def domain_size(self) -> int:
        """Number of distinct strings the pattern matches."""
        return self._dfa.size

    @property
    def max_length(self) -> int:
        return self._dfa.max_length

    def sample(self, rng: np.random.Generator, n: int) -> list[str]:
        """n strings; each quantifier count and each alternative is drawn uniformly."""
        return as_object_array(self._sampler.sample(rng, n), n).tolist()

    def nth(self, indices) -> list[str]:
        """The strings at `indices` in the pattern's language (0 <= index < domain_size),
        in lexicographic code-point order; distinct indices give distinct strings."""
        big = self.domain_size >= INT64_LIMIT
        ranks = np.asarray(indices, dtype=object if big else np.int64).reshape(-1)
        if ranks.size and (ranks.min() < 0 or ranks.max() >= self.domain_size):
            raise ValueError(f"index out of range 0..{self.domain_size - 1} for pattern {self.source!r}")
        return self._dfa.unrank(ranks)

    def unique_prefix(self, target: int, needed: int, cap: int) -> tuple[int, bool] | None:
        """How `unique_strings` numbers this language's values (see _Dfa.prefix_depth), cached."""
        key = (target, needed, cap)
        cache = self.__dict__.setdefault("_unique_prefix", {})
        if key not in cache:
            cache[key] = self._dfa.prefix_depth(target, needed, cap)
        return cache[key]

    def prefix_domain(self, depth: int, with_short: bool) -> int:
        """Number of values `unique_strings` numbers with this (depth, with_short)."""
        return self._dfa.prefixes(depth, with_short)[1]

    def unique_strings(self, heads: np.ndarray, depth: int, with_short: bool,
                       rng: np.random.Generator) -> list[str]:
        """Distinct heads (below `prefix_domain`) give distinct strings of the language."""
        return self._dfa.unique_strings(heads, depth, with_short, rng)

    def __repr__(self) -> str:
        return f"Pattern({self.source!r})"


def compile_pattern(pattern: str, work_budget: int | None = None) -> Pattern:
    """Parse `pattern` (raises PatternError, also when it is over the cost bounds) into a Pattern;
    `work_budget` lowers the construction's step bound (limits.MAX_PATTERN_STEPS)."""
    if not isinstance(pattern, str):
        raise PatternError("pattern must be a string", str(pattern), 0)
    if len(pattern) > limits.MAX_PATTERN_LENGTH:
        raise PatternError(f"pattern is longer than {limits.MAX_PATTERN_LENGTH:,} characters", pattern[:40], 0)
    return Pattern(pattern, _Parser(pattern).parse(), work_budget)
