"""Validation of a whole document: every problem as `path: reason`, plus the normalised document."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from . import analysis, bounds, costs, limits
from .column_types import (
    IDENTIFIER,
    Context,
    check_keys,
    describe,
    fmt,
    is_int,
    join,
    normalise_column,
    normalise_distribution,
    read_int,
)
from .errors import Problem
from .expressions import ExpressionError
from .templating import TemplateError, parse_template
from .timeparse import TimeValueError, check_datetime, parse_step, resolve_date, resolve_datetime, resolve_time
from .types import registry

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
DOCUMENT_KEYS = ("version", "name", "description", "locale", "seed", "tables")
TABLE_KEYS = ("rows", "primary_key", "columns", "description", "scale")
ROW_DISTRIBUTIONS = ("uniform", "normal", "lognormal", "exponential", "poisson", "zipf")
MAX_SEED = 2**63 - 1


def validate_document(raw: object, *, max_rows: int | None = None,
                      reference_time: datetime | None = None) -> tuple[dict | None, list[Problem]]:
    """(normalised document, problems); the document is None when problems were found."""
    ctx = Context([], reference_time=reference_time or analysis.default_reference_time())
    if not isinstance(raw, Mapping):
        ctx.add("", f"the document must be a mapping, got {describe(raw)}")
        return None, ctx.problems
    check_keys(raw, DOCUMENT_KEYS, "", ctx, "the document")
    doc: dict = {}
    version = raw.get("version")
    if version is None:
        ctx.add("version", "is required (1 or 1.1)")
    elif is_int(version) and version == 1:
        ctx.version = 1
    elif type(version) is float and version == 1.1 or version == "1.1":
        ctx.version = 1.1
    else:
        ctx.add("version", f"unsupported version {version!r} (supported: 1, 1.1)")
    # Version 1 documents keep their normalised form (and hash) exactly.
    doc["version"] = 1 if ctx.version == 1 else 1.1
    name = raw.get("name")
    if name is None:
        ctx.add("name", "is required")
    elif not isinstance(name, str) or not NAME.match(name):
        ctx.add("name", "must be slug-like: 1-100 characters of a-z, 0-9, '-' and '_', starting with a letter "
                        "or digit")
    doc["name"] = name if isinstance(name, str) else ""
    description = raw.get("description", "")
    if not isinstance(description, str):
        ctx.add("description", f"must be a string, got {describe(description)}")
        description = ""
    doc["description"] = description
    locale = raw.get("locale", "en_US")
    from . import leaves

    if isinstance(locale, Mapping):
        # Version 1.1: a locale per row, read from a column of each table that has it.
        from .types import _row_locale

        ctx.row_locale = _row_locale.read(locale, "locale", ctx, _row_locale.DOCUMENT_KEYS)
        locale = locale.get("default", "en_US")
        if ctx.row_locale is not None:
            doc["row_locale"] = ctx.row_locale
    if not isinstance(locale, str) or locale not in leaves.available_locales():
        ctx.add("locale", f"unknown locale {locale!r}")
        locale = "en_US"
    doc["locale"] = ctx.locale = locale
    seed = raw.get("seed")
    if seed is not None and (not is_int(seed) or not 0 <= seed <= MAX_SEED):
        ctx.add("seed", f"must be an integer from 0 to {MAX_SEED}")
        seed = None
    doc["seed"] = seed
    tables = raw.get("tables")
    doc["tables"] = {}
    if tables is None:
        ctx.add("tables", "is required: a mapping of table names to tables")
    elif not isinstance(tables, Mapping) or not tables:
        ctx.add("tables", f"must be a non-empty mapping of table names to tables, got {describe(tables)}")
    elif len(tables) > limits.MAX_TABLES:
        ctx.add("tables", f"has {len(tables):,} tables; a document may have at most {limits.MAX_TABLES}")
    else:
        for table_name, table in tables.items():
            path = join("tables", table_name)
            if not isinstance(table_name, str) or not IDENTIFIER.match(table_name):
                ctx.add(path, "table names must match ^[a-z_][a-z0-9_]*$ (at most 63 characters)")
                continue
            normalised = _table(table, path, ctx, max_rows, doc["version"])
            if normalised is not None:
                doc["tables"][table_name] = normalised
    if ctx.problems:
        # Cross-checks on a partly broken document would mostly repeat the same problems.
        _cross_checks(doc, ctx, max_rows, partial=True)
        return None, _dedupe(ctx.problems)
    _cross_checks(doc, ctx, max_rows, partial=False)
    return (None if ctx.problems else doc), _dedupe(ctx.problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _table(raw: object, path: str, ctx: Context, max_rows: int | None, version: float) -> dict | None:
    if not isinstance(raw, Mapping):
        ctx.add(path, f"must be a mapping with rows and columns, got {describe(raw)}")
        return None
    check_keys(raw, TABLE_KEYS, path, ctx, "a table")
    table: dict = {"rows": _rows(raw.get("rows"), join(path, "rows"), ctx, max_rows)}
    primary_key = raw.get("primary_key")
    if primary_key is not None and not isinstance(primary_key, str):
        ctx.add(join(path, "primary_key"), f"must be a column name, got {describe(primary_key)}")
        primary_key = None
    table["primary_key"] = primary_key
    description = raw.get("description", "")
    if not isinstance(description, str):
        ctx.add(join(path, "description"), f"must be a string, got {describe(description)}")
        description = ""
    table["description"] = description
    if "scale" in raw:
        scale = raw["scale"]
        if not isinstance(scale, bool):
            ctx.add(join(path, "scale"), f"must be true or false, got {describe(scale)}")
        elif version != 1.1:
            ctx.add(join(path, "scale"), "needs version: 1.1")
        elif not scale and isinstance(table["rows"], Mapping):
            ctx.add(join(path, "scale"), "a {per: ...} table follows its parent's row count; scale applies only "
                                         "to a table with a fixed number of rows")
        elif not scale:
            # Only `scale: false` is stored: a version 1 table's normalised form (and hash) stays as it was.
            table["scale"] = False
    columns = raw.get("columns")
    cpath = join(path, "columns")
    table["columns"] = {}
    if columns is None:
        ctx.add(cpath, "is required: a mapping of column names to column specs")
        return table
    if not isinstance(columns, Mapping) or not columns:
        ctx.add(cpath, f"must be a non-empty mapping of column names to column specs, got {describe(columns)}")
        return table
    if len(columns) > limits.MAX_COLUMNS_PER_TABLE:
        ctx.add(cpath, f"has {len(columns):,} columns; a table may have at most {limits.MAX_COLUMNS_PER_TABLE}")
        return table
    for name, spec in columns.items():
        colpath = join(cpath, name)
        if not isinstance(name, str) or not IDENTIFIER.match(name):
            ctx.add(colpath, "column names must match ^[a-z_][a-z0-9_]*$ (at most 63 characters)")
            continue
        normalised = normalise_column(spec, colpath, ctx)
        if normalised is not None:
            table["columns"][name] = normalised
    if primary_key is not None:
        spec = table["columns"].get(primary_key)
        if primary_key not in columns:
            ctx.add(join(path, "primary_key"), f"names unknown column {primary_key!r}")
        elif spec is not None:
            spec["unique"] = True
            if spec["null_ratio"] > 0:
                ctx.add(join(cpath, primary_key), "null_ratio must be 0 on a primary key")
            if spec["pii"]:
                ctx.add(join(cpath, primary_key), "a primary key cannot be pii (mark another column instead)")
    return table


def _rows(raw: object, path: str, ctx: Context, max_rows: int | None):
    if raw is None:
        ctx.add(path, "is required: a number of rows or {per, min, max}")
        return 0
    if is_int(raw):
        if raw < 0:
            ctx.add(path, f"must be at least 0, got {raw}")
            return 0
        if raw > limits.MAX_TABLE_ROWS:
            ctx.add(path, f"must be at most {limits.MAX_TABLE_ROWS:,}")
            return 0
        if max_rows is not None and raw > max_rows:
            ctx.add(path, f"{raw} rows is above the limit of {max_rows}")
        return raw
    if not isinstance(raw, Mapping):
        ctx.add(path, f"must be an integer or a mapping {{per, min, max, distribution}}, got {describe(raw)}")
        return 0
    check_keys(raw, ("per", "min", "max", "distribution"), path, ctx, "rows")
    per = raw.get("per")
    if not isinstance(per, str):
        ctx.add(join(path, "per"), "is required: the name of a reference column of this table"
                if per is None else f"must be a column name, got {describe(per)}")
        per = None
    for key in ("min", "max"):
        if key not in raw:
            ctx.add(join(path, key), "is required")
    low = read_int(raw, "min", path, ctx, 0, minimum=0, maximum=limits.MAX_TABLE_ROWS)
    high = read_int(raw, "max", path, ctx, low, minimum=0, maximum=limits.MAX_TABLE_ROWS)
    if low > high:
        ctx.add(path, f"min ({low}) is greater than max ({high})")
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx, ROW_DISTRIBUTIONS,
                                  float(low), float(high))
    return {"per": per, "min": low, "max": high, "distribution": dist}


# ----------------------------------------------------------------------------- cross-checks
def _cross_checks(doc: dict, ctx: Context, max_rows: int | None, *, partial: bool) -> None:
    tables = doc["tables"]
    for table_name, table in tables.items():
        tpath = join("tables", table_name)
        for name, spec in table["columns"].items():
            _check_column_links(doc, table_name, table, name, spec, join(join(tpath, "columns"), name), ctx)
        _check_per(table_name, table, join(tpath, "rows"), ctx)
    graph = analysis.table_graph(doc)
    cycle = analysis.find_cycle(graph)
    if cycle:
        ctx.add(join("tables", cycle[0]), "reference cycle between tables: " + " -> ".join(reversed(cycle)))
    for table_name, table in tables.items():
        cycle = _column_cycle(table_name, table)
        if cycle:
            ctx.add(join(join(join("tables", table_name), "columns"), cycle[0]),
                    "columns depend on each other in a cycle: " + " -> ".join(cycle))
    if partial or ctx.problems:
        return
    order = analysis.topological_order(graph)
    _infer_kinds(doc, order, ctx)
    if ctx.problems:
        return
    bounds = _row_bounds(doc, order)
    # `rows: {per}` tables count with their largest possible size (parent rows times max): the quota is
    # checked before generation on what the plan can make, not on what it usually makes.
    for table_name in order:
        rows = tables[table_name]["rows"]
        if isinstance(rows, Mapping) and bounds[table_name] > min(max_rows or limits.MAX_TABLE_ROWS,
                                                                   limits.MAX_TABLE_ROWS):
            limit = min(max_rows or limits.MAX_TABLE_ROWS, limits.MAX_TABLE_ROWS)
            ctx.add(join(join("tables", table_name), "rows"),
                    f"up to {fmt(bounds[table_name])} rows ({rows['max']:,} per parent row), above the limit of "
                    f"{limit}")
    total = sum(bounds.values())
    if max_rows is not None and total > max_rows:
        ctx.add("tables", f"the tables plan {fmt(total)} rows in total, above the limit of {max_rows}")
    if ctx.problems:
        return
    sizer = costs.Sizer(doc)
    for table_name in order:
        _check_sizes(doc, table_name, bounds[table_name], sizer, ctx)
    if ctx.problems:
        return
    for table_name in order:
        table = tables[table_name]
        for name, spec in table["columns"].items():
            path = join(join(join("tables", table_name), "columns"), name)
            _check_kinds(doc, table, spec, path, ctx)
            ctx.problems.extend(nested_problems(doc, table_name, spec, path, bounds, ctx.reference_time))
            if spec["unique"]:
                problem = unique_problem(doc, table_name, spec, bounds[table_name], bounds, ctx.reference_time)
                if problem:
                    ctx.add(path, problem)


def _check_sizes(doc: dict, table_name: str, rows: int, sizer: costs.Sizer, ctx: Context) -> None:
    """Values and rows within the size bounds; sequences and series_time within their ranges."""
    tpath = join("tables", table_name)
    row_chars = 2
    table_rows = doc["tables"][table_name]["rows"]
    # series_time counts within each parent's run of a `per` table, a sequence over the whole table.
    series_rows = table_rows["max"] if isinstance(table_rows, Mapping) else rows
    for name, spec in doc["tables"][table_name]["columns"].items():
        path = join(join(tpath, "columns"), name)
        size = sizer.column(table_name, name)
        if size.json > limits.MAX_VALUE_CHARS:
            ctx.add(path, f"values can be up to {fmt(size.json)} characters of JSON; the most one value may have "
                          f"is {limits.MAX_VALUE_CHARS:,}")
        row_chars += len(name) + 4 + size.json
        for variant, vpath in [(spec, path)] + [({**spec, **clause["then"]}, f"{path}.when[{i}].then")
                                                 for i, clause in enumerate(spec["when"])]:
            problem = range_problem(variant, series_rows if variant["type"] == "series_time" else rows,
                                    ctx.reference_time)
            if problem:
                ctx.add(vpath, problem)
    if row_chars > limits.MAX_ROW_CHARS:
        ctx.add(tpath, f"rows can be up to {fmt(row_chars)} characters of JSON; the most one row may have is "
                       f"{limits.MAX_ROW_CHARS:,}")


def range_problem(spec: dict, rows: int, reference_time: datetime) -> str | None:
    """Why the last of `rows` values of a sequence or series_time would leave its range, or None."""
    last = max(rows - 1, 0)
    if spec["type"] == "sequence":
        end = spec["start"] + last * spec["step"]
        if abs(end) > limits.INT64_MAX:
            return f"the sequence reaches {fmt(end)} by row {fmt(rows)}, beyond 64-bit integers"
    if spec["type"] == "series_time":
        from datetime import UTC, timedelta

        try:
            start = resolve_datetime(spec["start"], reference_time, UTC)
            seconds = last * parse_step(spec["step"])
            if seconds > 10**12:
                raise OverflowError
            check_datetime(start + timedelta(seconds=seconds))
        except (TimeValueError, OverflowError):
            end = limits.MAX_DATETIME.replace(tzinfo=None).isoformat()
            return f"the series passes {end}Z within {fmt(rows)} rows (use a smaller step or an earlier start)"
    return None


def _row_bounds(doc: dict, order: list[str]) -> dict[str, int]:
    """Largest number of rows each table can get (a `per` table: parent bound times max)."""
    bounds: dict[str, int] = {}
    for name in order:
        rows = doc["tables"][name]["rows"]
        if isinstance(rows, int):
            bounds[name] = rows
        else:
            parent_spec = doc["tables"][name]["columns"][rows["per"]]
            bounds[name] = bounds[parent_spec["table"]] * rows["max"]
    return bounds


def unique_problem(doc: dict, table_name: str, spec: dict, rows: int, row_counts: dict,
                   reference_time: datetime) -> str | None:
    """Why a unique column cannot hold `rows` distinct values (None when it can)."""
    per = isinstance(doc["tables"][table_name]["rows"], Mapping)
    try:
        domain = analysis.unique_domain(doc, table_name, spec, row_counts, reference_time, per_table=per)
    except analysis.UniqueUnsupported as exc:
        return str(exc)
    except (TimeValueError, ValueError) as exc:
        return f"cannot size the unique domain: {exc}"
    if domain < rows and not analysis.suffix_fallback(spec):
        return f"unique column can hold only {fmt(domain)} distinct values but the table has up to {rows} rows"
    return None


def nested_problems(doc: dict, table_name: str, spec: dict, path: str, row_counts: dict,
                    reference_time: datetime, depth: int = 0) -> list[Problem]:
    """Arrays whose unique_items cannot be met and references nested in arrays or objects."""
    problems: list[Problem] = []
    kind = spec["type"]
    if depth and kind == "reference" and spec["table"] == table_name:
        problems.append(Problem(path, "a reference inside an array or object cannot point at its own table"))
    if kind == "array" and spec["of"] is not None:
        item = spec["of"]
        if spec["unique_items"]:
            problem = _unique_items_problem(doc, table_name, item, spec["max_length"], row_counts, reference_time)
            if problem:
                problems.append(Problem(join(path, "unique_items"), problem))
        problems.extend(nested_problems(doc, table_name, item, join(path, "of"), row_counts, reference_time,
                                        depth + 1))
    if kind == "object":
        for name, field_spec in spec["fields"].items():
            problems.extend(nested_problems(doc, table_name, field_spec, join(join(path, "fields"), name),
                                            row_counts, reference_time, depth + 1))
    return problems


def _unique_items_problem(doc: dict, table_name: str, item: dict, max_length: int, row_counts: dict,
                          reference_time: datetime) -> str | None:
    if item["type"] == "uuid":
        return None
    if item["type"] == "sequence":
        return None if item["step"] != 0 or max_length <= 1 else "sequence items with step 0 are all equal"
    try:
        domain = analysis.unique_domain(doc, table_name, item, row_counts, reference_time)
    except analysis.UniqueUnsupported as exc:
        return str(exc)
    except (TimeValueError, ValueError) as exc:
        return f"cannot size the items' domain: {exc}"
    if domain == analysis.UNBOUNDED:
        return f"{item['type']} items have no countable domain to draw distinct items from"
    if domain < max_length:
        return f"the items can take only {fmt(domain)} distinct values but max_length is {max_length}"
    return None


def _column_cycle(table_name: str, table: dict) -> list[str] | None:
    graph = {name: [d for d in analysis.column_dependencies(table_name, table, name) if d in table["columns"]]
             for name in table["columns"]}
    return analysis.find_cycle(graph)


def _check_per(table_name: str, table: dict, path: str, ctx: Context) -> None:
    rows = table["rows"]
    if not isinstance(rows, Mapping) or rows["per"] is None:
        return
    spec = table["columns"].get(rows["per"])
    if spec is None:
        ctx.add(join(path, "per"), f"names unknown column {rows['per']!r}")
    elif spec["type"] != "reference":
        ctx.add(join(path, "per"), f"column {rows['per']!r} is a {spec['type']}, not a reference")
    elif spec["table"] == table_name:
        ctx.add(join(path, "per"), "cannot be a self-reference")
    elif spec["null_ratio"] > 0 or spec["when"]:
        ctx.add(join(path, "per"), f"column {rows['per']!r} must not have null_ratio or when (every row "
                                   "belongs to a parent)")
    elif spec["unique"]:
        ctx.add(join(path, "per"), f"column {rows['per']!r} cannot be unique")


def _check_column_links(doc: dict, table_name: str, table: dict, name: str, spec: dict | None, path: str,
                        ctx: Context) -> None:
    """References, lookups, placeholders, expressions, conditions and MRZ fields name things that exist."""
    if spec is None:
        return
    columns = table["columns"]
    kind = spec["type"]
    variants = [(spec, path)] + [({**spec, **clause["then"]}, f"{path}.when[{i}].then")
                                 for i, clause in enumerate(spec.get("when", []))]
    for i, clause in enumerate(spec.get("when", [])):
        column = clause["if"]["column"]
        cpath = f"{path}.when[{i}].if.column"
        if column == name:
            ctx.add(cpath, "a condition cannot test the column it belongs to")
        elif column not in columns:
            ctx.add(cpath, f"names unknown column {column!r}")
    if kind == "reference":
        _check_reference(doc, table_name, spec, path, ctx)
    elif kind == "array":
        _check_column_links(doc, table_name, table, name, spec.get("of"), join(path, "of"), ctx)
    elif kind == "object":
        for field, field_spec in spec.get("fields", {}).items():
            _check_column_links(doc, table_name, table, name, field_spec, join(join(path, "fields"), field), ctx)
    elif kind == "lookup":
        _check_lookup(doc, table, name, spec, path, ctx)
    elif kind == "mrz_td3":
        for field, column in spec["fields"].items():
            if column is not None and (column == name or column not in columns):
                ctx.add(join(join(path, "fields"), field), f"names unknown column {column!r}"
                        if column != name else "cannot name the mrz_td3 column itself")
    entry = registry.get(kind)
    if entry is not None and entry.check_links is not None:
        entry.check_links(doc, table_name, table, name, spec, path, ctx)
    for variant, vpath in variants:
        if variant["type"] == "template" and isinstance(variant.get("template"), str):
            _check_template(doc, table, name, variant, join(vpath, "template"), ctx)
        elif variant["type"] == "expression" and "result" not in variant:
            expression = analysis.expression_of(variant)
            for used in expression.names if expression else ():
                if used == name:
                    ctx.add(join(vpath, "expr"), "an expression cannot read its own column")
                elif used not in columns:
                    ctx.add(join(vpath, "expr"), f"names unknown column {used!r}")
        _check_reads(doc, table, name, variant, vpath, ctx)


def _read_texts(spec: dict, path: str) -> list[tuple[str, str]]:
    """(text, path) of every version 1.1 expression of a spec: its bound expressions and a typed `expr`."""
    texts = [(text, join(path, key)) for key, text in bounds.expression_bounds(spec).items()]
    if spec["type"] == "expression" and "result" in spec and isinstance(spec.get("expr"), str):
        texts.append((spec["expr"], join(path, "expr")))
    return texts


def _check_reads(doc: dict, table: dict, name: str, spec: dict, path: str, ctx: Context) -> None:
    """Columns and `ref.column`s read by version 1.1 expressions exist (their kinds are checked later)."""
    columns = table["columns"]
    for text, tpath in _read_texts(spec, path):
        try:
            expression = bounds.compiled(text)
        except ExpressionError:
            continue  # reported by normalisation
        for used in expression.names:
            if used == name:
                ctx.add(tpath, "cannot read its own column")
            elif used not in columns:
                ctx.add(tpath, f"names unknown column {used!r}")
        for ref_name, field in expression.refs:
            ref = columns.get(ref_name)
            if ref is None or ref["type"] != "reference":
                ctx.add(tpath, f"{ref_name}.{field}: {ref_name!r} is not a reference column of this table")
                continue
            parent = doc["tables"].get(ref.get("table"))
            if parent is not None and field not in parent["columns"]:
                ctx.add(tpath, f"{ref_name}.{field}: table {ref['table']!r} has no column {field!r}")


def _infer_kinds(doc: dict, order: list[str], ctx: Context) -> None:
    """The result kind of every version 1.1 expression (stored as the spec's `result`), and the kinds of bound
    expressions against their column; parents and the columns an expression reads come first."""
    for table_name in order:
        table = doc["tables"][table_name]
        columns = table["columns"]

        def kinds(name: str, field: str | None, table=table, columns=columns) -> str:
            if field is None:
                return analysis.column_kind(doc, table, name)
            return analysis.column_kind(doc, doc["tables"][columns[name]["table"]], field)

        for name in analysis.column_order(table_name, table):
            spec = columns[name]
            path = join(join(join("tables", table_name), "columns"), name)
            variants = [(spec, path)] + [({**spec, **clause["then"]}, f"{path}.when[{i}].then")
                                         for i, clause in enumerate(spec["when"])]
            for index, (variant, vpath) in enumerate(variants):
                for key, text in bounds.expression_bounds(variant).items():
                    try:
                        result = bounds.compiled(text).result_kind(kinds)
                    except ExpressionError as exc:
                        ctx.add(join(vpath, key), str(exc))
                        continue
                    problem = bounds.kind_problem(variant["type"], result)
                    if problem:
                        ctx.add(join(vpath, key), problem)
                if variant["type"] != "expression" or "result" not in variant:
                    continue
                try:
                    result = bounds.compiled(variant["expr"]).result_kind(kinds)
                except ExpressionError as exc:
                    ctx.add(join(vpath, "expr"), str(exc))
                    continue
                if index == 0:
                    spec["result"] = result
                elif result != spec["result"]:
                    ctx.add(vpath, f"makes {result} values where the column makes {spec['result']} values; a when "
                                   "clause cannot change the kind of a column's values")


def _check_reference(doc: dict, table_name: str, spec: dict, path: str, ctx: Context) -> None:
    parent_name = spec.get("table")
    if parent_name is None:
        return
    parent = doc["tables"].get(parent_name)
    if parent is None:
        ctx.add(path, f"references unknown table {parent_name!r}")
        return
    column = spec.get("column")
    if column is None:
        if parent["primary_key"] is None:
            ctx.add(path, f"table {parent_name!r} has no primary_key; name the referenced column")
        return
    target = parent["columns"].get(column)
    if target is None:
        ctx.add(join(path, "column"), f"table {parent_name!r} has no column {column!r}")
    elif not target.get("unique"):
        ctx.add(join(path, "column"), f"{parent_name}.{column} is neither the primary key nor unique")


def _check_lookup(doc: dict, table: dict, name: str, spec: dict, path: str, ctx: Context) -> None:
    ref_name = spec.get("reference")
    if ref_name is None:
        return
    ref = table["columns"].get(ref_name)
    if ref is None:
        ctx.add(join(path, "reference"), f"names unknown column {ref_name!r}")
        return
    if ref["type"] != "reference":
        ctx.add(join(path, "reference"), f"column {ref_name!r} is a {ref['type']}, not a reference")
        return
    parent = doc["tables"].get(ref.get("table"))
    if parent is not None and spec.get("column") is not None and spec["column"] not in parent["columns"]:
        ctx.add(join(path, "column"), f"table {ref['table']!r} has no column {spec['column']!r}")


def _check_template(doc: dict, table: dict, name: str, spec: dict, path: str, ctx: Context) -> None:
    try:
        template = parse_template(spec["template"])
    except TemplateError:
        return
    columns = table["columns"]
    for placeholder in template.placeholders:
        if placeholder.field is None:
            if placeholder.column == name:
                ctx.add(path, f"placeholder {{{placeholder.text}}} names the template's own column")
            elif placeholder.column not in columns:
                ctx.add(path, f"placeholder {{{placeholder.text}}} names unknown column {placeholder.column!r}")
            continue
        ref = columns.get(placeholder.column)
        if ref is None or ref["type"] != "reference":
            ctx.add(path, f"placeholder {{{placeholder.text}}}: {placeholder.column!r} is not a reference column "
                          "of this table")
            continue
        parent = doc["tables"].get(ref.get("table"))
        if parent is not None and placeholder.field not in parent["columns"]:
            ctx.add(path, f"placeholder {{{placeholder.text}}}: table {ref['table']!r} has no column "
                          f"{placeholder.field!r}")


def _check_kinds(doc: dict, table: dict, spec: dict, path: str, ctx: Context) -> None:
    """Expressions read numbers; condition values fit the column they test."""
    columns = table["columns"]
    variants = [(spec, path)] + [({**spec, **clause["then"]}, f"{path}.when[{i}].then")
                                 for i, clause in enumerate(spec["when"])]
    base_kind = analysis.kind_of(doc, spec)
    for variant, vpath in variants[1:]:
        # A column's values are one typed array: an override of another kind cannot be merged into it.
        kind = analysis.kind_of(doc, variant)
        if kind != base_kind:
            ctx.add(vpath, f"makes {kind} values where the column makes {base_kind} values; a when clause cannot "
                           "change the kind of a column's values")
    for variant, vpath in variants:
        if variant["type"] != "expression" or "result" in variant:
            continue
        expression = analysis.expression_of(variant)
        for used in expression.names if expression else ():
            kind = analysis.column_kind(doc, table, used)
            if kind not in analysis.NUMERIC_KINDS:
                ctx.add(join(vpath, "expr"), f"column {used!r} holds {kind} values, not numbers")
    for i, clause in enumerate(spec["when"]):
        condition = clause["if"]
        kind = analysis.column_kind(doc, table, condition["column"])
        values = condition["value"] if condition["op"] in ("in", "not_in") else [condition["value"]]
        vpath = f"{path}.when[{i}].if.value"
        if kind in ("json", "bool") and condition["op"] in ("<", "<=", ">", ">="):
            ctx.add(f"{path}.when[{i}].if.op", f"{condition['op']} cannot compare {kind} values")
            continue
        for value in values:
            problem = condition_value_problem(kind, value, columns[condition["column"]])
            if problem:
                ctx.add(vpath, problem)
                break


def condition_value_problem(kind: str, value: object, spec: dict) -> str | None:
    if value is None or kind == "json":
        return None
    if kind in ("int", "float", "number"):
        return None if type(value) in (int, float) else f"must be a number to compare with a {kind} column"
    if kind == "bool":
        return None if isinstance(value, bool) else "must be true or false to compare with a boolean column"
    if kind == "str":
        return None if isinstance(value, str) else "must be a string to compare with a string column"
    if not isinstance(value, str):
        return f"must be an ISO {kind} string to compare with a {kind} column"
    try:
        from datetime import UTC as utc

        reader = {"date": resolve_date, "datetime": resolve_datetime, "time": resolve_time}[kind]
        reader(value, analysis.default_reference_time(), utc)
    except TimeValueError as exc:
        return str(exc)
    return None
