"""Filters on the fields of a record's `data`: `data__country=NL`, `data__age__gte=30`, `data__tags__in=a,b`."""

import re

import orjson
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from apps.core.errors import ServiceValidationError

_KEY = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
OPERATORS = {"exact", "gte", "lte", "gt", "lt", "icontains", "in", "isnull"}

DATA_FILTER_PARAMETER = OpenApiParameter(
    "data__<field>[__<op>]",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description=(
        "Filter on a field of the record's data (nested fields with further `__`). Operators: exact (default), "
        "gt, gte, lt, lte, icontains, in (comma-separated), isnull (true/false). Values that read as JSON "
        "scalars (numbers, true, false, null, quoted strings) compare as such; anything else as a string."
    ),
)


def _scalar(raw: str):
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
    return value if isinstance(value, (int, float, str, bool)) or value is None else raw


def data_lookups(params) -> dict:
    """ORM lookups for every `data__...` query parameter; a malformed one is a 400 naming the parameter."""
    lookups, problems = {}, []
    for name in params:
        if not name.startswith("data__"):
            continue
        parts = name.split("__")[1:]
        op = parts.pop() if len(parts) > 1 and parts[-1] in OPERATORS else "exact"
        if not parts or not all(_KEY.match(part) for part in parts):
            problems.append((name, "field names are lowercase identifiers: data__<field>[__<op>]"))
            continue
        raw = params.get(name)
        path = "__".join(["data", *parts])
        if op == "icontains":
            lookups[f"{path}__icontains"] = raw
        elif op == "in":
            lookups[f"{path}__in"] = [_scalar(item) for item in raw.split(",")]
        elif op == "isnull":
            if raw not in ("true", "false"):
                problems.append((name, "isnull takes true or false"))
                continue
            lookups[f"{path}__isnull"] = raw == "true"
        else:
            value = _scalar(raw)
            if op != "exact" and not isinstance(value, (int, float, str)) or isinstance(value, bool) and op != "exact":
                problems.append((name, f"{op} compares numbers or strings"))
                continue
            lookups[path if op == "exact" else f"{path}__{op}"] = value
    if problems:
        raise ServiceValidationError(problems)
    return lookups
