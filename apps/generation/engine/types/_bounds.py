"""Shared by the integer, float, date and datetime types: bound expressions and `on_empty` (version 1.1)."""

from __future__ import annotations

from collections.abc import Mapping

from ..bounds import ON_EMPTY, bound_problem
from ..column_types import Context, describe, join

VERSION_HINT = "bound expressions (columns of the row, durations, min/max) need `version: 1.1`"


def expression_bounds(raw: Mapping, keys: tuple[str, str], path: str, ctx: Context) -> dict[str, str]:
    """The bounds of `raw` given as expression text, checked. In a version 1 document a string that is not a
    number is reported as needing version 1.1 (numbers only: dates check their literals themselves)."""
    found = {}
    for key in keys:
        value = raw.get(key)
        if not isinstance(value, str):
            continue
        if ctx.version < 1.1:
            ctx.add(join(path, key), f"must be a number, got a string ({VERSION_HINT})")
            found[key] = None
            continue
        problem = bound_problem(value)
        if problem:
            ctx.add(join(path, key), problem)
            found[key] = None
        else:
            found[key] = value
    return found


def read_on_empty(raw: Mapping, path: str, ctx: Context, spec: dict) -> None:
    """`on_empty` joins the normalised spec of version 1.1 documents (version 1 specs keep their keys)."""
    if ctx.version < 1.1:
        if "on_empty" in raw:
            ctx.add(join(path, "on_empty"), "needs `version: 1.1`")
        return
    value = raw.get("on_empty", "clamp")
    if value is None:
        value = "clamp"
    if value not in ON_EMPTY:
        ctx.add(join(path, "on_empty"), f"must be one of {', '.join(ON_EMPTY)}, got "
                                        f"{value!r}" if isinstance(value, str) else describe(value))
        value = "clamp"
    spec["on_empty"] = value
