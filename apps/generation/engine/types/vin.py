"""Column type `vin`: 17-character vehicle identification numbers with a valid check digit.

Version 1.1 keys: `make` and `year` (each a literal or the name of a column of the row) fix the world
manufacturer identifier and the model-year code; `invalid_ratio` gives a share of rows a wrong check
digit; `unique: true` numbers the serial part by a permutation of the row index.
"""

from __future__ import annotations

import numpy as np

from .. import analysis, leaves
from .. import vin as vins
from ..column_types import describe, is_int, join
from ..errors import GenerationError
from ..values import Col, object_array, to_pylist
from ._check_digits import read_invalid_ratio, with_invalid
from .base import ColumnType

_V11_KEYS = ("make", "year", "invalid_ratio")


def normalise(raw, path, ctx, nested):
    if ctx.version < 1.1:
        for key in _V11_KEYS:
            if key in raw:
                ctx.add(join(path, key), "needs version: 1.1")
        return {}  # version 1 specs keep their normalised form
    make = raw.get("make")
    if make is not None and not (isinstance(make, str) and make.strip()):
        ctx.add(join(path, "make"), f"must be a make or a column name, got {describe(make)}")
        make = None
    year = raw.get("year")
    if year is not None:
        if is_int(year):
            if not vins.FIRST_MODEL_YEAR <= year <= vins.LAST_MODEL_YEAR:
                ctx.add(join(path, "year"), f"must be a model year from {vins.FIRST_MODEL_YEAR} to "
                                            f"{vins.LAST_MODEL_YEAR}, got {year}")
                year = None
        elif not (isinstance(year, str) and year.strip()):
            ctx.add(join(path, "year"), f"must be a model year or a column name, got {describe(year)}")
            year = None
    if nested and (isinstance(year, str) or (make is not None and vins.make_index(make) < 0)):
        ctx.add(path, "a vin that reads its make or year from a column cannot be nested in an array or object")
    return {"make": make, "year": year, "invalid_ratio": read_invalid_ratio(raw, path, ctx)}


def _column_names(spec, columns) -> list[str]:
    """The make and year keys that name columns: a `make` that is a column of the table is read from it
    (a column wins over a make of the same name), any other string is a make."""
    names = []
    if isinstance(spec.get("make"), str) and spec["make"] in columns:
        names.append(spec["make"])
    if isinstance(spec.get("year"), str):
        names.append(spec["year"])
    return names


def reads(spec, columns, name):
    return _column_names(spec, columns)


def listed_values(doc, table, name, depth=0):
    """The values a column can hold when the document lists them (choice, constant, lookup of one)."""
    spec = table["columns"].get(name)
    if spec is None or depth > 10:
        return None
    if spec["type"] == "choice":
        values = list(spec["values"])
        for clause in spec.get("when", []):
            values += clause["then"].get("values", [])
        return values
    if spec["type"] == "constant":
        return [spec["value"]]
    if spec["type"] == "lookup":
        ref = table["columns"].get(spec["reference"])
        parent = doc["tables"].get(ref.get("table")) if ref else None
        return listed_values(doc, parent, spec["column"], depth + 1) if parent else None
    return None


def check_links(doc, table_name, table, name, spec, path, ctx):
    if "make" not in spec:
        return
    columns = table["columns"]
    make, year = spec["make"], spec["year"]
    if isinstance(make, str):
        if make == name:
            ctx.add(join(path, "make"), "cannot name the vin column itself")
        elif make in columns:
            kind = analysis.column_kind(doc, table, make)
            if kind != "str":
                ctx.add(join(path, "make"), f"column {make!r} holds {kind} values; a make column holds strings")
            unknown = [v for v in listed_values(doc, table, make) or [] if vins.make_index(v) < 0]
            if unknown:
                ctx.add(join(path, "make"), f"column {make!r} can hold makes the VIN table does not know: "
                                            f"{', '.join(map(str, unknown[:5]))}")
        elif vins.make_index(make) < 0:
            ctx.add(join(path, "make"), f"{make!r} is neither a column of the table nor a make the VIN table "
                                        f"knows ({len(vins.MAKES)} makes, e.g. {', '.join(vins.MAKES[:4])})")
    if isinstance(year, str):
        if year == name:
            ctx.add(join(path, "year"), "cannot name the vin column itself")
        elif year not in columns:
            ctx.add(join(path, "year"), f"names unknown column {year!r}")
        else:
            kind = analysis.column_kind(doc, table, year)
            if kind != "int":
                ctx.add(join(path, "year"), f"column {year!r} holds {kind} values; a year column holds integers")


def _row_error(env, key: str, position: int, message: str) -> GenerationError:
    return GenerationError(f"tables.{env.table.name}.columns.{env.path}.{key}: row {int(env.rows[position])}: "
                           f"{message}")


def _makes(spec, env) -> np.ndarray:
    make = spec["make"]
    if make is None:
        return np.asarray(env.rng("makes").integers(0, len(vins.MAKES), env.n), dtype=np.int64)
    if make not in env.table.columns:
        return np.full(env.n, vins.make_index(make), dtype=np.int64)
    values = to_pylist(env.ctx.get(make))
    indices = vins.make_indices(np.asarray(values, dtype=object))
    bad = np.flatnonzero(indices < 0)
    if len(bad):
        raise _row_error(env, "make", bad[0], f"the VIN table knows no make {values[bad[0]]!r}")
    return indices


def _years(spec, env) -> np.ndarray:
    year = spec["year"]
    if year is None:
        return env.rng("years").integers(vins.FIRST_MODEL_YEAR, 2026, env.n)
    if isinstance(year, int):
        return np.full(env.n, year, dtype=np.int64)
    col = env.ctx.get(year)
    values = col.values.astype(np.int64, copy=False) if col.kind == "int" else np.zeros(env.n, dtype=np.int64)
    missing = col.nulls if col.nulls is not None else np.zeros(env.n, dtype=bool)
    outside = missing | (values < vins.FIRST_MODEL_YEAR) | (values > vins.LAST_MODEL_YEAR)
    bad = np.flatnonzero(outside)
    if len(bad):
        shown = "null" if missing[bad[0]] else int(values[bad[0]])
        raise _row_error(env, "year", bad[0], f"model year {shown} is outside {vins.FIRST_MODEL_YEAR}-"
                                              f"{vins.LAST_MODEL_YEAR}")
    return values


def sample(spec, env):
    if "make" not in spec:  # version 1
        return Col("str", object_array(leaves.domain().vin(env.rng("values"), env.n)))
    makes, years = _makes(spec, env), _years(spec, env)
    serial = vins.serials(env.rows, env.key("unique")) if spec.get("unique") else None
    values = vins.vins(env.rng("values"), makes, years, serial)
    return with_invalid("vin", spec, env, values)


ENTRY = ColumnType(
    name="vin",
    keys=_V11_KEYS,
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=17,
    quoted=True,
    export_kind="string",
    always_valued=True,
    reads=reads,
    check_links=check_links,
)
