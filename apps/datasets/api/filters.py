"""Filters on the fields of a record's `data`: `data__country=NL`, `data__age__gte=30`, `data__tags__in=a,b`.

Only the documented filters (docs/datasets.md) are accepted; everything else is a 400 naming the parameter.
The query parameter is turned into an ORM lookup, so each part of it is checked first: Django reads any part
that names a lookup (`regex`, `has_key`, `contains`, ...) as that lookup, which let `data__regex` run the
caller's regular expression in PostgreSQL and `data__has_key` match every row. Here a field is a column of the
table (when the caller knows the columns) or a nested key, never a lookup name; the operator is one of
OPERATORS; values are bounded in length and count.
"""

import re

import orjson
from django.db import connection
from django.db.models import JSONField
from django.db.models.fields.json import KeyTransform
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from apps.core.errors import ServiceValidationError

_KEY = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# The documented operators (docs/datasets.md); the single allow-list of what a filter may ask the database.
OPERATORS = {"exact", "gte", "lte", "gt", "lt", "icontains", "in", "isnull"}
# Names Django would read as a lookup or transform rather than a key: never accepted as a field name.
_LOOKUP_NAMES = frozenset(JSONField.get_lookups()) | frozenset(KeyTransform.get_lookups())

MAX_FILTERS = 20
MAX_KEY_DEPTH = 5
MAX_VALUE_LENGTH = 200
MAX_IN_VALUES = 100
_INT64 = 2**63 - 1

DATA_FILTER_PARAMETER = OpenApiParameter(
    "data__<field>[__<op>]",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description=(
        "Filter on a field of the record's data (a column of the table; nested fields with further `__`, "
        f"at most {MAX_KEY_DEPTH} deep). Operators: exact (default), gt, gte, lt, lte, icontains, "
        "in (comma-separated), isnull (true/false); nothing else. Values that read as JSON scalars (numbers, "
        "true, false, null, quoted strings) compare as such; anything else as a string. Values have at most "
        f"{MAX_VALUE_LENGTH} characters, `in` at most {MAX_IN_VALUES} values, a request at most {MAX_FILTERS} "
        "filters."
    ),
)


class _Refused(Exception):
    pass


def _scalar(raw: str):
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value <= _INT64:
        raise _Refused("numbers must fit in 64 bits")
    return value if isinstance(value, (int, float, str, bool)) or value is None else raw


def _check_text(raw: str) -> None:
    if len(raw) > MAX_VALUE_LENGTH:
        raise _Refused(f"values have at most {MAX_VALUE_LENGTH} characters")
    if "\x00" in raw:
        raise _Refused("NUL characters are not allowed")


def _key_parts(name: str, columns) -> tuple[list[str], str]:
    parts = name.split("__")[1:]
    op = parts.pop() if len(parts) > 1 and parts[-1] in OPERATORS else "exact"
    if not parts or not all(_KEY.match(part) for part in parts):
        raise _Refused("field names are lowercase identifiers: data__<field>[__<op>]")
    if len(parts) > MAX_KEY_DEPTH:
        raise _Refused(f"fields nest at most {MAX_KEY_DEPTH} deep")
    lookup_like = [part for part in parts if part in _LOOKUP_NAMES]
    if lookup_like:
        raise _Refused(f"'{lookup_like[0]}' is not a filter: operators are {', '.join(sorted(OPERATORS))}")
    if columns is not None and parts[0] not in columns:
        raise _Refused(f"'{parts[0]}' is not a column of this table")
    return parts, op


def _lookup(path: str, op: str, raw: str) -> tuple[str, object]:
    if op == "isnull":
        if raw not in ("true", "false"):
            raise _Refused("isnull takes true or false")
        return f"{path}__isnull", raw == "true"
    if op == "icontains":
        _check_text(raw)
        return f"{path}__icontains", raw
    if op == "in":
        items = raw.split(",")
        if len(items) > MAX_IN_VALUES:
            raise _Refused(f"in takes at most {MAX_IN_VALUES} values")
        for item in items:
            _check_text(item)
        return f"{path}__in", [_scalar(item) for item in items]
    _check_text(raw)
    value = _scalar(raw)
    if op != "exact" and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
        raise _Refused(f"{op} compares numbers or strings")
    return (path if op == "exact" else f"{path}__{op}"), value


def data_lookups(params, *, columns=None) -> dict:
    """ORM lookups for every `data__...` query parameter; anything not documented is a 400 naming the parameter.

    `columns`, when given, are the table's column names: the first field of every filter must be one of them.
    """
    names = [name for name in params if name.startswith("data__")]
    if len(names) > MAX_FILTERS:
        raise ServiceValidationError([("data__", f"at most {MAX_FILTERS} data filters per request")])
    known = None if columns is None else set(columns)
    lookups, problems = {}, []
    for name in names:
        try:
            parts, op = _key_parts(name, known)
            key, value = _lookup("__".join(["data", *parts]), op, params.get(name))
        except _Refused as exc:
            problems.append((name, str(exc)))
            continue
        lookups[key] = value
    if problems:
        raise ServiceValidationError(problems)
    return _indexable(lookups)


def _indexable(lookups: dict) -> dict:
    """On PostgreSQL the equality filters become one containment, `data @> {...}`: the form each loaded
    version's GIN index on `data` (jsonb_path_ops) answers, where `data -> 'key' = value` reads every row of
    the version. For the scalars a filter compares, both forms match the same rows. SQLite has no `@>`."""
    if connection.vendor != "postgresql":
        return lookups
    kept, containment = {}, {}
    for key, value in lookups.items():
        *parents, last = key.split("__")[1:]
        if last in OPERATORS:  # an operator (a range, icontains, in, isnull): no containment form
            kept[key] = value
            continue
        document = containment
        for part in parents:
            if not isinstance(document, dict):
                break
            document = document.setdefault(part, {})
        if not isinstance(document, dict) or last in document:  # a path another equality already holds
            kept[key] = value
            continue
        document[last] = value
    if containment:
        kept["data__contains"] = containment
    return kept
