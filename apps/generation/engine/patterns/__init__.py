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


from .compiled import Pattern, compile_pattern
from .cost import PatternCost, check_cost, estimate_cost, pattern_cost
from .errors import PatternError
from .grammar import INT64_LIMIT, Alternatives, Choice, Concat, Literal, Node, Repeat, as_object_array

__all__ = [
    "INT64_LIMIT", "Alternatives", "Choice", "Concat", "Literal", "Node", "Pattern", "PatternCost", "PatternError",
    "Repeat", "as_object_array", "check_cost", "compile_pattern", "estimate_cost", "pattern_cost",
]
