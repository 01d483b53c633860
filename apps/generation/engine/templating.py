"""`template` columns: `{column}` and `{ref.column}` placeholders, `{{`/`}}` for literal braces."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"([a-z_][a-z0-9_]*)(?:\.([a-z_][a-z0-9_]*))?$")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Placeholder:
    column: str  # a column of the row, or the reference column when `field` is set
    field: str | None = None  # a column of the row the reference points at

    @property
    def text(self) -> str:
        return f"{self.column}.{self.field}" if self.field else self.column


@dataclass(frozen=True)
class Template:
    literals: tuple[str, ...]  # len(placeholders) + 1 literal runs around the placeholders
    placeholders: tuple[Placeholder, ...]

    def format_string(self, suffix_before_at: bool = False) -> tuple[str, bool]:
        """A str.format pattern with positional fields; optionally one more field for a suffix that goes
        right before the last '@' of the trailing literal (returns whether that place was found)."""
        escaped = [lit.replace("{", "{{").replace("}", "}}") for lit in self.literals]
        placed = False
        if suffix_before_at and "@" in self.literals[-1]:
            head, _, tail = self.literals[-1].rpartition("@")
            escaped[-1] = head.replace("{", "{{").replace("}", "}}") + "{}@" + tail.replace("{", "{{").replace(
                "}", "}}")
            placed = True
        return "{}".join(escaped), placed


def parse_template(text: str) -> Template:
    literals: list[str] = []
    placeholders: list[Placeholder] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "{" and text.startswith("{{", i):
            current.append("{")
            i += 2
        elif char == "}" and text.startswith("}}", i):
            current.append("}")
            i += 2
        elif char == "{":
            end = text.find("}", i)
            if end < 0:
                raise TemplateError(f"unclosed '{{' at position {i}")
            name = text[i + 1:end].strip()
            match = _PLACEHOLDER.match(name)
            if not match:
                raise TemplateError(f"invalid placeholder {{{name}}} at position {i} "
                                    "(expected {column} or {reference.column})")
            literals.append("".join(current))
            current = []
            placeholders.append(Placeholder(match.group(1), match.group(2)))
            i = end + 1
        elif char == "}":
            raise TemplateError(f"unmatched '}}' at position {i} (write '}}}}' for a literal brace)")
        else:
            current.append(char)
            i += 1
    literals.append("".join(current))
    return Template(tuple(literals), tuple(placeholders))


def slugify(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    return _SLUG_DROP.sub("-", ascii_text).strip("-")
