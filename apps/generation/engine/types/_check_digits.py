"""`invalid_ratio` (version 1.1) of the types whose values carry check digits: vin, credit_card, iban,
mrz_td3. See invalid_values for which check digit each type gets wrong."""

from __future__ import annotations

from ..column_types import join, read_number
from ..invalid_values import break_check_digits, invalid_rows
from ..values import Col, object_array


def read_invalid_ratio(raw, path, ctx) -> float:
    """The share of rows with a wrong check digit (0 when absent); the key needs version 1.1."""
    if "invalid_ratio" in raw and ctx.version < 1.1:
        ctx.add(join(path, "invalid_ratio"), "needs version: 1.1")
        return 0.0
    return read_number(raw, "invalid_ratio", path, ctx, 0.0, minimum=0, maximum=1)


def invalid_ratio_key(raw, path, ctx) -> dict:
    """`{"invalid_ratio": share}` for a version 1.1 spec; nothing for version 1, whose normalised form (and so
    its hash and bytes) must not change (the key itself is refused there)."""
    ratio = read_invalid_ratio(raw, path, ctx)
    return {} if ctx.version < 1.1 else {"invalid_ratio": ratio}


def with_invalid(kind: str, spec: dict, env, values: list) -> Col:
    """The column of `values`, with the check digit made wrong on the spec's share of rows."""
    ratio = spec.get("invalid_ratio", 0.0)
    if ratio > 0:
        key = env.key("invalid")
        values = break_check_digits(kind, values, key, env.rows, invalid_rows(key, env.rows, ratio))
    return Col("str", object_array(values))
