"""Column type `array`: a list of items of another column spec."""

from __future__ import annotations

import numpy as np

from ..column_types import (
    MAX_ARRAY_LENGTH,
    join,
    normalise_column,
    read_bool,
    read_int,
)
from ..generators import (
    apply_nulls,
    domain_values,
    exact_domain,
    generate_column,
    long_unique_strings,
)
from ..randomness import MAX_PERMUTATION_DOMAIN, mix_keys, spread_permute
from ..values import Col, object_array, to_pylist
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    of = raw.get("of")
    if of is None:
        ctx.add(join(path, "of"), "is required")
        item = None
    else:
        item = normalise_column(of, join(path, "of"), ctx, nested=nested + 1)
    low = read_int(raw, "min_length", path, ctx, 0, minimum=0, maximum=MAX_ARRAY_LENGTH)
    high = read_int(raw, "max_length", path, ctx, max(low, 5), minimum=0, maximum=MAX_ARRAY_LENGTH)
    if low > high:
        ctx.add(path, f"min_length ({low}) is greater than max_length ({high})")
    unique_items = read_bool(raw, "unique_items", path, ctx, False)
    return {"of": item, "min_length": low, "max_length": high, "unique_items": unique_items}


def sample(spec, env):
    rng = env.rng("lengths")
    lengths = rng.integers(spec["min_length"], spec["max_length"], env.n, endpoint=True)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    total = int(ends[-1]) if env.n else 0
    positions = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
    item_env = env.nested(env.path + ".of", positions)
    item_spec = spec["of"]
    if spec["unique_items"] and item_spec["type"] not in ("uuid", "sequence"):
        domain = int(env.runtime.item_domain(item_spec))
        keys = mix_keys(env.key("items"), np.repeat(env.rows, lengths))
        strings = None
        if item_spec["type"] == "string" and domain > MAX_PERMUTATION_DOMAIN:
            strings = long_unique_strings(item_spec, item_env, positions, keys, spec["max_length"])
        if strings is not None:
            items = Col("str", strings)
        else:
            domain = exact_domain(item_spec, domain)
            indices = spread_permute(positions, domain, keys, lambda: item_env.rng("unique_offsets"))
            items = domain_values(item_spec, item_env, indices, domain)
        items = apply_nulls(item_spec, item_env, items)
    else:
        items = generate_column(item_spec, item_env)
    flat = to_pylist(items)
    return Col("json", object_array([flat[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]))


ENTRY = ColumnType(
    name="array",
    keys=("of", "min_length", "max_length", "unique_items"),
    normalise=normalise,
    sample=sample,
    value_kind="json",
    always_valued=True,
    no_unique="arrays cannot be unique (use unique_items for the items)",
)
