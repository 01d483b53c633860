"""Keys, defaults and normalisation of every column type of the schema language.

`normalise_column` reads one raw column spec and returns its normalised form (every default
filled in, keys in a fixed order), appending a Problem for everything wrong with it. Checks that
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
from .expressions import ExpressionError, compile_expression
from .timeparse import TimeValueError, parse_step, resolve_date, resolve_datetime, resolve_time, timezone_for

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
# Types whose values depend on other columns of the row or on the row's place in the table:
# they cannot be items of an array or fields of an object.
ROW_BOUND_TYPES = frozenset({"template", "expression", "lookup", "timeseries", "series_time", "mrz_td3"})

TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "sequence": ("start", "step"),
    "integer": ("min", "max", "distribution"),
    "float": ("min", "max", "precision", "distribution"),
    "boolean": ("probability",),
    "choice": ("values", "weights"),
    "string": ("pattern", "length", "alphabet"),
    "uuid": (),
    "date": ("start", "end", "distribution", "timezone"),
    "datetime": ("start", "end", "distribution", "timezone"),
    "time": ("start", "end", "distribution", "timezone"),
    "faker": ("provider", "args", "locale"),
    "template": ("template", "lower", "upper", "slug"),
    "expression": ("expr",),
    "reference": ("table", "column", "distribution"),
    "lookup": ("reference", "column"),
    "array": ("of", "min_length", "max_length", "unique_items"),
    "object": ("fields",),
    "timeseries": ("base", "trend", "seasonality", "noise", "walk"),
    "series_time": ("start", "step"),
    "constant": ("value",),
    "vin": (),
    "credit_card": ("brand",),
    "iban": ("country",),
    "mrz_td3": ("fields",),
}
# Keys a `when` clause may not override: they change what the column is, not how values are drawn.
NOT_OVERRIDABLE = frozenset({"type", "unique", "when", "pii", "description", "timezone"})
STRUCTURAL_KEYS = {"reference": ("table", "column"), "lookup": ("reference", "column")}


@dataclass
class Context:
    """What normalisation needs besides the raw spec: problems found so far and document defaults."""

    problems: list[Problem]
    locale: str = "en_US"
    reference_time: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    column_specs: int = 0  # column specs normalised so far (array items and object fields included)
    pattern_steps: int = limits.MAX_DOCUMENT_PATTERN_STEPS  # what is left of the document's pattern budget
    locales: set = field(default_factory=set)  # Faker locales the document's faker columns use

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
def _sequence(raw, path, ctx, nested):
    return {"start": read_int(raw, "start", path, ctx, 1, minimum=-INT_LIMIT, maximum=INT_LIMIT),
            "step": read_int(raw, "step", path, ctx, 1, minimum=-INT_LIMIT, maximum=INT_LIMIT)}


def _range(raw, path, ctx, reader, low_default, high_default):
    low = reader(raw, "min", path, ctx, low_default)
    high = reader(raw, "max", path, ctx, high_default)
    if "min" in raw and "max" not in raw and low > high:
        high = low
    if "max" in raw and "min" not in raw and low > high:
        low = high
    if low > high:
        ctx.add(path, f"min ({fmt(low)}) is greater than max ({fmt(high)})")
    return low, high


def _integer(raw, path, ctx, nested):
    def bounded_int(raw, key, path, ctx, default):
        return read_int(raw, key, path, ctx, default, minimum=-INT_LIMIT, maximum=INT_LIMIT)

    low, high = _range(raw, path, ctx, bounded_int, 0, 1000)
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx, DISTRIBUTIONS,
                                  low, high)
    return {"min": low, "max": high, "distribution": dist}


def _float(raw, path, ctx, nested):
    low, high = _range(raw, path, ctx, read_number, 0.0, 1.0)
    precision = read_int(raw, "precision", path, ctx, 2, minimum=0, maximum=12)
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx, DISTRIBUTIONS,
                                  low, high)
    return {"min": float(low), "max": float(high), "precision": precision, "distribution": dist}


def _boolean(raw, path, ctx, nested):
    return {"probability": read_number(raw, "probability", path, ctx, 0.5, minimum=0, maximum=1)}


def _choice(raw, path, ctx, nested):
    values = raw.get("values")
    if values is None:
        ctx.add(join(path, "values"), "is required")
        values = []
    elif not isinstance(values, list) or not values:
        ctx.add(join(path, "values"), "must be a non-empty list")
        values = []
    elif len(values) > MAX_CHOICE_VALUES:
        ctx.add(join(path, "values"), f"must have at most {MAX_CHOICE_VALUES} values")
        values = []
    else:
        for i, value in enumerate(values):
            if not (isinstance(value, str | bool) or is_number(value)):
                ctx.add(join(path, f"values[{i}]"), f"must be a string, number or boolean, got {describe(value)}")
            elif problem := literal_problem(value):
                ctx.add(join(path, f"values[{i}]"), problem)
    weights = raw.get("weights")
    if weights is not None:
        if not isinstance(weights, list) or not all(is_number(w) and 0 <= w <= limits.FLOAT_LIMIT for w in weights):
            ctx.add(join(path, "weights"), f"must be a list of non-negative numbers up to {limits.FLOAT_LIMIT:g}")
            weights = None
        elif values and len(weights) != len(values):
            ctx.add(join(path, "weights"), f"has {len(weights)} weights for {len(values)} values")
            weights = None
        elif not sum(weights) > 0:
            ctx.add(join(path, "weights"), "must not all be zero")
            weights = None
        else:
            weights = [float(w) for w in weights]
    return {"values": list(values), "weights": weights}


def _string(raw, path, ctx, nested):
    if "pattern" in raw and raw["pattern"] is not None:
        for key in ("length", "alphabet"):
            if key in raw:
                ctx.add(join(path, key), "cannot be combined with pattern")
        pattern = read_str(raw, "pattern", path, ctx, None)
        if pattern is not None:
            # The cost comes from the parsed pattern before its automaton is built (that is the expensive
            # part), so an oversized pattern is refused without being expanded.
            patterns = leaves.patterns()
            try:
                cost = patterns.pattern_cost(pattern)
                # The same bound as `length`: a block of rows holds every value at once.
                if cost.max_length > MAX_STRING_LENGTH:
                    ctx.add(join(path, "pattern"), f"matches strings of up to {cost.max_length:,} characters; "
                                                   f"the most a string column allows is {MAX_STRING_LENGTH:,}")
                elif leaves.cached_pattern(pattern) is None:
                    if ctx.pattern_steps <= 0:
                        raise patterns.PatternError("the document's patterns together are too complex to count",
                                                    pattern, 0)
                    allowed = min(limits.MAX_PATTERN_STEPS, ctx.pattern_steps)
                    try:
                        compiled = leaves.compiled_pattern(pattern, allowed)
                    except patterns.PatternError:
                        ctx.pattern_steps -= allowed  # the work was done before it was refused
                        raise
                    ctx.pattern_steps -= compiled.work
            except patterns.PatternError as exc:
                ctx.add(join(path, "pattern"), f"invalid pattern: {exc}")
        return {"pattern": pattern, "length": None, "alphabet": None}
    length = raw.get("length", {"min": 8, "max": 16})
    lpath = join(path, "length")
    if not isinstance(length, Mapping):
        ctx.add(lpath, f"must be a mapping {{min, max}}, got {describe(length)}")
        length = {"min": 8, "max": 16}
    check_keys(length, ("min", "max"), lpath, ctx, "length")
    low = read_int(length, "min", lpath, ctx, 8, minimum=0, maximum=MAX_STRING_LENGTH)
    high = read_int(length, "max", lpath, ctx, max(low, 16) if "min" in length else 16, minimum=0,
                    maximum=MAX_STRING_LENGTH)
    if low > high:
        ctx.add(lpath, f"min ({low}) is greater than max ({high})")
    alphabet = read_str(raw, "alphabet", path, ctx, DEFAULT_ALPHABET, nonempty=False)
    if not alphabet:
        ctx.add(join(path, "alphabet"), "must not be empty")
        alphabet = DEFAULT_ALPHABET
    elif len(alphabet) > MAX_STRING_LENGTH:
        ctx.add(join(path, "alphabet"), f"must have at most {MAX_STRING_LENGTH:,} characters")
        alphabet = DEFAULT_ALPHABET
    return {"pattern": None, "length": {"min": low, "max": high}, "alphabet": "".join(dict.fromkeys(alphabet))}


def _temporal(kind):
    defaults = {"date": ("-1y", "today"), "datetime": ("-1y", "now"), "time": ("00:00:00", "23:59:59")}[kind]

    def normalise(raw, path, ctx, nested):
        timezone = read_str(raw, "timezone", path, ctx, "UTC")
        try:
            tz = timezone_for(timezone)
        except TimeValueError as exc:
            ctx.add(join(path, "timezone"), str(exc))
            tz, timezone = UTC, "UTC"
        bounds = []
        for key, default in zip(("start", "end"), defaults, strict=True):
            value = raw.get(key, default)
            if hasattr(value, "isoformat") and not isinstance(value, str):
                value = value.isoformat()
            resolved = None
            if not isinstance(value, str):
                ctx.add(join(path, key), f"must be an ISO {kind} or a relative time, got {describe(value)}")
                value = default
            else:
                try:
                    resolved = resolve_bound(kind, value, ctx.reference_time, tz)
                except TimeValueError as exc:
                    ctx.add(join(path, key), str(exc))
                    value = default
            bounds.append((value, resolved))
        (start, low), (end, high) = bounds
        if kind != "time" and low is not None and high is not None and low > high:
            ctx.add(path, f"start ({start}) is after end ({end})")
        dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx, DISTRIBUTIONS,
                                      None, None)
        return {"start": start, "end": end, "distribution": dist, "timezone": timezone}

    return normalise


def resolve_bound(kind: str, value: str, reference: datetime, tz):
    if kind == "date":
        return resolve_date(value, reference, tz)
    if kind == "datetime":
        return resolve_datetime(value, reference, tz)
    return resolve_time(value, reference, tz)


def _faker(raw, path, ctx, nested):
    provider = read_str(raw, "provider", path, ctx, None, required=True)
    locale = read_str(raw, "locale", path, ctx, ctx.locale)
    args = raw.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, Mapping) or not all(isinstance(k, str) for k in args):
        ctx.add(join(path, "args"), f"must be a mapping of argument names to values, got {describe(args)}")
        args = {}
    args = dict(args)
    if locale not in leaves.available_locales():
        ctx.add(join(path, "locale"), f"unknown locale {locale!r}")
        return {"provider": provider, "args": args, "locale": locale}
    if locale not in ctx.locales and len(ctx.locales) >= limits.MAX_LOCALES:
        ctx.add(join(path, "locale"), f"a document may use at most {limits.MAX_LOCALES} Faker locales")
        return {"provider": provider, "args": args, "locale": locale}
    ctx.locales.add(locale)
    if provider is not None:
        check_faker_provider(provider, args, locale, path, ctx)
    return {"provider": provider, "args": args, "locale": locale}


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


def _template(raw, path, ctx, nested):
    from .templating import TemplateError, parse_template

    text = read_str(raw, "template", path, ctx, None, required=True)
    if text is not None and len(text) > limits.MAX_TEMPLATE_LENGTH:
        ctx.add(join(path, "template"), f"must have at most {limits.MAX_TEMPLATE_LENGTH:,} characters")
    elif text is not None:
        try:
            parse_template(text)
        except TemplateError as exc:
            ctx.add(join(path, "template"), str(exc))
    lower = read_bool(raw, "lower", path, ctx, False)
    upper = read_bool(raw, "upper", path, ctx, False)
    slug = read_bool(raw, "slug", path, ctx, False)
    if lower and upper:
        ctx.add(path, "lower and upper cannot both be true")
    return {"template": text, "lower": lower, "upper": upper, "slug": slug}


def _expression(raw, path, ctx, nested):
    text = read_str(raw, "expr", path, ctx, None, required=True)
    if text is not None:
        try:
            compile_expression(text)
        except ExpressionError as exc:
            ctx.add(join(path, "expr"), str(exc))
    return {"expr": text}


def _reference(raw, path, ctx, nested):
    table = read_str(raw, "table", path, ctx, None, required=True)
    column = read_str(raw, "column", path, ctx, None)
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx,
                                  ("uniform", "zipf"), None, None)
    return {"table": table, "column": column, "distribution": dist}


def _lookup(raw, path, ctx, nested):
    return {"reference": read_str(raw, "reference", path, ctx, None, required=True),
            "column": read_str(raw, "column", path, ctx, None, required=True)}


def _array(raw, path, ctx, nested):
    of = raw.get("of")
    if of is None:
        ctx.add(join(path, "of"), "is required")
        item = None
    else:
        item = normalise_column(of, join(path, "of"), ctx, nested=nested + 1)
    low = read_int(raw, "min_length", path, ctx, 0, minimum=0, maximum=MAX_ARRAY_LENGTH)
    high = read_int(raw, "max_length", path, ctx, max(low, 5), minimum=0, maximum=MAX_ARRAY_LENGTH)
    if low > high:
        ctx.add(path, f"min_length ({low}) is greater than max_length ({high})")
    unique_items = read_bool(raw, "unique_items", path, ctx, False)
    return {"of": item, "min_length": low, "max_length": high, "unique_items": unique_items}


def _object(raw, path, ctx, nested):
    fields = raw.get("fields")
    fpath = join(path, "fields")
    out = {}
    if not isinstance(fields, Mapping) or not fields:
        ctx.add(fpath, "is required: a non-empty mapping of field names to column specs"
                if fields is None else f"must be a non-empty mapping, got {describe(fields)}")
        return {"fields": out}
    if len(fields) > limits.MAX_OBJECT_FIELDS:
        ctx.add(fpath, f"must have at most {limits.MAX_OBJECT_FIELDS} fields")
        return {"fields": out}
    for name, spec in fields.items():
        if not isinstance(name, str) or not IDENTIFIER.match(name):
            ctx.add(join(fpath, name), "field names must match ^[a-z_][a-z0-9_]*$ (at most 63 characters)")
            continue
        out[name] = normalise_column(spec, join(fpath, name), ctx, nested=nested + 1)
    return {"fields": out}


def _timeseries(raw, path, ctx, nested):
    seasonality = raw.get("seasonality")
    spath = join(path, "seasonality")
    if seasonality is not None:
        if not isinstance(seasonality, Mapping):
            ctx.add(spath, f"must be a mapping {{amplitude, period}}, got {describe(seasonality)}")
            seasonality = None
        else:
            check_keys(seasonality, ("amplitude", "period"), spath, ctx, "seasonality")
            if "period" not in seasonality:
                ctx.add(join(spath, "period"), "is required")
            seasonality = {"amplitude": read_number(seasonality, "amplitude", spath, ctx, 1.0),
                           "period": read_number(seasonality, "period", spath, ctx, 1.0, exclusive_minimum=0,
                                                 minimum=limits.MIN_POSITIVE)}
    return {"base": read_number(raw, "base", path, ctx, 0.0), "trend": read_number(raw, "trend", path, ctx, 0.0),
            "seasonality": seasonality, "noise": read_number(raw, "noise", path, ctx, 0.0, minimum=0),
            "walk": read_number(raw, "walk", path, ctx, 0.0, minimum=0)}


def _series_time(raw, path, ctx, nested):
    start = raw.get("start", "today")
    if hasattr(start, "isoformat") and not isinstance(start, str):
        start = start.isoformat()
    if not isinstance(start, str):
        ctx.add(join(path, "start"), f"must be an ISO datetime or a relative time, got {describe(start)}")
        start = "today"
    else:
        try:
            resolve_datetime(start, ctx.reference_time, UTC)
        except TimeValueError as exc:
            ctx.add(join(path, "start"), str(exc))
    step = raw.get("step", "1h")
    try:
        parse_step(step)
    except TimeValueError as exc:
        ctx.add(join(path, "step"), str(exc))
        step = "1h"
    return {"start": start, "step": step}


def _constant(raw, path, ctx, nested):
    if "value" not in raw:
        ctx.add(join(path, "value"), "is required")
    elif problem := literal_problem(raw["value"]):
        ctx.add(join(path, "value"), problem)
    return {"value": raw.get("value")}


def _vin(raw, path, ctx, nested):
    return {}


def _credit_card(raw, path, ctx, nested):
    brand = read_str(raw, "brand", path, ctx, None)
    if brand is not None:
        brands = leaves.domain().CREDIT_CARD_BRANDS
        if brand.lower() not in brands:
            ctx.add(join(path, "brand"), f"unknown credit card brand {brand!r} (expected one of "
                                         f"{', '.join(sorted(brands))})")
        brand = brand.lower()
    return {"brand": brand}


def _iban(raw, path, ctx, nested):
    country = read_str(raw, "country", path, ctx, None)
    if country is not None:
        countries = leaves.domain().IBAN_COUNTRIES
        if country.upper() not in countries:
            ctx.add(join(path, "country"), f"unknown IBAN country {country!r} (expected one of "
                                           f"{', '.join(sorted(countries))})")
        country = country.upper()
    return {"country": country}


def _mrz(raw, path, ctx, nested):
    fields = raw.get("fields")
    fpath = join(path, "fields")
    if fields is None:
        ctx.add(fpath, "is required: a mapping of MRZ fields to column names")
        fields = {}
    elif not isinstance(fields, Mapping):
        ctx.add(fpath, f"must be a mapping of MRZ fields to column names, got {describe(fields)}")
        fields = {}
    check_keys(fields, MRZ_FIELDS, fpath, ctx, "mrz_td3 fields")
    out = {}
    for name in MRZ_FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            ctx.add(join(fpath, name), f"must be a column name, got {describe(value)}")
            value = None
        out[name] = value
    return {"fields": out}


NORMALISERS = {
    "sequence": _sequence, "integer": _integer, "float": _float, "boolean": _boolean, "choice": _choice,
    "string": _string, "uuid": lambda raw, path, ctx, nested: {}, "date": _temporal("date"),
    "datetime": _temporal("datetime"), "time": _temporal("time"), "faker": _faker, "template": _template,
    "expression": _expression, "reference": _reference, "lookup": _lookup, "array": _array, "object": _object,
    "timeseries": _timeseries, "series_time": _series_time, "constant": _constant, "vin": _vin,
    "credit_card": _credit_card, "iban": _iban, "mrz_td3": _mrz,
}


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
    if not isinstance(kind, str) or kind not in TYPE_KEYS:
        ctx.add(join(path, "type"), f"unknown type {kind!r} (expected one of {', '.join(TYPE_KEYS)})")
        return None
    if nested and kind in ROW_BOUND_TYPES:
        ctx.add(join(path, "type"), f"{kind} reads the row and cannot be nested in an array or object")
        return None
    allowed = COMMON_KEYS + TYPE_KEYS[kind]
    check_keys(raw, allowed, path, ctx, f"type {kind}")
    spec: dict = {"type": kind}
    spec.update(NORMALISERS[kind](raw, path, ctx, nested))
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
    forbidden = NOT_OVERRIDABLE | set(STRUCTURAL_KEYS.get(kind, ()))
    allowed = set(TYPE_KEYS[kind]) | {"null_ratio"}
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
    merged = {k: v for k, v in base.items() if k not in ("when", "unique")}
    merged.update(raw)
    inner = Context([], ctx.locale, ctx.reference_time, ctx.column_specs, ctx.pattern_steps, ctx.locales)
    normalised = normalise_column(merged, path, inner, nested=0)
    ctx.column_specs, ctx.pattern_steps = inner.column_specs, inner.pattern_steps
    # Problems of the merged spec are reported under the clause's `then`.
    ctx.problems.extend(inner.problems)
    if normalised is None or inner.problems:
        return None
    return {key: normalised[key] for key in raw}
