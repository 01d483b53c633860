"""Pattern: a compiled pattern, and compile_pattern."""

from __future__ import annotations

import numpy as np

from .. import limits
from .automaton import _Dfa
from .cost import check_cost, estimate_cost
from .errors import PatternError
from .grammar import INT64_LIMIT, Node, as_object_array
from .parser import _Parser


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
