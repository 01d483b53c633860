"""Column type `credit_card`: card numbers with a valid Luhn digit, of a brand.

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
    brand = read_str(raw, "brand", path, ctx, None)
    if brand is not None:
        brands = leaves.domain().CREDIT_CARD_BRANDS
        if brand.lower() not in brands:
            ctx.add(join(path, "brand"), f"unknown credit card brand {brand!r} (expected one of "
                                         f"{', '.join(sorted(brands))})")
        brand = brand.lower()
    return {"brand": brand, **invalid_ratio_key(raw, path, ctx)}


def sample(spec, env):
    values = leaves.domain().credit_card(env.rng("values"), env.n, brand=spec["brand"])
    return with_invalid("credit_card", spec, env, values)


ENTRY = ColumnType(
    name="credit_card",
    keys=("brand", "invalid_ratio"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=19,
    quoted=True,
    export_kind="string",
    always_valued=True,
    no_unique="credit_card values are random and cannot be guaranteed unique",
)
