"""The pattern's deterministic finite automaton: counting, unranking and unique numbering of its strings."""

from __future__ import annotations

import numpy as np

from .. import limits
from .errors import MAX_DFA_STATES, MAX_NFA_STATES, PatternError
from .grammar import INT64_LIMIT, Alternatives, Choice, Concat, Literal, Node, Repeat, _codes_to_strings

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


