"""The registry entry of a column type: everything the engine needs to know about one type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ColumnType:
    """One column type of the schema language (one module of this package declares one, as `ENTRY`).

    name: the `type` of a column spec.
    keys: the keys the type takes besides the common ones (type, null_ratio, unique, when, pii, description);
        a `when` clause may override any of them except `structural_keys`.
    normalise: (raw spec, path, Context, nesting depth) -> the type's keys with every default filled in,
        appending a Problem to the context for everything wrong (column_types.normalise_column calls it).
    sample: (normalised spec, Env) -> Col, the values of the env's rows (generators.sample_values calls it).
        Draws must come from env.rng(...) so values do not depend on how rows are chunked.
    value_kind: the kind of value every column of the type holds (int, float, number, bool, str, date,
        datetime, time, json), or None when it depends on the spec (choice, constant, faker, reference,
        lookup: analysis.kind_of works it out).
    no_unique: why `unique: true` is refused for the type, or None when the type can be unique
        (analysis.unique_domain then says how many distinct values a spec can take).
    text_chars: the most characters a value's text can have when that is fixed by the type (costs.Sizer),
        None when it follows from the spec's parameters.
    quoted: the value's JSON form is a string (two more characters than its text).
    row_bound: values read other columns of the row or its place in the table, so the type cannot be
        an array item or an object field.
    structural_keys: keys that say what the column is (not how values are drawn); `when` cannot override them.
    export_kind: the logical type writers give the column (integer, float, boolean, string, date, datetime,
        time, uuid), None when it depends on the spec.
    always_valued: the generator never yields null by itself (only null_ratio or when clauses do).
    reads: (normalised spec, the table's columns, the column's name) -> names of other columns of the row the
        values read, so they are generated first (analysis.column_dependencies); None when it reads none this way.
    check_links: (doc, table name, table, column name, spec, path, Context) -> None: checks that need the
        whole document (the columns a spec names exist and hold the right kind); None when there are none.
    spec_kind: for a type whose value kind depends on its spec (value_kind None) and that the engine does not
        special-case: (normalised spec) -> kind. Writers derive the logical type from it.
    spec_size: likewise for the row-size bound: (normalised spec) -> (most characters of a value's text,
        whether its JSON is quoted).
    """

    name: str
    keys: tuple[str, ...]
    normalise: Callable
    sample: Callable
    value_kind: str | None = None
    no_unique: str | None = None
    text_chars: int | None = None
    quoted: bool = False
    row_bound: bool = False
    structural_keys: tuple[str, ...] = ()
    export_kind: str | None = None
    always_valued: bool = False
    reads: Callable | None = None
    check_links: Callable | None = None
    spec_kind: Callable | None = None
    spec_size: Callable | None = None
