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
        if not (value.isascii() and value.strip().removeprefix("-").isdigit()) or len(value) > 25:
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

    def text_of(self, names: Names) -> str:
        """The text for these names (another statement's text built around this one)."""
        return self._build(names)

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


class IdPageStatements:
    """The statements of a list read in `id` order: `build(names)` gives the text up to its WHERE conditions
    (the last one without a trailing AND) and `id_column(names)` the id it is ordered by; each statement adds the
    cursor's comparison, the order and `LIMIT %s OFFSET %s`. One per direction and comparison, each built once
    per process."""

    def __init__(self, build: Callable[[Names], str], id_column: Callable[[Names], str]):
        def statement(descending: bool, op: str) -> Statement:
            def text(names: Names) -> str:
                position = f" AND {id_column(names)} {op} %s" if op else ""
                return (f"{build(names)}{position} ORDER BY {id_column(names)} {'DESC' if descending else 'ASC'} "
                        "LIMIT %s OFFSET %s")

            return Statement(text)

        self._statements = {(descending, op): statement(descending, op)
                            for descending in (False, True) for op in ("", ">", "<")}

    def __getitem__(self, key: tuple[bool, str]) -> Statement:
        return self._statements[key]


class PreparedIdPage:
    """A list's rows read as `CursorPagination` reads a queryset ordered by `id` (order_by id or -id, filter
    id__gt/__lt on the cursor's position, one slice), with one prepared statement of `statements` and `params`
    (the list's own values, before the position, the limit and the offset). `row(values)` turns a fetched row into
    the dict `.values()` would give."""

    def __init__(self, *, model, statements: IdPageStatements, params: list, row: Callable[[tuple], dict]):
        self.model = model
        self._statements, self._params, self._row = statements, params, row
        self._descending, self._op, self._position = False, "", None

    def _copy(self, **changes):
        copy = PreparedIdPage(model=self.model, statements=self._statements, params=self._params, row=self._row)
        copy._descending, copy._op, copy._position = self._descending, self._op, self._position
        for name, value in changes.items():
            setattr(copy, name, value)
        return copy

    def order_by(self, *fields):
        if fields not in (("id",), ("-id",)):
            raise TypeError(f"this list is read in id order, not {fields}")
        return self._copy(_descending=fields[0] == "-id")

    def filter(self, **lookups):
        ((name, value),) = lookups.items()
        ops = {"id__gt": ">", "id__lt": "<"}
        if name not in ops:
            raise TypeError(f"this list filters on id__gt/__lt, not {name}")
        position = int(value)  # the paginator's cleaned position: an integer's text
        # Beyond a bigint nothing is greater (or everything is less): the nearest bigint answers the same.
        return self._copy(_op=ops[name], _position=max(min(position, INT64_MAX), INT64_MIN))

    def __getitem__(self, window):
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("a list page is read as one slice")
        start, stop = window.start or 0, window.stop
        params = [*self._params, *([self._position] if self._op else []), max(stop - start, 0), start]
        return [self._row(values) for values in self._statements[self._descending, self._op].rows(params)]
