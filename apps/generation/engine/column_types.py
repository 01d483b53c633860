"""Normalisation of column specs: the common keys, `when` clauses and the readers every type uses.

`normalise_column` reads one raw column spec and returns its normalised form (every default
filled in, keys in a fixed order), appending a Problem for everything wrong with it. Each type's own
keys and normaliser live in its module of types/ (see types/base.py). Checks that
need the rest of the document (references, placeholders, domains) live in validation.py.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import faker_providers, leaves, limits
from .errors import Problem
from .types import registry

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
COMMON_KEYS = ("type", "null_ratio", "unique", "when", "pii", "description")
CONDITION_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in")
DISTRIBUTIONS = ("uniform", "normal", "lognormal", "exponential", "poisson", "zipf")
MRZ_FIELDS = (
    "document_number", "nationality", "birth_date", "sex", "expiry_date", "surname", "given_names",
    "issuing_state",
)
DEFAULT_ALPHABET = string.ascii_letters + string.digits
MAX_STRING_LENGTH = limits.MAX_STRING_LENGTH
MAX_ARRAY_LENGTH = limits.MAX_ARRAY_LENGTH
INT_LIMIT = limits.INT_LIMIT  # integer parameters stay well inside int64, so sums and steps cannot overflow silently
MAX_CHOICE_VALUES = limits.MAX_CHOICE_VALUES
MAX_NESTING = limits.MAX_NESTING
# Keys a `when` clause may not override: they change what the column is, not how values are drawn.
NOT_OVERRIDABLE = frozenset({"type", "unique", "when", "pii", "description", "timezone"})


@dataclass
class Context:
    """What normalisation needs besides the raw spec: problems found so far and document defaults."""

    problems: list[Problem]
    locale: str = "en_US"
    reference_time: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    column_specs: int = 0  # column specs normalised so far (array items and object fields included)
    pattern_steps: int = limits.MAX_DOCUMENT_PATTERN_STEPS  # what is left of the document's pattern budget
    locales: set = field(default_factory=set)  # Faker locales the document's faker columns use
    version: float = 1  # the document's version: 1.1 allows bound expressions, typed expressions, on_empty
    row_locale: dict | None = None  # the document's locale per row ({column, map}), version 1.1

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))


def join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def describe(value: object) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
             float: "a number", type(None): "null"}
    if type(value) is float and not math.isfinite(value):
        return str(value)
    return names.get(type(value), type(value).__name__)


def is_int(value: object) -> bool:
    return type(value) is int


def is_number(value: object) -> bool:
    # math.isfinite would raise OverflowError for an int too large for a float; ints are always finite.
    return type(value) is int or type(value) is float and math.isfinite(value)


def literal_problem(value: object) -> str | None:
    """Why a literal value (choice, constant, condition) cannot be written as a row value, or None.

    Integers must fit in 64 bits and floats in the documented range (columnar arrays and the JSON encoder
    hold no more); strings are bounded like generated ones; the whole value's JSON text like a value.
    """
    stack = [value]
    chars = 0
    while stack:
        item = stack.pop()
        if isinstance(item, bool) or item is None:
            chars += 5
        elif type(item) is int:
            if abs(item) > limits.INT64_MAX:
                return f"integer {fmt_big(item)} does not fit in 64 bits"
            chars += 20
        elif type(item) is float:
            if not math.isfinite(item) or abs(item) > limits.FLOAT_LIMIT:
                return f"numbers must be between -{limits.FLOAT_LIMIT:g} and {limits.FLOAT_LIMIT:g}"
            chars += 25
        elif isinstance(item, str):
            if len(item) > limits.MAX_STRING_LENGTH:
                return f"strings must have at most {limits.MAX_STRING_LENGTH:,} characters"
            chars += 2 + 6 * len(item) if not item.isprintable() else 2 + len(item) + item.count('"')
        elif isinstance(item, list):
            stack.extend(item)
            chars += 2 + len(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
            chars += 2 + sum(len(str(k)) + 4 for k in item)
        else:
            return f"{describe(item)} has no JSON form"
        if chars > limits.MAX_VALUE_CHARS:
            return f"the value is longer than {limits.MAX_VALUE_CHARS:,} characters of JSON"
    return None


def fmt_big(value: int) -> str:
    text = str(value) if value.bit_length() < 200 else f"{str(value)[:12]}... ({len(str(abs(value)))} digits)"
    return text


def fmt(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


# ----------------------------------------------------------------------------- scalar readers
def read_int(raw: Mapping, key: str, path: str, ctx: Context, default, *, minimum=None, maximum=None):
    value = raw.get(key, default)
    if key not in raw or value is None and default is None:
        return default
    if not is_int(value):
        ctx.add(join(path, key), f"must be an integer, got {describe(value)}")
        return default
    if maximum is None and value > limits.INT64_MAX or minimum is None and value < -limits.INT64_MAX:
        ctx.add(join(path, key), "must fit in a 64-bit integer")
        return default
    if minimum is not None and value < minimum:
        ctx.add(join(path, key), f"must be at least {minimum}, got {value}")
        return default
    if maximum is not None and value > maximum:
        ctx.add(join(path, key), f"must be at most {maximum}, got {value}")
        return default
    return value


def read_number(raw: Mapping, key: str, path: str, ctx: Context, default, *, minimum=None, maximum=None,
                exclusive_minimum=None):
    value = raw.get(key, default)
    if key not in raw or value is None and default is None:
        return default
    if not is_number(value):
        ctx.add(join(path, key), f"must be a number, got {describe(value)}")
        return default
    if abs(value) > limits.FLOAT_LIMIT:
        ctx.add(join(path, key), f"must be between -{limits.FLOAT_LIMIT:g} and {limits.FLOAT_LIMIT:g}")
        return default
    if minimum is not None and value < minimum:
        ctx.add(join(path, key), f"must be at least {fmt(minimum)}, got {fmt(value)}")
        return default
    if exclusive_minimum is not None and value <= exclusive_minimum:
        ctx.add(join(path, key), f"must be greater than {fmt(exclusive_minimum)}, got {fmt(value)}")
        return default
    if maximum is not None and value > maximum:
        ctx.add(join(path, key), f"must be at most {fmt(maximum)}, got {fmt(value)}")
        return default
    return float(value) if isinstance(default, float) else value


def read_bool(raw: Mapping, key: str, path: str, ctx: Context, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        ctx.add(join(path, key), f"must be true or false, got {describe(value)}")
        return default
    return value


def read_str(raw: Mapping, key: str, path: str, ctx: Context, default, *, required=False, nonempty=True):
    if key not in raw or raw[key] is None:
        if required:
            ctx.add(join(path, key), "is required")
        return default
    value = raw[key]
    if not isinstance(value, str):
        ctx.add(join(path, key), f"must be a string, got {describe(value)}")
        return default
    if nonempty and not value.strip():
        ctx.add(join(path, key), "must not be empty")
        return default
    return value


def check_keys(raw: Mapping, allowed, path: str, ctx: Context, what: str) -> bool:
    fine = True
    for key in raw:
        if not isinstance(key, str):
            ctx.add(path, f"keys must be strings, got {describe(key)} {key!r}")
            fine = False
        elif key not in allowed:
            ctx.add(join(path, key), f"unknown key for {what}")
            fine = False
    return fine


def read_range(raw, path, ctx, reader, low_default, high_default):
    """(min, max) read with `reader`; a lone bound past the other's default moves that default along."""
    low = reader(raw, "min", path, ctx, low_default)
    high = reader(raw, "max", path, ctx, high_default)
    if "min" in raw and "max" not in raw and low > high:
        high = low
    if "max" in raw and "min" not in raw and low > high:
        low = high
    if low > high:
        ctx.add(path, f"min ({fmt(low)}) is greater than max ({fmt(high)})")
    return low, high


# ----------------------------------------------------------------------------- distributions
def normalise_distribution(raw: object, path: str, ctx: Context, allowed: tuple[str, ...],
                           low: float | None, high: float | None) -> dict:
    """{name: {params}}; params left null where the default depends on a range not yet known."""
    if raw is None:
        return {"uniform": {}}
    if isinstance(raw, str):
        name, params = raw, {}
    elif isinstance(raw, Mapping) and len(raw) == 1:
        name, params = next(iter(raw.items()))
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            ctx.add(join(path, name), f"parameters must be a mapping, got {describe(params)}")
            return {"uniform": {}}
    else:
        ctx.add(path, "must be a distribution name or a mapping with one key {name: {parameters}}")
        return {"uniform": {}}
    if name not in allowed:
        ctx.add(path, f"unknown distribution {name!r} (expected one of {', '.join(allowed)})")
        return {"uniform": {}}
    ppath = join(path, name)
    known = {"uniform": (), "normal": ("mean", "std"), "lognormal": ("mean", "sigma"),
             "exponential": ("scale",), "poisson": ("lam",), "zipf": ("a",)}[name]
    check_keys(params, known, ppath, ctx, f"distribution {name}")
    span = None if low is None or high is None else high - low
    mid = None if span is None else (low + high) / 2
    if name == "uniform":
        return {"uniform": {}}
    if name == "normal":
        std_default = None if span is None else span / 6
        return {"normal": {"mean": read_number(params, "mean", ppath, ctx, mid),
                           "std": read_number(params, "std", ppath, ctx, std_default, minimum=0)}}
    if name == "lognormal":
        return {"lognormal": {"mean": read_number(params, "mean", ppath, ctx, 0.0),
                              "sigma": read_number(params, "sigma", ppath, ctx, 1.0, minimum=0)}}
    if name == "exponential":
        scale_default = None if span is None else max(span / 4, 1e-9)
        return {"exponential": {"scale": read_number(params, "scale", ppath, ctx, scale_default,
                                                     minimum=limits.MIN_POSITIVE)}}
    if name == "poisson":
        lam_default = None if mid is None else max(mid, 0.0)
        return {"poisson": {"lam": read_number(params, "lam", ppath, ctx, lam_default, minimum=0)}}
    return {"zipf": {"a": read_number(params, "a", ppath, ctx, 2.0, minimum=limits.MIN_ZIPF_A)}}


# ----------------------------------------------------------------------------- per-type normalisers
def check_faker_provider(provider: str, args: dict, locale: str, path: str, ctx: Context) -> None:
    """The provider is allowed, its arguments fit their schema, the locale has it, and one call works.

    The allow-list comes first: nothing the document names is looked up on Faker or called before it
    has passed, so the one sample below is bounded by the arguments' bounds.
    """
    refused = faker_providers.argument_problems(provider, args)
    for name, problem in refused:
        ctx.add(join(join(path, "args"), name) if name else join(path, "provider"), problem)
    if refused:
        return
    fake = leaves.faker_instance(locale)
    try:
        method = getattr(fake, provider, None)
    except Exception:  # Faker raises assorted errors for attributes of other locales
        method = None
    if method is None or not callable(method):
        ctx.add(join(path, "provider"), f"unknown Faker provider {provider!r} for locale {locale}")
        return
    try:
        fake.seed_instance(0)
        sample = method(**args)
    except Exception as exc:  # whatever the provider raises for bad arguments is the user's problem to see
        ctx.add(join(path, "args"), f"Faker provider {provider!r} rejected the arguments: {exc}")
        return
    if kind_of_value(sample) is None:
        ctx.add(join(path, "provider"), f"Faker provider {provider!r} returns {type(sample).__name__}, "
                                        "which has no JSON form")


def kind_of_value(value: object) -> str | None:
    """The value kind of one Python value returned by a provider (None: not representable)."""
    import datetime as dt
    import decimal
    import uuid

    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | decimal.Decimal):
        return "float"
    if isinstance(value, str | uuid.UUID):
        return "str"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, list | tuple | dict | set | bytes | dt.timedelta) or value is None:
        return "json"
    return None


# ----------------------------------------------------------------------------- columns
def normalise_column(raw: object, path: str, ctx: Context, *, nested: int = 0) -> dict | None:
    """Normalised column spec, or None when it is too broken to say anything about (problems added)."""
    if not isinstance(raw, Mapping):
        ctx.add(path, f"must be a mapping with a type, got {describe(raw)}")
        return None
    if nested > MAX_NESTING:
        ctx.add(path, f"arrays and objects are nested more than {MAX_NESTING} levels deep")
        return None
    ctx.column_specs += 1
    if ctx.column_specs > limits.MAX_COLUMN_SPECS:
        if ctx.column_specs == limits.MAX_COLUMN_SPECS + 1:
            ctx.add(path, f"the document has more than {limits.MAX_COLUMN_SPECS:,} column specs (array items "
                          "and object fields included)")
        return None
    kind = raw.get("type")
    if kind is None:
        ctx.add(join(path, "type"), "is required")
        return None
    entry = registry.get(kind)
    if entry is None:
        ctx.add(join(path, "type"), f"unknown type {kind!r} (expected one of {', '.join(registry.names())})")
        return None
    if nested and entry.row_bound:
        ctx.add(join(path, "type"), f"{kind} reads the row and cannot be nested in an array or object")
        return None
    allowed = COMMON_KEYS + entry.keys
    check_keys(raw, allowed, path, ctx, f"type {kind}")
    spec: dict = {"type": kind}
    spec.update(entry.normalise(raw, path, ctx, nested))
    spec["null_ratio"] = read_number(raw, "null_ratio", path, ctx, 0.0, minimum=0, maximum=1)
    spec["unique"] = read_bool(raw, "unique", path, ctx, False)
    spec["pii"] = read_bool(raw, "pii", path, ctx, False)
    description = raw.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        ctx.add(join(path, "description"), f"must be a string, got {describe(description)}")
        description = ""
    spec["description"] = description
    if nested:
        for key in ("unique", "when"):
            if key in raw and raw[key] not in (None, False, []):
                ctx.add(join(path, key), f"{key} is not supported inside an array or object")
        spec["unique"] = False
        spec["when"] = []
        return spec
    spec["when"] = _normalise_when(raw.get("when"), raw, spec, join(path, "when"), ctx)
    return spec


def _normalise_when(raw_when, raw_spec, base: dict, path: str, ctx: Context) -> list:
    if raw_when is None:
        return []
    if not isinstance(raw_when, list):
        ctx.add(path, f"must be a list of {{if, then}} clauses, got {describe(raw_when)}")
        return []
    if len(raw_when) > limits.MAX_WHEN_CLAUSES:
        ctx.add(path, f"must have at most {limits.MAX_WHEN_CLAUSES} clauses")
        return []
    clauses = []
    for i, clause in enumerate(raw_when):
        cpath = f"{path}[{i}]"
        if not isinstance(clause, Mapping):
            ctx.add(cpath, f"must be a mapping {{if, then}}, got {describe(clause)}")
            continue
        check_keys(clause, ("if", "then"), cpath, ctx, "when clause")
        condition = normalise_condition(clause.get("if"), join(cpath, "if"), ctx)
        then = _normalise_then(clause.get("then"), base, join(cpath, "then"), ctx)
        if condition is not None and then is not None:
            clauses.append({"if": condition, "then": then})
    return clauses


def normalise_condition(raw: object, path: str, ctx: Context) -> dict | None:
    if not isinstance(raw, Mapping):
        ctx.add(path, "is required: a mapping {column, op, value}" if raw is None
                else f"must be a mapping {{column, op, value}}, got {describe(raw)}")
        return None
    check_keys(raw, ("column", "op", "value"), path, ctx, "condition")
    column = read_str(raw, "column", path, ctx, None, required=True)
    op = raw.get("op", "==")
    if op not in CONDITION_OPS:
        ctx.add(join(path, "op"), f"unknown operator {op!r} (expected one of {' '.join(CONDITION_OPS)})")
        return None
    if "value" not in raw:
        ctx.add(join(path, "value"), "is required")
        return None
    value = raw["value"]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not all(_is_scalar(v) for v in value):
            ctx.add(join(path, "value"), f"must be a list of values for {op}")
            return None
        if len(value) > limits.MAX_CONDITION_VALUES:
            ctx.add(join(path, "value"), f"must have at most {limits.MAX_CONDITION_VALUES:,} values")
            return None
    elif not _is_scalar(value):
        ctx.add(join(path, "value"), f"must be a string, number, boolean or null, got {describe(value)}")
        return None
    for item in value if op in ("in", "not_in") else [value]:
        if problem := literal_problem(item):
            ctx.add(join(path, "value"), problem)
            return None
    if column is None:
        return None
    return {"column": column, "op": op, "value": value}


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | bool) or is_number(value)


def _normalise_then(raw: object, base: dict, path: str, ctx: Context) -> dict | None:
    if not isinstance(raw, Mapping) or not raw:
        ctx.add(path, "is required: a mapping of the keys to override" if raw is None
                else f"must be a non-empty mapping of keys to override, got {describe(raw)}")
        return None
    kind = base["type"]
    entry = registry.get(kind)
    forbidden = NOT_OVERRIDABLE | set(entry.structural_keys)
    allowed = set(entry.keys) | {"null_ratio"}
    fine = True
    for key in raw:
        if not isinstance(key, str) or key not in allowed:
            ctx.add(join(path, key), f"unknown key for type {kind}")
            fine = False
        elif key in forbidden:
            ctx.add(join(path, key), f"{key} cannot be overridden by a when clause")
            fine = False
    if not fine:
        return None
    # `result` is derived (a version 1.1 expression's kind), not a key a document writes.
    merged = {k: v for k, v in base.items() if k not in ("when", "unique", "result", "row_locale")}
    row_locale = base.get("row_locale")
    if row_locale is not None:
        # Back to the form a document writes: the column's own {column, map}, or none (the document's).
        if row_locale.get("document"):
            merged.pop("locale", None)
        else:
            merged["locale"] = {key: value for key, value in row_locale.items() if value is not None}
    merged.update(raw)
    inner = Context([], ctx.locale, ctx.reference_time, ctx.column_specs, ctx.pattern_steps, ctx.locales,
                    ctx.version, ctx.row_locale)
    normalised = normalise_column(merged, path, inner, nested=0)
    ctx.column_specs, ctx.pattern_steps = inner.column_specs, inner.pattern_steps
    # Problems of the merged spec are reported under the clause's `then`.
    ctx.problems.extend(inner.problems)
    if normalised is None or inner.problems:
        return None
    return {key: normalised[key] for key in raw}
