"""Column type `boolean`: true with probability `probability`."""

from __future__ import annotations

from ..column_types import (
    read_number,
)
from ..values import Col
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    return {"probability": read_number(raw, "probability", path, ctx, 0.5, minimum=0, maximum=1)}


def sample(spec, env):
    return Col("bool", env.rng("values").random(env.n) < spec["probability"])


ENTRY = ColumnType(
    name="boolean",
    keys=("probability",),
    normalise=normalise,
    sample=sample,
    value_kind="bool",
    text_chars=5,
    export_kind="boolean",
    always_valued=True,
)
