"""Facts derived from a normalised document: dependencies, table order, value kinds, unique domains."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from . import bounds, leaves
from .expressions import ExpressionError, compile_expression
from .templating import TemplateError, parse_template
from .timeparse import parse_step, resolve_date, resolve_datetime, resolve_time, timezone_for
from .types import registry

UNBOUNDED = math.inf
NUMERIC_KINDS = frozenset({"int", "float", "number", "bool"})


class UniqueUnsupported(ValueError):
    pass


def reference_tables(spec: dict) -> list[str]:
    """Tables a column (or its nested items and fields) references."""
    if spec is None:
        return []
    kind = spec.get("type")
    if kind == "reference" and isinstance(spec.get("table"), str):
        return [spec["table"]]
    if kind == "array":
        return reference_tables(spec.get("of"))
    if kind == "object":
        return [t for field in spec.get("fields", {}).values() for t in reference_tables(field)]
    return []


def table_graph(doc: dict) -> dict[str, list[str]]:
    """table -> parent tables it references (self-references left out)."""
    graph = {}
    for name, table in doc["tables"].items():
        parents = []
        for spec in table["columns"].values():
            for parent in reference_tables(spec):
                if parent != name and parent in doc["tables"] and parent not in parents:
                    parents.append(parent)
        graph[name] = parents
    return graph


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One cycle as a list of nodes (first repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def topological_order(graph: dict[str, list[str]]) -> list[str]:
    """Parents before children; ties keep the document order."""
    order: list[str] = []
    done: set[str] = set()
    remaining = list(graph)
    while remaining:
        for name in remaining:
            if all(p in done for p in graph[name]):
                order.append(name)
                done.add(name)
                remaining.remove(name)
                break
        else:
            raise ValueError("reference cycle between tables")
    return order


def template_of(spec: dict):
    try:
        return parse_template(spec["template"]) if isinstance(spec.get("template"), str) else None
    except TemplateError:
        return None


def expression_of(spec: dict):
    try:
        return compile_expression(spec["expr"]) if isinstance(spec.get("expr"), str) else None
    except ExpressionError:
        return None


def column_dependencies(table_name: str, table: dict, column: str) -> list[str]:
    """Columns of the same table that must be computed before `column` (of this row, or of earlier rows
    through a self-reference)."""
    spec = table["columns"].get(column)
    if spec is None:
        return []
    deps: list[str] = []
    variants = [spec] + [{**spec, **clause["then"]} for clause in spec.get("when", [])]
    for clause in spec.get("when", []):
        deps.append(clause["if"]["column"])
    columns = table["columns"]
    for variant in variants:
        kind = variant["type"]
        if kind == "template":
            template = template_of(variant)
            for placeholder in template.placeholders if template else ():
                deps.append(placeholder.column)
                ref = columns.get(placeholder.column)
                if placeholder.field and ref and ref.get("type") == "reference" and ref.get("table") == table_name:
                    deps.append(placeholder.field)
        elif kind == "expression":
            expression = expression_of(variant)
            deps.extend(expression.names if expression else ())
        elif kind == "lookup":
            deps.append(variant["reference"])
            ref = columns.get(variant["reference"])
            if ref and ref.get("type") == "reference" and ref.get("table") == table_name:
                deps.append(variant["column"])
        elif kind == "mrz_td3":
            deps.extend(name for name in variant["fields"].values() if name)
        for name, field in bounds.reads(variant):
            deps.append(name)
            ref = columns.get(name)
            if field and ref and ref.get("type") == "reference" and ref.get("table") == table_name:
                deps.append(field)
        entry = registry.get(kind)
        if entry is not None and entry.reads is not None:
            deps.extend(entry.reads(variant, columns, column))
    return [d for d in dict.fromkeys(deps) if isinstance(d, str)]


def column_order(table_name: str, table: dict) -> list[str]:
    """Columns in an order where every column comes after the columns it reads."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in seen or name in trail or name not in table["columns"]:
            return
        for dep in column_dependencies(table_name, table, name):
            visit(dep, (*trail, name))
        seen.add(name)
        order.append(name)

    for name in table["columns"]:
        visit(name, ())
    return order


def referenced_column(doc: dict, spec: dict) -> str | None:
    """The parent column a reference column points at (its `column`, else the parent's primary key)."""
    parent = doc["tables"].get(spec.get("table"))
    if spec.get("column"):
        return spec["column"]
    return parent.get("primary_key") if parent else None


def kind_of(doc: dict, spec: dict | None, depth: int = 0) -> str:
    """The kind of value a column holds: int, float, number, bool, str, date, datetime, time or json."""
    if spec is None or depth > 20:
        return "json"
    kind = spec.get("type")
    entry = registry.get(kind)
    if entry is not None and entry.value_kind is not None:
        return entry.value_kind
    if entry is not None and entry.spec_kind is not None:
        return entry.spec_kind(spec)
    if kind == "expression":
        return spec.get("result") or "number"  # a version 1.1 expression's kind is found by validation
    if kind == "choice":
        return kind_of_values(spec.get("values") or [])
    if kind == "constant":
        return kind_of_values([spec.get("value")])
    if kind == "faker":
        return faker_kind(spec)
    if kind == "reference":
        parent = doc["tables"].get(spec.get("table"))
        column = referenced_column(doc, spec)
        if parent is None or column is None:
            return "json"
        return kind_of(doc, parent["columns"].get(column), depth + 1)
    return "json"


def lookup_kind(doc: dict, table: dict, spec: dict, depth: int = 0) -> str:
    ref = table["columns"].get(spec.get("reference"))
    if not ref or ref.get("type") != "reference":
        return "json"
    parent = doc["tables"].get(ref.get("table"))
    if parent is None:
        return "json"
    target = parent["columns"].get(spec.get("column"))
    if target and target.get("type") == "lookup":
        return lookup_kind(doc, parent, target, depth + 1) if depth < 20 else "json"
    return kind_of(doc, target)


def column_kind(doc: dict, table: dict, name: str) -> str:
    spec = table["columns"].get(name)
    if spec and spec.get("type") == "lookup":
        return lookup_kind(doc, table, spec)
    return kind_of(doc, spec)


def kind_of_values(values: list) -> str:
    if values and all(isinstance(v, bool) for v in values):
        return "bool"
    if values and all(type(v) is int for v in values):
        return "int"
    if values and all(type(v) in (int, float) for v in values):
        return "float"
    if values and all(isinstance(v, str) for v in values):
        return "str"
    return "json"


def faker_kind(spec: dict) -> str:
    from .column_types import kind_of_value

    sampler = leaves.bulk_sampler(spec["provider"], spec["locale"], spec["args"])
    if sampler is not None:
        return "str"
    try:
        fake = leaves.faker_instance(spec["locale"])
        fake.seed_instance(0)
        return kind_of_value(getattr(fake, spec["provider"])(**spec["args"])) or "json"
    except Exception:  # an unusable provider is reported by validation; its kind does not matter
        return "json"


def resolved_range(spec: dict, reference_time: datetime) -> tuple:
    """(low, high) of a date (dates), datetime (UTC datetimes) or time (seconds of day) column."""
    tz = timezone_for(spec.get("timezone", "UTC"))
    kind = spec["type"]
    resolve = {"date": resolve_date, "datetime": resolve_datetime, "time": resolve_time}[kind]
    return resolve(spec["start"], reference_time, tz), resolve(spec["end"], reference_time, tz)


def _national_id_domain(spec: dict) -> int:
    from . import national_ids

    scheme = spec["scheme"]
    if scheme not in national_ids.SCHEMES:
        raise UniqueUnsupported("a national_id needs a known scheme to be unique")
    if spec.get("when"):
        raise UniqueUnsupported("a unique column cannot have when clauses (overridden values could repeat)")
    if spec.get("birth_date"):
        raise UniqueUnsupported("a national_id that reads its birth date from a column cannot be unique (rows of "
                                "one birth date share the numbers of that date)")
    if spec.get("invalid_ratio", 0) > 0 and scheme not in national_ids.UNIQUE_BREAKS:
        raise UniqueUnsupported(f"a unique {scheme} column cannot have invalid_ratio ({scheme} numbers have no "
                                "check digit: a broken format rule could make two numbers equal)")
    return national_ids.domain_size(scheme, sex_given=bool(spec.get("sex")))


def unique_domain(doc: dict, table_name: str, spec: dict, row_counts: dict, reference_time: datetime,
                  per_table: bool = False) -> float:
    """How many distinct values a unique column can take (UNBOUNDED when index-derived values make it
    effectively infinite); raises UniqueUnsupported for types that cannot be unique."""
    kind = spec["type"]
    entry = registry.get(kind)
    if entry is None or entry.no_unique:
        raise UniqueUnsupported(entry.no_unique if entry else f"{kind} cannot be unique")
    if kind == "vin":
        if "make" not in spec:
            raise UniqueUnsupported("vin values are random and cannot be guaranteed unique (version 1.1 numbers "
                                    "their serial part so that they are)")
        if spec.get("when"):
            raise UniqueUnsupported("a unique column cannot have when clauses (overridden values could repeat)")
        return leaves.vin_serial_domain()
    if kind == "national_id":
        return _national_id_domain(spec)
    if spec.get("when"):
        raise UniqueUnsupported("a unique column cannot have when clauses (overridden values could repeat)")
    if bounds.has_expression_bounds(spec):
        raise UniqueUnsupported("a unique column cannot take its bounds from other columns (each row draws in its "
                                "own interval, so values could repeat)")
    if kind == "sequence":
        return UNBOUNDED if spec["step"] != 0 else 1
    if kind == "integer":
        if "uniform" not in spec["distribution"]:
            raise UniqueUnsupported("a unique integer column must use the uniform distribution")
        return spec["max"] - spec["min"] + 1
    if kind == "float":
        if "uniform" not in spec["distribution"]:
            raise UniqueUnsupported("a unique float column must use the uniform distribution")
        return float_grid_size(spec)
    if kind == "boolean":
        return 2
    if kind == "choice":
        return len(distinct_values(spec["values"]))
    if kind == "constant":
        return 1
    if kind == "string":
        if spec["pattern"] is not None:
            return leaves.compiled_pattern(spec["pattern"]).domain_size
        return alphabet_domain(len(spec["alphabet"]), spec["length"]["min"], spec["length"]["max"])
    if kind == "uuid" or kind == "template":
        return UNBOUNDED
    if kind in ("date", "datetime", "time"):
        if "uniform" not in spec["distribution"]:
            raise UniqueUnsupported(f"a unique {kind} column must use the uniform distribution")
        low, high = resolved_range(spec, reference_time)
        if kind == "date":
            return max((high - low).days + 1, 0)
        if kind == "datetime":
            return max(int((high - low).total_seconds()) + 1, 0)
        return (high - low) % 86400 + 1
    row_locale = spec.get("row_locale") if kind == "faker" else None
    if row_locale and row_locale["column"] in doc["tables"].get(table_name, {}).get("columns", {}):
        raise UniqueUnsupported("a faker column with a locale per row cannot be unique (each locale draws on "
                                "its own)")
    if kind == "faker":
        sampler = leaves.bulk_sampler(spec["provider"], spec["locale"], spec["args"])
        if sampler is None and faker_kind(spec) != "str":
            raise UniqueUnsupported(f"Faker provider {spec['provider']!r} returns {faker_kind(spec)} values, "
                                    "which cannot be made unique")
        size = getattr(sampler, "domain_size", None) if sampler is not None else None
        return UNBOUNDED if size is None else size
    if kind == "series_time":
        if per_table:
            raise UniqueUnsupported("series_time restarts for each parent and cannot be unique here")
        parse_step(spec["step"])
        return UNBOUNDED
    if kind == "reference":
        if spec["table"] == table_name:
            raise UniqueUnsupported("a self-reference cannot be unique")
        if "uniform" not in spec["distribution"]:
            raise UniqueUnsupported("a unique reference must use the uniform distribution")
        return row_counts.get(spec["table"], 0)
    raise UniqueUnsupported(f"{kind} cannot be unique")


def suffix_fallback(spec: dict) -> bool:
    """Faker providers of identifier-like values (emails, user names, slugs): when their known domain is
    smaller than the table, unique values get an index-derived tag (before the '@' of an email), as real
    addresses do, instead of the column being rejected."""
    provider = spec.get("provider") or ""
    return spec["type"] == "faker" and ("email" in provider or provider in ("user_name", "slug"))


def float_grid_size(spec: dict) -> int:
    scale = 10 ** spec["precision"]
    return int(math.floor(round((spec["max"] - spec["min"]) * scale, 6))) + 1


def alphabet_domain(size: int, low: int, high: int) -> int:
    if size == 1:
        return high - low + 1
    # Geometric sum, capped: anything past 2**64 is far more than any table holds.
    total = 0
    for length in range(low, high + 1):
        total += size ** min(length, 64)
        if total > 2**64:
            return 2**64
    return total


def distinct_values(values: list) -> list:
    seen: dict = {}
    for value in values:
        seen.setdefault((isinstance(value, bool), value), value)
    return list(seen.values())


def default_reference_time() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


