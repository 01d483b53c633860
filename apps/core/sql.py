"""Prepared statements: hand-written, parameterised SQL for the few reads every API request makes.

Building and compiling a queryset costs the ORM about 1 ms of CPU per statement, ten times what PostgreSQL
takes to run one of these lookups, and an API request made five of them. A `Statement` holds its SQL text,
built once per process and database vendor from the models' own table and column names, and runs it with the
request's values as parameters (never formatted into the text); `load` turns a row into a model instance with
the converters the ORM would apply. Nothing is cached but the text: every request reads the rows it needs, so a
revoked token, a removed member or a withdrawn grant is seen by the next request on every worker.

The statements live beside the selectors they serve (tenants.selectors, datasets.selectors, the token
authentication), each with a test that it answers as the ORM query it replaces.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def as_int64(value) -> int | None:
    """The value as an integer a bigint column can compare, or None when it is not one (the caller answers as
    for a row that does not exist, as the ORM does for an out-of-range or malformed id)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.strip().lstrip("-").isdigit()) or len(value) > 25:
            return None
        value = int(value)
    if not isinstance(value, int) or not INT64_MIN <= value <= INT64_MAX:
        return None
    return value


class Names:
    """Quoted table and column names of models, for building a statement's text."""

    def __init__(self, connection):
        self.quote = connection.ops.quote_name

    def table(self, model) -> str:
        return self.quote(model._meta.db_table)

    def column(self, model, name: str, alias: str = "") -> str:
        column = self.quote(model._meta.get_field(name).column)
        return f"{alias}.{column}" if alias else column

    def columns(self, model, alias: str) -> str:
        """Every concrete column of the model, in field order (what `load` reads)."""
        return ", ".join(f"{alias}.{self.quote(field.column)}" for field in model._meta.concrete_fields)


class Statement:
    """One parameterised statement whose text `build(names)` makes once per process and database vendor."""

    def __init__(self, build: Callable[[Names], str]):
        self._build = build
        self._text: dict[str, str] = {}

    def text(self, connection) -> str:
        text = self._text.get(connection.vendor)
        if text is None:
            text = self._text[connection.vendor] = self._build(Names(connection))
        return text

    def rows(self, params: list, using: str = "default") -> list[tuple]:
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(self.text(connection), params)
            return cursor.fetchall()


_CONVERTERS: dict[tuple, list] = {}


def _converters(model, connection) -> list:
    key = (model, connection.alias, connection.vendor)
    found = _CONVERTERS.get(key)
    if found is None:
        found = []
        for field in model._meta.concrete_fields:
            column = field.get_col(model._meta.db_table)
            found.append((connection.ops.get_db_converters(column) + column.get_db_converters(connection), column))
        _CONVERTERS[key] = found
    return found


def width(model) -> int:
    return len(model._meta.concrete_fields)


_COLUMN_CONVERTERS: dict[tuple, list] = {}


def convert(model, names: tuple[str, ...], values, using: str = "default") -> dict:
    """A row of the named columns (in that order) as a dict of converted values, as `.values(*names)` gives."""
    connection = connections[using]
    key = (model, names, connection.alias, connection.vendor)
    chosen = _COLUMN_CONVERTERS.get(key)
    if chosen is None:
        every = _converters(model, connection)
        positions = [model._meta.concrete_fields.index(model._meta.get_field(name)) for name in names]
        chosen = _COLUMN_CONVERTERS[key] = [every[position] for position in positions]
    out = {}
    for name, value, (converters, column) in zip(names, values, chosen, strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        out[name] = value
    return out


def load(model, values, using: str = "default"):
    """A model instance from a row of `Names.columns(model, ...)`, converted as the ORM converts it."""
    connection = connections[using]
    converted = []
    for value, (converters, column) in zip(values, _converters(model, connection), strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(using, [field.attname for field in model._meta.concrete_fields], converted)
