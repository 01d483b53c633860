"""Reading a schema document (YAML or JSON text, bytes or a mapping) into a validated Spec."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson
import yaml

from . import limits
from .errors import Problem, SpecError
from .validation import validate_document

MAX_DOCUMENT_BYTES = limits.MAX_DOCUMENT_CHARS
MAX_DEPTH = limits.MAX_DOCUMENT_DEPTH


@dataclass(frozen=True)
class Spec:
    """A validated, normalised document. `doc` has every default filled in; `hash` identifies it."""

    doc: dict
    hash: str
    max_rows: int | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.doc["name"]

    @property
    def table_names(self) -> list[str]:
        return list(self.doc["tables"])

    def table(self, name: str) -> dict:
        return self.doc["tables"][name]

    def __hash__(self) -> int:
        return hash(self.hash)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML with JSON-like scalars: no timestamps, no sexagesimal numbers, booleans only true/false.

    (YAML 1.1 would turn `NO` into false, `12:30:00` into 45000 and dates into date objects.) libyaml's
    parser is used where PyYAML has it: the pure-Python one reads a 2 MB document in about 15 s of CPU.
    """


_Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$",
     "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _Loader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


def load_document(source: object) -> object:
    """The raw structure of a document; SpecError when it cannot be read at all."""
    if isinstance(source, Mapping):
        return _plain(source, "")
    if isinstance(source, bytes | bytearray | memoryview):
        try:
            source = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SpecError([Problem("", f"the document is not UTF-8 text: {exc}")]) from exc
    if not isinstance(source, str):
        raise SpecError([Problem("", f"expected YAML or JSON text or a mapping, got {type(source).__name__}")])
    if len(source) > MAX_DOCUMENT_BYTES:
        raise SpecError([Problem("", f"the document is larger than {MAX_DOCUMENT_BYTES} characters")])
    text = source.strip()
    if not text:
        raise SpecError([Problem("", "the document is empty")])
    if text[0] in "{[":
        try:
            return _plain(json.loads(text), "")
        except (ValueError, RecursionError) as exc:
            raise SpecError([Problem("", f"invalid JSON: {exc}")]) from exc
    try:
        # A first pass over the parser's events (cheap) refuses aliases and oversized documents before
        # any Python object is built (building is the slow part).
        nodes = 0
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                raise SpecError([Problem("", "YAML anchors and aliases are not supported")])
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > limits.MAX_DOCUMENT_NODES:
                    raise SpecError([_too_many_nodes()])
        return _plain(yaml.load(text, Loader=_Loader), "")  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise SpecError([Problem("", f"invalid YAML: {exc}")]) from exc
    except RecursionError as exc:
        raise SpecError([Problem("", "the document is nested too deeply")]) from exc


def _too_many_nodes() -> Problem:
    return Problem("", f"the document has more than {limits.MAX_DOCUMENT_NODES:,} values (scalars, mappings "
                       "and lists)")


def _plain(value: object, path: str) -> object:
    """A copy made of dicts, lists and JSON scalars (dates become ISO strings)."""
    return _Copier().copy(value, path, 0)


class _Copier:
    """Copies a document, counting its nodes and checking every string on the way.

    This is the one place where text enters the engine, so strings PostgreSQL cannot store (NUL, U+0000)
    or that are not UTF-8 (lone surrogates) are refused here, in keys and values alike.
    """

    def __init__(self):
        self.nodes = 0

    def copy(self, value: object, path: str, depth: int) -> object:
        self.nodes += 1
        if self.nodes > limits.MAX_DOCUMENT_NODES:
            raise SpecError([_too_many_nodes()])
        if depth > MAX_DEPTH:
            raise SpecError([Problem("", "the document is nested too deeply")])
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                if isinstance(key, str):
                    _check_text(key, path)
                out[key] = self.copy(item, f"{path}.{key}" if path else str(key), depth + 1)
            return out
        if isinstance(value, list | tuple):
            return [self.copy(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
        if isinstance(value, dt.date | dt.datetime | dt.time):
            return value.isoformat()
        if isinstance(value, str):
            _check_text(value, path)
            return value
        if value is None or isinstance(value, bool | int | float):
            return value
        raise SpecError([Problem(path, f"a {type(value).__name__} has no JSON form")])


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise SpecError([Problem(path, "contains a NUL character (U+0000), which PostgreSQL cannot store")])
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SpecError([Problem(path, "contains a lone surrogate character, which is not valid UTF-8")]) from exc


def canonical_hash(doc: dict) -> str:
    return hashlib.sha256(orjson.dumps(doc)).hexdigest()


def validate_spec(source: object, *, max_rows: int | None = None) -> list[Problem]:
    """Every problem of a document (empty when it is valid); never raises for bad input."""
    try:
        raw = load_document(source)
        _, problems = validate_document(raw, max_rows=max_rows)
        return problems
    except SpecError as exc:
        return exc.problems
    except Exception as exc:  # a validator bug must still come back as a problem, not a crash
        return [Problem("", f"the document could not be validated ({type(exc).__name__}: {exc})")]


def parse_spec(source: str | bytes | Mapping, *, max_rows: int | None = None) -> Spec:
    """A validated Spec; SpecError listing every problem otherwise."""
    try:
        raw = load_document(source)
        doc, problems = validate_document(raw, max_rows=max_rows)
    except SpecError:
        raise
    except Exception as exc:  # see validate_spec
        raise SpecError([Problem("", f"the document could not be validated ({type(exc).__name__}: {exc})")]) \
            from exc
    if problems or doc is None:
        raise SpecError(problems or [Problem("", "invalid document")])
    return Spec(doc=doc, hash=canonical_hash(doc), max_rows=max_rows)
