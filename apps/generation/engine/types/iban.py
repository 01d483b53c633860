"""Column type `iban`: IBANs with valid check digits, of a country.

Version 1.1: `invalid_ratio`, a share of rows with a wrong check digit (see invalid_values)."""

from __future__ import annotations

from .. import leaves
from ..column_types import (
    join,
    read_str,
)
from ._check_digits import invalid_ratio_key, with_invalid
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    country = read_str(raw, "country", path, ctx, None)
    if country is not None:
        countries = leaves.domain().IBAN_COUNTRIES
        if country.upper() not in countries:
            ctx.add(join(path, "country"), f"unknown IBAN country {country!r} (expected one of "
                                           f"{', '.join(sorted(countries))})")
        country = country.upper()
    return {"country": country, **invalid_ratio_key(raw, path, ctx)}


def sample(spec, env):
    return with_invalid("iban", spec, env, leaves.domain().iban(env.rng("values"), env.n, country=spec["country"]))


ENTRY = ColumnType(
    name="iban",
    keys=("country", "invalid_ratio"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=34,
    quoted=True,
    export_kind="string",
    always_valued=True,
    no_unique="iban values are random and cannot be guaranteed unique",
)
