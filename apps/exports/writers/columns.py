"""Typed table schemas derived from a normalised dataset document.

Every writer needs to know, per column, what kind of value it holds (to pick a Parquet or SQL type, to
decide whether a CSV cell is text that a spreadsheet could run as a formula), whether it can be null,
and which columns are keys. The document only says how values are *generated*; this module turns that
into the logical type of the values that come out.

Logical kinds: integer, float, boolean, string, date, datetime, time, uuid, array (with an `item`
field) and object (with `fields`).

`expression` columns are integer only when integer arithmetic provably keeps them integer: all inputs
are integer (or boolean) columns or integer literals and the operators are `+ - * // %`, unary signs,
`abs() min() max()` of integers or `round(x)` with one argument. `/` and `**` make them float (the
engine keeps `**` integer only when each result fits, which depends on the data), and so does anything
that cannot be analysed. A float column may still receive whole numbers, which every format accepts.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

from apps.generation.engine.types import registry

INTEGER = "integer"
FLOAT = "float"
BOOLEAN = "boolean"
STRING = "string"
DATE = "date"
DATETIME = "datetime"
TIME = "time"
UUID = "uuid"
ARRAY = "array"
OBJECT = "object"
SCALAR_KINDS = frozenset({INTEGER, FLOAT, BOOLEAN, STRING, DATE, DATETIME, TIME, UUID})

# Value kinds of version 1.1 expressions and the logical type they are written as.
_RESULT_KINDS = {"int": INTEGER, "float": FLOAT, "bool": BOOLEAN, "date": DATE, "datetime": DATETIME}
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_][a-z0-9_]*)(?:\.([a-z_][a-z0-9_]*))?\}")


@dataclass(frozen=True)
class Field:
    """A named, typed slot: an object's field or an array's item."""

    name: str
    type: LogicalType
    nullable: bool = True


@dataclass(frozen=True)
class LogicalType:
    kind: str
    item: Field | None = None  # arrays: the type of their elements
    fields: tuple[Field, ...] = ()  # objects: their fields, in document order

    def __str__(self) -> str:
        if self.kind == ARRAY:
            return f"array<{self.item.type}>"
        if self.kind == OBJECT:
            return "object<" + ", ".join(f"{field.name}: {field.type}" for field in self.fields) + ">"
        return self.kind

    @property
    def is_nested(self) -> bool:
        return self.kind in (ARRAY, OBJECT)

    def contains(self, kind: str) -> bool:
        """Whether this type is `kind` or holds it anywhere inside."""
        if self.kind == kind:
            return True
        if self.item is not None and self.item.type.contains(kind):
            return True
        return any(field.type.contains(kind) for field in self.fields)


@dataclass(frozen=True)
class ForeignKey:
    table: str
    column: str


@dataclass(frozen=True)
class Column:
    name: str
    type: LogicalType
    nullable: bool
    primary_key: bool = False
    foreign_key: ForeignKey | None = None
    pii: bool = False


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    primary_key: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def scalar(kind: str) -> LogicalType:
    if kind not in SCALAR_KINDS:
        raise ValueError(f"{kind!r} is not a scalar kind")
    return LogicalType(kind)


def array_of(item: LogicalType, *, nullable: bool = True) -> LogicalType:
    return LogicalType(ARRAY, item=Field("item", item, nullable))


def object_of(*fields: Field) -> LogicalType:
    return LogicalType(OBJECT, fields=tuple(fields))


# ----------------------------------------------------------------------------- public entry points
def table_schema(doc: Mapping, table: str) -> TableSchema:
    """The typed schema of one table of a normalised document, columns in document order."""
    tables = doc["tables"]
    if table not in tables:
        raise KeyError(f"the document has no table {table!r}")
    spec = tables[table]
    primary_key = spec.get("primary_key")
    resolver = _Resolver(doc)
    columns = []
    for name, column_spec in spec["columns"].items():
        is_key = name == primary_key
        foreign_key = None
        if column_spec["type"] == "reference":
            parent = column_spec["table"]
            foreign_key = ForeignKey(parent, column_spec.get("column") or tables[parent]["primary_key"])
        columns.append(Column(
            name=name,
            type=resolver.column_type(table, name),
            nullable=not is_key and resolver.column_nullable(table, name),
            primary_key=is_key,
            foreign_key=foreign_key,
            pii=bool(column_spec.get("pii", False)),
        ))
    return TableSchema(table, tuple(columns), primary_key)


def table_order(doc: Mapping) -> list[str]:
    """Table names with every referenced table before the tables that reference it.

    Ties keep document order, so the order is stable. A table referencing itself does not constrain
    it; a cycle between different tables is an error (the schema language rejects those documents).
    """
    tables = doc["tables"]
    parents = {name: _referenced_tables(spec["columns"].values()) - {name} for name, spec in tables.items()}
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(tables):
        ready = [name for name in tables if name not in placed and parents[name] <= placed]
        if not ready:
            stuck = sorted(name for name in tables if name not in placed)
            raise ValueError(f"tables reference each other in a cycle: {', '.join(stuck)}")
        ordered.append(ready[0])
        placed.add(ready[0])
    return ordered


def _referenced_tables(specs) -> set[str]:
    found: set[str] = set()
    for spec in specs:
        if spec is None:
            continue
        if spec["type"] == "reference":
            found.add(spec["table"])
        elif spec["type"] == "array":
            found |= _referenced_tables([spec["of"]])
        elif spec["type"] == "object":
            found |= _referenced_tables(spec["fields"].values())
    return found


# ----------------------------------------------------------------------------- type resolution
class _Resolver:
    """Resolves types and nullability of top-level columns, following references and lookups.

    Column types can depend on other columns (a reference takes its parent key's type, a lookup the
    looked-up column's, an expression its inputs'), so results are memoised and cycles are cut.
    """

    def __init__(self, doc: Mapping):
        self.tables = doc["tables"]
        self._types: dict[tuple[str, str], LogicalType] = {}
        self._nullable: dict[tuple[str, str], bool] = {}
        self._visiting: set[tuple[str, str, str]] = set()

    def _spec(self, table: str, column: str) -> Mapping:
        try:
            return self.tables[table]["columns"][column]
        except KeyError:
            raise KeyError(f"unknown column {table}.{column}") from None

    def _guarded(self, what: str, table: str, column: str, compute, on_cycle):
        key = (what, table, column)
        if key in self._visiting:
            return on_cycle
        self._visiting.add(key)
        try:
            return compute()
        finally:
            self._visiting.discard(key)

    # -- types
    def column_type(self, table: str, column: str) -> LogicalType:
        key = (table, column)
        if key not in self._types:
            spec = self._spec(table, column)
            # A column whose type depends on itself can only be text; the schema language rejects it.
            result = self._guarded("type", table, column, lambda: self.spec_type(table, spec), LogicalType(STRING))
            self._types[key] = result
        return self._types[key]

    def spec_type(self, table: str, spec: Mapping) -> LogicalType:
        kind = spec["type"]
        entry = registry.get(kind)
        if entry is not None and entry.export_kind is not None:
            return LogicalType(entry.export_kind)
        if entry is not None and entry.spec_kind is not None:
            return LogicalType(_RESULT_KINDS.get(entry.spec_kind(spec), STRING))
        if kind == "choice":
            values = list(spec["values"])
            for clause in spec.get("when") or ():
                values.extend(clause["then"].get("values") or ())
            return _type_of_values(values)
        if kind == "constant":
            values = [spec["value"]] + [c["then"]["value"] for c in spec.get("when") or () if "value" in c["then"]]
            return _unify([_type_of_value(value) for value in values])
        if kind == "reference":
            parent = spec["table"]
            return self.column_type(parent, spec.get("column") or self.tables[parent]["primary_key"])
        if kind == "lookup":
            reference = self._spec(table, spec["reference"])
            return self.column_type(reference["table"], spec["column"])
        if kind == "expression":
            if spec.get("result"):  # version 1.1: the engine worked the kind out when it validated the document
                return LogicalType(_RESULT_KINDS[spec["result"]])
            return LogicalType(_expression_kind(spec["expr"], lambda name: self.column_type(table, name).kind))
        if kind == "array":
            item = spec["of"]
            return array_of(self.spec_type(table, item), nullable=self._spec_nullable(table, item))
        if kind == "object":
            return object_of(*(Field(name, self.spec_type(table, field), self._spec_nullable(table, field))
                               for name, field in spec["fields"].items()))
        raise ValueError(f"unknown column type {kind!r}")

    # -- nullability
    def column_nullable(self, table: str, column: str) -> bool:
        key = (table, column)
        if key not in self._nullable:
            spec = self._spec(table, column)
            self._nullable[key] = self._guarded("null", table, column, lambda: self._spec_nullable(table, spec), True)
        return self._nullable[key]

    def _spec_nullable(self, table: str, spec: Mapping) -> bool:
        if _may_be_null(spec):
            return True
        kind = spec["type"]
        entry = registry.get(kind)
        if entry is not None and entry.always_valued:  # null only through null_ratio, checked above
            return False
        if kind == "choice":
            return any(value is None for value in spec["values"])
        if kind == "constant":
            return spec["value"] is None
        if kind == "lookup":
            reference = self._spec(table, spec["reference"])
            return self.column_nullable(table, spec["reference"]) or self.column_nullable(
                reference["table"], spec["column"])
        if kind == "template":
            return any(self._placeholder_nullable(table, column, field)
                       for column, field in _PLACEHOLDER.findall(spec.get("template") or ""))
        # Expressions turn undefined results (division by zero, overflow) into null, and Faker
        # providers may return None: neither can be promised non-null.
        return True

    def _placeholder_nullable(self, table: str, column: str, field: str) -> bool:
        columns = self.tables[table]["columns"]
        if column not in columns:
            return True
        if not field:
            return self.column_nullable(table, column)
        reference = columns[column]
        if reference["type"] != "reference" or field not in self.tables[reference["table"]]["columns"]:
            return True
        return self.column_nullable(table, column) or self.column_nullable(reference["table"], field)


def _may_be_null(spec: Mapping) -> bool:
    """Whether null_ratio makes a column null in some rows, including through a `when` override."""
    if spec.get("null_ratio") or 0:
        return True
    return any((clause["then"].get("null_ratio") or 0) > 0 for clause in spec.get("when") or ())


# ----------------------------------------------------------------------------- value-based typing
def _type_of_values(values: list) -> LogicalType:
    present = [value for value in values if value is not None]
    if not present:
        return LogicalType(STRING)
    if all(isinstance(value, bool) for value in present):
        return LogicalType(BOOLEAN)
    if any(isinstance(value, bool) for value in present):
        return LogicalType(STRING)
    if all(isinstance(value, int) for value in present):
        return LogicalType(INTEGER)
    if all(isinstance(value, int | float) for value in present):
        return LogicalType(FLOAT)
    return LogicalType(STRING)


def _type_of_value(value: object) -> LogicalType:
    if isinstance(value, list):
        present = [item for item in value if item is not None]
        item_type = _unify([_type_of_value(item) for item in present]) if present else LogicalType(STRING)
        return array_of(item_type, nullable=len(present) < len(value))
    if isinstance(value, Mapping):
        return object_of(*(Field(str(name), _type_of_value(item), item is None) for name, item in value.items()))
    if value is None or isinstance(value, str):
        return LogicalType(STRING)
    return _type_of_values([value])


def _unify(types: list[LogicalType]) -> LogicalType:
    """The one type that can hold values of every given type (text when nothing narrower can)."""
    first = types[0]
    if all(t == first for t in types):
        return first
    if {t.kind for t in types} <= {INTEGER, FLOAT}:
        return LogicalType(FLOAT)
    return LogicalType(STRING)


# ----------------------------------------------------------------------------- expressions
def _expression_kind(expr: str, column_kind) -> str:
    try:
        tree = ast.parse(expr.strip(), mode="eval").body
        return INTEGER if _integral(tree, column_kind) else FLOAT
    except (SyntaxError, ValueError, KeyError, RecursionError):
        return FLOAT


def _integral(node: ast.AST, column_kind) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int)
    if isinstance(node, ast.Name):
        # The engine evaluates boolean columns as 0/1 integers.
        return column_kind(node.id) in (INTEGER, BOOLEAN)
    if isinstance(node, ast.UnaryOp):
        return _integral(node.operand, column_kind)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Div | ast.Pow):
            return False
        return _integral(node.left, column_kind) and _integral(node.right, column_kind)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "round":
            return len(node.args) == 1 or _integral(node.args[0], column_kind)
        if node.func.id in ("abs", "min", "max"):
            return all(_integral(arg, column_kind) for arg in node.args)
    return False
