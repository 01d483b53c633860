"""The keyed functions every rule draws from: a sub-key per function (HMAC-SHA256 of the masking key and
the function's tag), then keyed BLAKE2b-256 of each value under that sub-key. BLAKE2b's keyed mode is a MAC
like HMAC, at about a third of HMAC-SHA256's cost per short value in CPython, and per-value hashing is most
of a masking's work. The `hash` rule's own output is HMAC-SHA256, as documented.

A rule's function is named by its tag (the rule, the column type and its options, never the column name),
so equal inputs give equal outputs in every table, chunk and run under the same masking key, and a key and
its foreign keys mask alike. A different masking key gives unrelated outputs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import numpy as np

from . import limits


class MaskingKeyError(ValueError):
    """The masking key is unusable (too short)."""


def check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) < limits.MIN_KEY_BYTES:
        raise MaskingKeyError(f"a masking key has at least {limits.MIN_KEY_BYTES} bytes")
    return key


def sub_key(key: bytes, tag: str, attempt: int = 0) -> bytes:
    """The key of one keyed function; `attempt` > 0 gives the re-masks that resolve unique collisions."""
    return hmac.digest(key, f"{tag}#{attempt}".encode(), "sha256")


def value_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


def digests(key: bytes, values: Sequence[object]) -> np.ndarray:
    """(n, 32) uint8: keyed BLAKE2b-256 of each value under `key`.

    Each distinct value is hashed once (names, cities and foreign keys repeat a lot); the rows are then
    gathered from the distinct values' digests."""
    blake2b = hashlib.blake2b
    positions: dict[object, int] = {}
    if all(type(value) is str for value in values):
        slots = [positions.setdefault(value, len(positions)) for value in values]
        joined = b"".join([blake2b(value.encode("utf-8", "surrogatepass"), key=key, digest_size=32).digest()
                           for value in positions])
    else:
        # Keyed by type too: 1, 1.0 and True are equal as dict keys but are different values here.
        slots = [positions.setdefault((type(value), value), len(positions)) for value in values]
        joined = b"".join([blake2b(value_bytes(value), key=key, digest_size=32).digest() for _, value in positions])
    distinct = positions
    table = np.frombuffer(joined, dtype=np.uint8).reshape(len(distinct), 32)
    if len(distinct) == len(values):
        return table
    return table[np.fromiter(slots, dtype=np.int64, count=len(slots))]


def hmac_digests(key: bytes, values: Sequence[object]) -> np.ndarray:
    """(n, 32) uint8: HMAC-SHA256 of each value under `key` (the `hash` rule)."""
    digest = hmac.digest
    joined = b"".join([digest(key, value_bytes(value), "sha256") for value in values])
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(values), 32)


def stream(key: bytes, values: Sequence[object], width: int) -> np.ndarray:
    """(n, width) uint8 of keyed bytes per value: the first 32 from the value's HMAC, further blocks from
    the HMAC of the value under counter-derived keys (only when values are longer than 32)."""
    blocks = [digests(key, values)]
    for block in range(1, (width + 31) // 32):
        blocks.append(digests(hashlib.sha256(key + block.to_bytes(4, "big")).digest(), values))
    out = np.hstack(blocks) if len(blocks) > 1 else blocks[0]
    return out[:, :width]


def as_uint64(matrix: np.ndarray, offset: int = 0) -> np.ndarray:
    """Eight bytes of each row, from `offset`, as unsigned 64-bit integers."""
    return np.ascontiguousarray(matrix[:, offset:offset + 8]).view(">u8").ravel().astype(np.uint64)
