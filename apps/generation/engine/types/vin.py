"""Column type `vin`: 17-character vehicle identification numbers with a valid check digit."""

from __future__ import annotations

from .. import leaves
from ..values import Col, object_array
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    return {}


def sample(spec, env):
    return Col("str", object_array(leaves.domain().vin(env.rng("values"), env.n)))


ENTRY = ColumnType(
    name="vin",
    keys=(),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=17,
    quoted=True,
    export_kind="string",
    always_valued=True,
    no_unique="vin values are random and cannot be guaranteed unique",
)
