"""The built-in templates: ready-made schema documents shipped as package data in `templates/*.yaml`.

A template's name is its file name without `.yaml` (and equals the document's `name`). The YAML text is
served as written, comments included, so users can copy a template and start editing from it.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources

from .planner import plan
from .spec import Spec, parse_spec

_SUFFIX = ".yaml"


class UnknownTemplate(KeyError):
    """No built-in template has this name; the message lists the ones that exist."""

    def __init__(self, name: str):
        self.name = name
        self.available = template_names()
        super().__init__(name)

    def __str__(self) -> str:
        # KeyError's own str() is the repr of its argument, which hides the list of names.
        return f"unknown template {self.name!r} (available: {', '.join(self.available)})"


def _directory():
    return resources.files(__package__).joinpath("templates")


@lru_cache(maxsize=1)
def template_names() -> tuple[str, ...]:
    """Names of every built-in template, sorted."""
    return tuple(sorted(entry.name[: -len(_SUFFIX)] for entry in _directory().iterdir()
                        if entry.is_file() and entry.name.endswith(_SUFFIX)))


def template_source(name: str) -> str:
    """The YAML text of a built-in template."""
    if name not in template_names():
        raise UnknownTemplate(name)
    return _directory().joinpath(name + _SUFFIX).read_text(encoding="utf-8")


def load_template(name: str) -> Spec:
    """A built-in template parsed into a Spec."""
    return _parsed(name)


@cache
def _parsed(name: str) -> Spec:
    # Specs are immutable once parsed, so one parse per process serves every caller.
    return parse_spec(template_source(name))


def list_templates() -> list[dict]:
    """Every built-in template: name, description and `tables`, mapping each table (in document order) to
    its row counts: `rows`, the number of rows it gets at the template's own seed, and `per`, for a table
    sized per parent row, the parent table, the reference column and the min/max rows per parent (else None).
    """
    return [_summary(name) for name in template_names()]


@cache
def _summary_cached(name: str) -> dict:
    spec = load_template(name)
    counts = plan(spec, seed=spec.doc["seed"]).row_counts
    tables = {}
    for table_name, table in spec.doc["tables"].items():
        rows = table["rows"]
        per = None
        if isinstance(rows, dict):
            parent = table["columns"][rows["per"]]["table"]
            per = {"table": parent, "column": rows["per"], "min": rows["min"], "max": rows["max"]}
        tables[table_name] = {"rows": counts[table_name], "per": per}
    return {"name": name, "description": spec.doc["description"], "tables": tables}


def _summary(name: str) -> dict:
    # Callers get their own copy, so editing a result cannot change what the next caller sees.
    summary = _summary_cached(name)
    return {**summary, "tables": {name: {**table, "per": dict(table["per"]) if table["per"] else None}
                                  for name, table in summary["tables"].items()}}
