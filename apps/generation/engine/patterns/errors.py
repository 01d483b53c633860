"""PatternError and the bounds that keep one pattern's automaton small."""

from __future__ import annotations

import string

from .. import limits

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

