"""Column type `sequence`: consecutive integers start, start+step, ... from the row index."""

from __future__ import annotations

import numpy as np

from ..column_types import (
    INT_LIMIT,
    read_int,
)
from ..values import Col
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    return {"start": read_int(raw, "start", path, ctx, 1, minimum=-INT_LIMIT, maximum=INT_LIMIT),
            "step": read_int(raw, "step", path, ctx, 1, minimum=-INT_LIMIT, maximum=INT_LIMIT)}


def sample(spec, env):
    return Col("int", spec["start"] + env.rows.astype(np.int64) * spec["step"])


ENTRY = ColumnType(
    name="sequence",
    keys=("start", "step"),
    normalise=normalise,
    sample=sample,
    value_kind="int",
    text_chars=20,
    export_kind="integer",
    always_valued=True,
)
