"""Column type `string`: a string matching `pattern`, or of a length from `length` over `alphabet`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import leaves, limits
from ..column_types import (
    DEFAULT_ALPHABET,
    MAX_STRING_LENGTH,
    check_keys,
    describe,
    join,
    read_int,
    read_str,
)
from ..values import Col, object_array
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    if "pattern" in raw and raw["pattern"] is not None:
        for key in ("length", "alphabet"):
            if key in raw:
                ctx.add(join(path, key), "cannot be combined with pattern")
        pattern = read_str(raw, "pattern", path, ctx, None)
        if pattern is not None:
            # The cost comes from the parsed pattern before its automaton is built (that is the expensive
            # part), so an oversized pattern is refused without being expanded.
            patterns = leaves.patterns()
            try:
                cost = patterns.pattern_cost(pattern)
                # The same bound as `length`: a block of rows holds every value at once.
                if cost.max_length > MAX_STRING_LENGTH:
                    ctx.add(join(path, "pattern"), f"matches strings of up to {cost.max_length:,} characters; "
                                                   f"the most a string column allows is {MAX_STRING_LENGTH:,}")
                elif leaves.cached_pattern(pattern) is None:
                    if ctx.pattern_steps <= 0:
                        raise patterns.PatternError("the document's patterns together are too complex to count",
                                                    pattern, 0)
                    allowed = min(limits.MAX_PATTERN_STEPS, ctx.pattern_steps)
                    try:
                        compiled = leaves.compiled_pattern(pattern, allowed)
                    except patterns.PatternError:
                        ctx.pattern_steps -= allowed  # the work was done before it was refused
                        raise
                    ctx.pattern_steps -= compiled.work
            except patterns.PatternError as exc:
                ctx.add(join(path, "pattern"), f"invalid pattern: {exc}")
        return {"pattern": pattern, "length": None, "alphabet": None}
    length = raw.get("length", {"min": 8, "max": 16})
    lpath = join(path, "length")
    if not isinstance(length, Mapping):
        ctx.add(lpath, f"must be a mapping {{min, max}}, got {describe(length)}")
        length = {"min": 8, "max": 16}
    check_keys(length, ("min", "max"), lpath, ctx, "length")
    low = read_int(length, "min", lpath, ctx, 8, minimum=0, maximum=MAX_STRING_LENGTH)
    high = read_int(length, "max", lpath, ctx, max(low, 16) if "min" in length else 16, minimum=0,
                    maximum=MAX_STRING_LENGTH)
    if low > high:
        ctx.add(lpath, f"min ({low}) is greater than max ({high})")
    alphabet = read_str(raw, "alphabet", path, ctx, DEFAULT_ALPHABET, nonempty=False)
    if not alphabet:
        ctx.add(join(path, "alphabet"), "must not be empty")
        alphabet = DEFAULT_ALPHABET
    elif len(alphabet) > MAX_STRING_LENGTH:
        ctx.add(join(path, "alphabet"), f"must have at most {MAX_STRING_LENGTH:,} characters")
        alphabet = DEFAULT_ALPHABET
    return {"pattern": None, "length": {"min": low, "max": high}, "alphabet": "".join(dict.fromkeys(alphabet))}


def sample(spec, env):
    rng = env.rng("values")
    if spec["pattern"] is not None:
        return Col("str", object_array(leaves.compiled_pattern(spec["pattern"]).sample(rng, env.n)))
    low, high = spec["length"]["min"], spec["length"]["max"]
    alphabet = np.array([ord(c) for c in spec["alphabet"]], dtype=np.uint32)
    lengths = rng.integers(low, high, env.n, endpoint=True)
    if high == 0:
        return Col("str", object_array([""] * env.n))
    out = np.empty(env.n, dtype=object)
    step = max(1, 2_000_000 // high)  # bounded memory for long strings
    for lo in range(0, env.n, step):
        hi = min(lo + step, env.n)
        codes = alphabet[rng.integers(0, len(alphabet), (hi - lo, high))]
        codes[np.arange(high)[None, :] >= lengths[lo:hi, None]] = 0  # numpy drops trailing NULs of str values
        out[lo:hi] = codes.view(f"<U{high}").ravel()
    return Col("str", out)


ENTRY = ColumnType(
    name="string",
    keys=("pattern", "length", "alphabet"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    export_kind="string",
    always_valued=True,
)
