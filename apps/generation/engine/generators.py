"""Column generators: the values of one column spec for a run of rows, as a Col.

`generate_column` is the entry point. Every draw comes from `env.rng(...)`, a generator derived from
(seed, table, column path, purpose, block), and unique columns map row indices through a keyed
permutation of the column's domain, so values never depend on how rows are chunked.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

import numpy as np

from . import analysis, leaves
from .conditions import matches
from .randomness import MAX_PERMUTATION_DOMAIN, permute, spread_permute
from .rowcounts import BLOCK_ROWS
from .templating import parse_template, slugify
from .types import registry
from .values import KIND_DTYPES, Col, object_array, to_pylist

if TYPE_CHECKING:
    from .runtime import Env

_BASE36 = np.frombuffer((string.digits + string.ascii_lowercase).encode("ascii"), dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def generate_column(spec: dict, env: Env) -> Col:
    """Values of a column spec for env's rows: unique mapping or draws, `when` overrides, then nulls."""
    col = unique_values(spec, env) if spec.get("unique") else sample_values(spec, env)
    ratios = None
    clauses = spec.get("when") or []
    overridden: list[tuple[int, np.ndarray]] = []
    if clauses:
        assigned = np.zeros(env.n, dtype=bool)
        for i, clause in enumerate(clauses):
            condition = clause["if"]
            mask = matches(env.ctx.get(condition["column"]), condition["op"], condition["value"],
                           env.runtime.reference_time) & ~assigned
            if not mask.any():
                continue
            assigned |= mask
            merged = {**spec, **clause["then"]}
            override = sample_values(merged, env.derived(f"when{i}"))
            col = col.where(mask, override)
            overridden.append((i, mask))
            if merged["null_ratio"] != spec["null_ratio"]:
                if ratios is None:
                    ratios = np.full(env.n, spec["null_ratio"])
                ratios[mask] = merged["null_ratio"]
    if ratios is not None or spec["null_ratio"] > 0:
        draws = env.rng("nulls").random(env.n)
        col = col.with_nulls(draws < (spec["null_ratio"] if ratios is None else ratios))
    if spec["type"] == "reference" and env.ctx is not None:
        _settle_reference_indices(env, overridden, col)
    return col


def _settle_reference_indices(env: Env, overridden: list, col: Col) -> None:
    """The parent row each row of a reference column ended up pointing at (-1 where null)."""
    pending = env.ctx.pending
    indices = pending.pop((env.path, env.salt))
    for i, mask in overridden:
        indices = np.where(mask, pending.pop((env.path, f"when{i}")), indices)
    if col.nulls is not None:
        indices = np.where(col.nulls, -1, indices)
    env.ctx.remember_indices(env.path, indices)


# ----------------------------------------------------------------------------- draws
def sample_values(spec: dict, env: Env) -> Col:
    return registry.get(spec["type"]).sample(spec, env)


def choice_array(values: list) -> tuple[str, np.ndarray]:
    kind = analysis.kind_of_values(values)
    if kind in ("int", "float", "bool"):
        return kind, np.array(values, dtype=KIND_DTYPES[kind])
    return kind, object_array(values)


def value_key(values: list) -> tuple:
    return tuple((type(v).__name__, v) for v in values)


def uuid_bytes(rng: np.random.Generator, size: int) -> np.ndarray:
    raw = rng.integers(0, 256, (size, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw


def format_uuids(raw: np.ndarray) -> np.ndarray:
    size = raw.shape[0]
    digits = np.empty((size, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    text = np.full((size, 36), ord("-"), dtype=np.uint8)
    for lo, hi, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        text[:, at:at + hi - lo] = digits[:, lo:hi]
    return text.view("S36").ravel().astype("U36").astype(object)


def template_strings(spec: dict, env: Env, suffixes: np.ndarray | None = None) -> list[str]:
    template = env.runtime.cached(("template", spec["template"]), lambda: parse_template(spec["template"]))
    lists = [_placeholder_strings(placeholder, env) for placeholder in template.placeholders]
    pattern, placed = template.format_string(suffix_before_at=suffixes is not None and not spec["slug"])
    if placed:
        lists.append(suffixes.tolist())
    out = list(map(pattern.format, *lists)) if lists else [pattern.format()] * env.n
    if spec["lower"]:
        out = list(map(str.lower, out))
    elif spec["upper"]:
        out = list(map(str.upper, out))
    elif spec["slug"]:
        out = list(map(slugify, out))
    if suffixes is not None and not placed:
        out = insert_suffixes(out, suffixes.tolist())
    return out


def _placeholder_strings(placeholder, env: Env) -> list:
    if placeholder.field is None:
        col = env.ctx.get(placeholder.column)
    else:
        col = env.ctx.referenced(placeholder.column, placeholder.field)
    items = to_pylist(col)
    if col.kind == "bool":
        items = ["true" if v else "false" if v is not None else "" for v in items]
    elif col.nulls is not None and col.nulls.any():
        items = ["" if v is None else v for v in items]
    return items


def reference_indices(spec: dict, env: Env) -> np.ndarray:
    """Row indices in the parent table (-1: no parent row)."""
    runtime = env.runtime
    parent = spec["table"]
    if env.ctx is not None and env.ctx.per_column == env.path:
        return env.ctx.parent_indices()
    rng = env.rng("values")
    zipf = spec["distribution"].get("zipf")
    if parent == env.table.name and env.ctx is not None:
        rows = env.rows.astype(np.int64)
        earlier = np.maximum(rows, 1)
        if zipf:
            picks = (rng.zipf(zipf["a"], env.n) - 1) % earlier
        else:
            picks = np.floor(rng.random(env.n) * earlier).astype(np.int64)
        return np.where(rows == 0, -1, picks)
    count = runtime.row_counts[parent]
    where = spec.get("where")
    eligible = None
    if where is not None and count:
        key = ("reference_where", parent, where["column"], where["op"], repr(where["value"]))
        eligible = runtime.cached(key, lambda: _matching_rows(runtime, parent, where))
        count = len(eligible)
    if count == 0:
        return np.full(env.n, -1, dtype=np.int64)
    if zipf:
        picks = (rng.zipf(zipf["a"], env.n).astype(np.int64) - 1) % count
    else:
        picks = rng.integers(0, count, env.n, dtype=np.int64)
    return picks if eligible is None else eligible[picks]


def _matching_rows(runtime, table: str, where: dict) -> np.ndarray:
    """Indices of the rows of `table` whose column matches a reference's `where`, in row order."""
    found = []
    total = runtime.row_counts[table]
    for start in range(0, total, BLOCK_ROWS):
        rows = np.arange(start, min(start + BLOCK_ROWS, total), dtype=np.int64)
        col = runtime.values_at(table, where["column"], rows)
        found.append(rows[matches(col, where["op"], where["value"], runtime.reference_time)])
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def apply_nulls(spec: dict, env: Env, col: Col) -> Col:
    if spec["null_ratio"] <= 0:
        return col
    return col.with_nulls(env.rng("nulls").random(env.n) < spec["null_ratio"])




# ----------------------------------------------------------------------------- unique values
def unique_values(spec: dict, env: Env) -> Col:
    """Values that no other row of the table shares, from the row index alone."""
    kind = spec["type"]
    if kind in ("sequence", "series_time", "vin", "national_id") or (kind == "choice" and spec.get("in_order")):
        # Values follow the row index (a vin's serial part and a national id's free part are a permutation of
        # it; an in-order choice has at least as many values as rows, checked like any unique domain): distinct
        # already.
        return registry.get(kind).sample(spec, env)
    if kind == "uuid":
        raw = uuid_bytes(env.rng("values"), env.n)
        # The first six bytes carry a keyed permutation of the row index: distinct rows, distinct uuids.
        tagged = permute(env.rows, 1 << 48, env.key("unique")).astype(">u8").view(np.uint8).reshape(-1, 8)
        raw[:, :6] = tagged[:, 2:]
        return Col("str", format_uuids(raw))
    if kind == "reference":
        count = env.runtime.row_counts[spec["table"]]
        indices = permute(env.rows, count, env.key("unique")) if count else np.full(env.n, -1, dtype=np.int64)
        if env.ctx is not None:
            env.ctx.pending[(env.path, env.salt)] = indices
        return env.runtime.values_at(spec["table"], env.runtime.referenced_column(spec), indices)
    domain = env.runtime.unique_domain(env.table.name, spec)
    if domain == analysis.UNBOUNDED or domain < env.table.row_count:
        # Only suffix_fallback columns get here with a domain smaller than the table (validation).
        return _suffixed(spec, env)
    if spec["type"] == "string" and domain > MAX_PERMUTATION_DOMAIN:
        strings = long_unique_strings(spec, env, env.rows, env.key("unique"), env.table.row_count)
        if strings is not None:
            return Col("str", strings)
    domain = exact_domain(spec, int(domain))
    # Domains above MAX_PERMUTATION_DOMAIN are spread over whole: a permuted interval per row and a
    # point inside it drawn from the block's generator (the same whoever computes the block).
    indices = spread_permute(env.rows, domain, env.key("unique"), lambda: env.rng("unique_offsets"))
    return domain_values(spec, env, indices, domain)


# Unique strings above MAX_PERMUTATION_DOMAIN: a prefix of k characters is numbered by a permutation of
# the row index (so distinct rows get distinct prefixes) and the rest of each value is drawn from the
# block's generator. k is the shortest prefix with at least PREFIX_TARGET values (far more than any table
# has rows, so prefixes are spread) within the permutation cap. No big-number arithmetic is involved.
PREFIX_TARGET = 1 << 50


def long_unique_strings(spec: dict, env: Env, indices: np.ndarray, key: int | np.ndarray,
                        needed: int) -> np.ndarray | None:
    """Distinct strings for distinct `indices` of a string column whose domain is above the permutation
    cap (None when no prefix fits, which needs about 2**50 rows: the exact numbering is used then)."""
    target = max(PREFIX_TARGET, needed)
    if spec["pattern"] is not None:
        pattern = leaves.compiled_pattern(spec["pattern"])
        found = pattern.unique_prefix(target, needed, MAX_PERMUTATION_DOMAIN)
        if found is None:
            return None
        depth, with_short = found
        heads = permute(indices, pattern.prefix_domain(depth, with_short), key)
        return object_array(pattern.unique_strings(heads, depth, with_short, env.rng("unique_tail")))
    base, low, high = len(spec["alphabet"]), spec["length"]["min"], spec["length"]["max"]
    depth = prefix_length(base, high, target)
    if depth is None or base**depth < needed:
        return None
    heads = permute(indices, base**depth, key)
    return _prefixed_strings(spec["alphabet"], heads, depth, max(low, depth), high, env.rng("unique_tail"))


def prefix_length(base: int, high: int, target: int) -> int | None:
    """The shortest k <= high with base**k >= target, lowered to stay within the permutation cap."""
    if base < 2 or high < 1:
        return None
    depth = 1
    while base**depth < target and depth < high:
        depth += 1
    while depth > 1 and base**depth > MAX_PERMUTATION_DOMAIN:
        depth -= 1
    return depth if base**depth <= MAX_PERMUTATION_DOMAIN else None


def _prefixed_strings(alphabet: str, heads: np.ndarray, depth: int, low: int, high: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Strings of length low..high (low >= depth) whose first `depth` characters spell `heads` in base
    len(alphabet); lengths are weighted like the domain (base**length) and the rest is uniform."""
    base = len(alphabet)
    n = len(heads)
    # Length high - j has weight base**-j; weights below the smallest float are zero.
    span = min(high - low, 2000)
    cdf = np.cumsum(np.power(float(base), -np.arange(span + 1, dtype=np.float64)))
    picks = np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), span)
    tails = (high - depth - picks).astype(np.int64)
    table = np.array([ord(c) for c in alphabet], dtype=np.uint32)
    digits = np.empty((n, depth), dtype=np.uint32)
    rest = heads.astype(np.int64)
    for position in range(depth - 1, -1, -1):
        digits[:, position] = table[rest % base]
        rest = rest // base
    prefixes = digits.view(f"<U{depth}").ravel().tolist()
    text = _random_text(alphabet, int(tails.sum()), rng)
    ends = np.cumsum(tails).tolist()
    starts = [0, *ends[:-1]]
    return object_array([p + text[a:b] for p, a, b in zip(prefixes, starts, ends, strict=True)])


def _random_text(alphabet: str, count: int, rng: np.random.Generator) -> str:
    """`count` characters drawn uniformly from `alphabet`."""
    base = len(alphabet)
    if base <= 256 and max(map(ord, alphabet)) < 256:
        # Random bytes mapped through a table; bytes past the largest multiple of base are dropped
        # (rejection keeps the draw uniform).
        limit = 256 - 256 % base
        table = bytes(ord(alphabet[v % base]) if v < limit else 0 for v in range(256))
        dropped = bytes(range(limit, 256))
        parts: list[bytes] = []
        got = 0
        while got < count:
            want = count - got
            part = rng.bytes(want * 256 // limit + 64).translate(table, dropped)
            parts.append(part)
            got += len(part)
        joined = parts[0] if len(parts) == 1 else b"".join(parts)
        return str(memoryview(joined)[:count], "latin-1")
    codes = np.array([ord(c) for c in alphabet], dtype=np.uint32)
    pieces = []
    for lo in range(0, count, 1 << 20):
        size = min(1 << 20, count - lo)
        pieces.append(str(codes[rng.integers(0, base, size)].view(f"<U{size}")[0]))
    return "".join(pieces)


def exact_domain(spec: dict, domain: int) -> int:
    """The domain to number values in: analysis caps a length/alphabet string domain at 2**64, which
    would leave the longer strings out; above the permutation cap the exact size is used."""
    if domain > MAX_PERMUTATION_DOMAIN and spec["type"] == "string" and spec["pattern"] is None:
        base, low, high = len(spec["alphabet"]), spec["length"]["min"], spec["length"]["max"]
        if base > 1:
            return (base ** (high + 1) - base**low) // (base - 1)
    return domain


def _small_indices(indices: np.ndarray) -> np.ndarray:
    """Indices of a domain whose values fit in int64 (object arrays come from domains above 2**63)."""
    return indices.astype(np.int64) if indices.dtype == object else indices


def domain_values(spec: dict, env: Env, indices: np.ndarray, domain: int) -> Col:
    """The values numbered `indices` in the column's countable domain (an injective map)."""
    kind = spec["type"]
    if kind == "integer":
        return Col("int", _small_indices(spec["min"] + indices))
    if kind == "float":
        if indices.dtype == object:
            indices = indices.astype(np.float64)
        scale = 10 ** spec["precision"]
        return Col("float", np.round(spec["min"] + indices / scale, spec["precision"]))
    if kind == "boolean":
        return Col("bool", indices.astype(bool))
    if kind in ("choice", "constant"):
        values = analysis.distinct_values(spec["values"] if kind == "choice" else [spec["value"]])
        value_kind, pool = choice_array(values)
        return Col(value_kind, pool[indices])
    if kind == "string":
        if spec["pattern"] is not None:
            return Col("str", object_array(leaves.compiled_pattern(spec["pattern"]).nth(indices)))
        if indices.dtype == object:
            return Col("str", _nth_long_string(spec, indices))
        return Col("str", _nth_string(spec, indices))
    if kind == "faker":
        sampler = leaves.bulk_sampler(spec["provider"], spec["locale"], spec["args"])
        return Col("str", object_array(sampler.nth(indices)))
    if kind == "date":
        low, _ = env.runtime.resolved_range(spec)
        return Col("date", np.datetime64(low.isoformat(), "D") + indices.astype("timedelta64[D]"))
    if kind == "datetime":
        low, _ = env.runtime.resolved_range(spec)
        start = np.datetime64(low.replace(tzinfo=None).isoformat(timespec="seconds"), "s")
        return Col("datetime", start + indices.astype("timedelta64[s]"), timezone=spec["timezone"])
    if kind == "time":
        low, _ = env.runtime.resolved_range(spec)
        return Col("time", (low + indices) % 86400)
    if kind == "reference":
        return env.runtime.values_at(spec["table"], env.runtime.referenced_column(spec), indices)
    raise ValueError(f"{kind} has no countable domain")


def _nth_string(spec: dict, indices: np.ndarray) -> np.ndarray:
    """Strings of the `length`/`alphabet` domain numbered shortest first, then in base-|alphabet| order."""
    alphabet = np.array([ord(c) for c in spec["alphabet"]], dtype=np.uint32)
    base = len(alphabet)
    low, high = spec["length"]["min"], spec["length"]["max"]
    if high == 0:
        return object_array([""] * len(indices))
    offsets = indices.astype(np.int64).copy()
    lengths = np.full(len(indices), -1, dtype=np.int64)
    for length in range(low, high + 1):
        count = min(base**length, 2**63 - 1)
        here = (lengths < 0) & (offsets < count)
        lengths[here] = length
        pending = lengths < 0
        offsets[pending] -= count
        if not pending.any():
            break
    codes = np.zeros((len(indices), high), dtype=np.uint32)
    rows = np.arange(len(indices))
    rest = offsets
    for k in range(high):
        # The k-th least significant digit is the (length-1-k)-th character.
        column = lengths - 1 - k
        valid = column >= 0
        if not valid.any():
            break
        codes[rows[valid], column[valid]] = alphabet[rest[valid] % base]
        rest = rest // base
    return codes.view(f"<U{high}").ravel().astype(object)


def _nth_long_string(spec: dict, indices: np.ndarray) -> np.ndarray:
    """`_nth_string` for indices of any size (Python ints): the same numbering, shortest first."""
    alphabet = spec["alphabet"]
    base = len(alphabet)
    low, high = spec["length"]["min"], spec["length"]["max"]
    # Strings shorter than length L (and at least `low` long): (base**L - base**low) // (base - 1).
    # Most indices fall among the longest strings, so lengths are searched from the top.
    first = base**low
    tops: list[tuple[int, int]] = []  # (length, strings shorter than it), longest first
    power = base**high
    for length in range(high, low - 1, -1):
        tops.append((length, (power - first) // (base - 1)))
        if len(tops) >= 64 or length == low:
            break
        power //= base
    # Digits come `chunk` at a time from a divisor below 2**30 (CPython's fast single-limb division).
    chunk = 1
    while base ** (chunk + 1) < 2**30:
        chunk += 1
    divisor = base**chunk
    out = []
    for index in (int(i) for i in indices.tolist()):
        found = next((top for top in tops if index >= top[1]), None)
        if found is None:
            length = tops[-1][0] - 1
            while (base**length - first) // (base - 1) > index:
                length -= 1
            found = (length, (base**length - first) // (base - 1))
        length, before = found
        rest = index - before
        chars: list[str] = []
        while len(chars) < length:
            rest, part = divmod(rest, divisor)
            for _ in range(min(chunk, length - len(chars))):
                part, digit = divmod(part, base)
                chars.append(alphabet[digit])
        out.append("".join(reversed(chars)))
    return object_array(out)


def suffix_width(rows: int) -> int:
    width = 1
    while 36**width < rows:
        width += 1
    return width


def base36_suffixes(indices: np.ndarray, width: int) -> np.ndarray:
    digits = np.empty((len(indices), width), dtype=np.uint8)
    rest = indices.astype(np.int64)
    for position in range(width - 1, -1, -1):
        digits[:, position] = _BASE36[rest % 36]
        rest = rest // 36
    return digits.view(f"S{width}").ravel().astype(f"U{width}")


def _suffixed(spec: dict, env: Env) -> Col:
    """Unbounded domains (templates, Faker row by row): a fixed-width base-36 tag of a permuted row index
    goes before the last '@' (or at the end), so two rows can never give the same string."""
    rows = env.runtime.row_counts[env.table.name]
    # A power-of-four domain needs no cycle walking in the permutation; the width is chosen to hold it.
    domain = 4
    while domain < rows:
        domain *= 4
    width = suffix_width(domain)
    suffixes = base36_suffixes(permute(env.rows, domain, env.key("unique")), width)
    if spec["type"] == "template":
        if spec["upper"]:
            suffixes = np.strings.upper(suffixes)
        return Col("str", object_array(template_strings(spec, env, suffixes)))
    plain = sample_values(spec, env)
    strings = [v if isinstance(v, str) else str(v) for v in to_pylist(plain)]
    return Col("str", object_array(insert_suffixes(strings, suffixes.tolist())))


def insert_suffixes(strings: list[str], suffixes: list[str]) -> list[str]:
    out = []
    for value, suffix in zip(strings, suffixes, strict=True):
        at = value.rfind("@")
        out.append(value + suffix if at < 0 else value[:at] + suffix + value[at:])
    return out
