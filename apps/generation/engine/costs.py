"""Upper bounds of the size of generated values, computed from a normalised document before any row is made.

A block of rows is held in memory whole, so one value's JSON text and one row's are bounded (limits.
MAX_VALUE_CHARS, MAX_ROW_CHARS). The bound of a column follows from its parameters: a string's longest
length, a pattern's longest match, an array's max_length times its item, a template's literal text plus
the bound of every column it reads (templates of templates multiply, which is how 1 KB of templates once
made 2.5 million characters a value), and each allowed Faker provider's bound for its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import analysis, faker_providers, leaves
from .types import registry

UNIQUE_SUFFIX = 16  # the base-36 tag a unique template or row-by-row Faker value may get
CASE_GROWTH = 3  # str.upper/lower make at most three characters of one ('ΐ'.upper())
SLUG_GROWTH = 18  # NFKD makes at most 18 characters of one (U+FDFA), before slugify drops non-ASCII


@dataclass(frozen=True)
class Size:
    """`text`: characters of the value as text (what a template placeholder inserts); `escape`: how many
    JSON characters one of them can become; `quoted`: a JSON string (two more characters)."""

    text: int
    escape: int = 1
    quoted: bool = True

    @property
    def json(self) -> int:
        return self.text * self.escape + (2 if self.quoted else 0)


def escape_factor(text: str) -> int:
    """JSON characters per character of `text` at worst: control characters become \\uXXXX."""
    if any(ord(c) < 0x20 for c in text):
        return 6
    return 2 if '"' in text or "\\" in text else 1


def literal_size(value: object) -> Size:
    if isinstance(value, str):
        return Size(len(value), escape_factor(value))
    if isinstance(value, bool) or value is None:
        return Size(5, 1, False)
    if isinstance(value, int | float):
        return Size(24, 1, False)
    # Lists and mappings: their JSON text is bounded by literal_problem's count; Python's str() of them
    # (a placeholder) adds a space after each separator, so twice that is a bound of both.
    chars = _json_chars(value)
    return Size(2 * chars, 1, False)


def _json_chars(value: object) -> int:
    if isinstance(value, str):
        return 2 + len(value) * escape_factor(value)
    if isinstance(value, list):
        return 2 + sum(_json_chars(v) + 1 for v in value)
    if isinstance(value, dict):
        return 2 + sum(len(str(k)) * 6 + 4 + _json_chars(v) for k, v in value.items())
    return 24


class Sizer:
    """Sizes of the columns of one document (memoised: templates and references read other columns)."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.memo: dict[tuple[str, str], Size] = {}

    def column(self, table_name: str, name: str, depth: int = 0) -> Size:
        key = (table_name, name)
        if key not in self.memo:
            table = self.doc["tables"][table_name]
            spec = table["columns"][name]
            sizes = [self.spec(table_name, spec, depth)]
            sizes += [self.spec(table_name, {**spec, **clause["then"]}, depth) for clause in spec["when"]]
            size = Size(max(s.text for s in sizes), max(s.escape for s in sizes), any(s.quoted for s in sizes))
            if spec["unique"] and spec["type"] in ("template", "faker"):
                size = Size(size.text + UNIQUE_SUFFIX, size.escape, size.quoted)
            self.memo[key] = size
        return self.memo[key]

    def spec(self, table_name: str, spec: dict, depth: int = 0) -> Size:
        if depth > 64:  # cycles are refused before sizing; this only keeps a bug from recursing forever
            raise RecursionError("column sizes depend on each other too deeply")
        kind = spec["type"]
        entry = registry.get(kind)
        if entry.text_chars is not None:  # values that are not free text (numbers, ISO dates, ...)
            return Size(entry.text_chars, 1, entry.quoted)
        if entry.spec_size is not None:
            chars, quoted = entry.spec_size(spec)
            return Size(chars, 6 if quoted else 1, quoted)
        if kind == "expression":
            result = spec.get("result")
            if result in ("date", "datetime"):
                return Size(25, 1, True)  # an ISO date or a UTC datetime, quoted
            return Size(24, 1, False)  # a JSON number or boolean
        if kind == "choice":
            sizes = [literal_size(v) for v in spec["values"]]
            return Size(max(s.text for s in sizes), max(s.escape for s in sizes), any(s.quoted for s in sizes))
        if kind == "constant":
            return literal_size(spec["value"])
        if kind == "string":
            if spec["pattern"] is not None:
                # An escape such as \v in the pattern stands for a control character.
                source = spec["pattern"]
                return Size(leaves.patterns().pattern_cost(source).max_length,
                            6 if "\\" in source else escape_factor(source))
            return Size(spec["length"]["max"], escape_factor(spec["alphabet"]))
        if kind == "faker":
            return Size(faker_providers.max_chars(spec["provider"], spec["args"]), 6, True)
        if kind == "template":
            return self._template(table_name, spec, depth)
        if kind == "reference":
            column = analysis.referenced_column(self.doc, spec)
            return self.column(spec["table"], column, depth + 1)
        if kind == "lookup":
            ref = self.doc["tables"][table_name]["columns"][spec["reference"]]
            return self.column(ref["table"], spec["column"], depth + 1)
        if kind == "array":
            item = self.spec(table_name, spec["of"], depth + 1)
            return Size(2 + spec["max_length"] * (item.json + 1), 1, False)
        if kind == "object":
            fields = [len(name) + 4 + self.spec(table_name, field, depth + 1).json
                      for name, field in spec["fields"].items()]
            return Size(2 + sum(fields), 1, False)
        raise ValueError(f"no size for type {kind!r}")

    def _template(self, table_name: str, spec: dict, depth: int) -> Size:
        template = analysis.template_of(spec)
        columns = self.doc["tables"][table_name]["columns"]
        text = sum(len(literal) for literal in template.literals)
        escape = max((escape_factor(literal) for literal in template.literals), default=1)
        for placeholder in template.placeholders:
            if placeholder.field is None:
                size = self.column(table_name, placeholder.column, depth + 1)
            else:
                parent = columns[placeholder.column]["table"]
                size = self.column(parent, placeholder.field, depth + 1)
            text += size.text
            escape = max(escape, size.escape)
        if spec["slug"]:
            return Size(text * SLUG_GROWTH, 1)  # a slug is ASCII letters, digits and '-'
        if spec["lower"] or spec["upper"]:
            text *= CASE_GROWTH
        return Size(text, escape)

