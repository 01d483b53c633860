"""What a parsed pattern costs, estimated from its tree before anything is expanded."""

from __future__ import annotations

from dataclasses import dataclass

from .. import limits
from .errors import PatternError
from .grammar import Alternatives, Choice, Concat, Literal, Node, Repeat
from .parser import _Parser


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

