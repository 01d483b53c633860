"""Column type `national_id` (version 1.1): national identification numbers of a scheme, each passing the
scheme's check (engine/national_ids.py).

Keys: `scheme` (one of national_ids.SCHEMES, required); `birth_date`, a date column of the row the number
agrees with, and `sex`, a column of F/M values the number agrees with (schemes that encode them: fr_nir,
it_codice_fiscale, se_personnummer, fi_hetu, dk_cpr); `invalid_ratio`, a share of rows with a wrong check
digit or letter; `unique: true` numbers the free part by a permutation of the row index.
"""

from __future__ import annotations

import numpy as np

from .. import analysis
from .. import national_ids as ids
from ..column_types import describe, join, read_str
from ..errors import GenerationError
from ..randomness import permute
from ..values import to_pylist
from ._check_digits import read_invalid_ratio, with_invalid
from .base import ColumnType
from .vin import listed_values

_DATE_SCHEMES = ", ".join(s for s in ids.SCHEMES if s in ids.DATE_SCHEMES)


def normalise(raw, path, ctx, nested):
    if ctx.version < 1.1:
        ctx.add(join(path, "type"), "the national_id type needs `version: 1.1`")
    scheme = read_str(raw, "scheme", path, ctx, None, required=True)
    if scheme is not None and scheme not in ids.SCHEMES:
        ctx.add(join(path, "scheme"), f"unknown scheme {scheme!r} (expected one of {', '.join(ids.SCHEMES)})")
        scheme = None
    columns = {}
    for key, what in (("birth_date", "a birth date"), ("sex", "the sex")):
        value = raw.get(key)
        if value is not None and not (isinstance(value, str) and value.strip()):
            ctx.add(join(path, key), f"must be a column name, got {describe(value)}")
            value = None
        if value is not None and scheme is not None and scheme not in ids.DATE_SCHEMES:
            ctx.add(join(path, key), f"{scheme} numbers do not encode {what} (only {_DATE_SCHEMES} do)")
            value = None
        columns[key] = value
    if nested and (columns["birth_date"] or columns["sex"]):
        ctx.add(path, "a national_id that reads a birth date or sex column cannot be nested in an array or object")
    return {"scheme": scheme, **columns, "invalid_ratio": read_invalid_ratio(raw, path, ctx)}


def reads(spec, columns, name):
    return [spec[key] for key in ("birth_date", "sex") if spec.get(key)]


def check_links(doc, table_name, table, name, spec, path, ctx):
    columns = table["columns"]
    for key, kind in (("birth_date", "date"), ("sex", "str")):
        column = spec.get(key)
        if not column:
            continue
        if column == name:
            ctx.add(join(path, key), "cannot name the national_id column itself")
        elif column not in columns:
            ctx.add(join(path, key), f"names unknown column {column!r}")
        elif (found := analysis.column_kind(doc, table, column)) != kind:
            ctx.add(join(path, key), f"column {column!r} holds {found} values; a {key} column holds "
                                     f"{'dates' if kind == 'date' else 'strings (F or M)'}")
        elif key == "sex":
            unknown = [v for v in listed_values(doc, table, column) or [] if v is not None and ids.sex_of(v) < 0]
            if unknown:
                ctx.add(join(path, key), f"column {column!r} can hold values that are no sex: "
                                         f"{', '.join(map(str, unknown[:5]))} (F, M, female, male, ...)")


def _row_error(env, key: str, position: int, message: str) -> GenerationError:
    return GenerationError(f"tables.{env.table.name}.columns.{env.path}.{key}: row {int(env.rows[position])}: "
                           f"{message}")


def _birth_dates(spec, env) -> np.ndarray | None:
    if not spec.get("birth_date"):
        return None
    col = env.ctx.get(spec["birth_date"])
    days = col.values.astype("datetime64[D]")
    missing = col.null_mask()
    if missing.any():  # a null birth date: the number carries a drawn one
        days = np.where(missing, ids.drawn_dates(env.rng("birth_dates"), env.n), days)
    return days


def _sexes(spec, env) -> np.ndarray | None:
    if not spec.get("sex"):
        return None
    values = to_pylist(env.ctx.get(spec["sex"]))
    known: dict = {}
    codes = np.array([-2 if v is None else known.setdefault(v, ids.sex_of(v)) for v in values], dtype=np.int64)
    bad = np.flatnonzero(codes == -1)
    if len(bad):
        raise _row_error(env, "sex", bad[0], f"{values[bad[0]]!r} is no sex (F, M, female, male, ...)")
    drawn = env.rng("sexes").random(env.n) < 0.5  # a null sex: the number carries a drawn one
    return np.where(codes < 0, drawn, codes == 1)


def sample(spec, env):
    scheme = spec["scheme"]
    days, female = _birth_dates(spec, env), _sexes(spec, env)
    domain = ids.domain_size(scheme, date_given=days is not None, sex_given=female is not None)
    if spec.get("unique"):
        index = permute(env.rows, domain, env.key("unique"))
    else:
        index = env.rng("values").integers(0, domain, env.n, dtype=np.int64)
    try:
        values = ids.numbers(scheme, index, days, female)
    except ValueError as exc:
        raise _row_error(env, "birth_date", getattr(exc, "row", 0), str(exc)) from exc
    return with_invalid(f"national_id:{scheme}", spec, env, values)


ENTRY = ColumnType(
    name="national_id",
    keys=("scheme", "birth_date", "sex", "invalid_ratio"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=ids.TEXT_CHARS,
    quoted=True,
    structural_keys=("scheme", "birth_date", "sex"),
    export_kind="string",
    always_valued=True,
    reads=reads,
    check_links=check_links,
)
