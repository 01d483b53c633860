"""Parser: recursive descent over the supported regular-expression subset, building grammar nodes."""

from __future__ import annotations

from .errors import DIGITS, MAX_CLASS_CHARS, MAX_GROUP_DEPTH, MAX_REPEAT, WORD_CHARS, PatternError
from .grammar import Alternatives, Choice, Concat, Literal, Node, Repeat

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


