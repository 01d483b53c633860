"""Column type `uuid`: random version-4 UUIDs."""

from __future__ import annotations

from ..generators import (
    format_uuids,
    uuid_bytes,
)
from ..values import Col
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    return {}


def sample(spec, env):
    return Col("str", format_uuids(uuid_bytes(env.rng("values"), env.n)))


ENTRY = ColumnType(
    name="uuid",
    keys=(),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=36,
    quoted=True,
    export_kind="uuid",
    always_valued=True,
)
