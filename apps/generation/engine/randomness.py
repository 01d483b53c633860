"""Deterministic randomness: generators and permutation keys derived from stable hashes.

Every random draw of the engine comes from a numpy Generator derived here from
(seed, names..., block index) with BLAKE2b, so the same inputs give the same stream
in any process (Python's `hash()` and PYTHONHASHSEED are never involved).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

_SEP = "\x1f"
_MASK64 = (1 << 64) - 1
_FEISTEL_ROUNDS = 4
# Largest domain a permutation walks over; a larger domain is cut into equal intervals, one per
# value of a permutation of at most this many, and each row takes a random point of its interval
# (see `spread_permute`).
MAX_PERMUTATION_DOMAIN = 1 << 62
_INT64_LIMIT = 1 << 63


def _digest(seed: int, parts: tuple, size: int) -> bytes:
    text = _SEP.join(str(p) for p in (int(seed), *parts))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).digest()


def derive_rng(seed: int, *parts: object) -> np.random.Generator:
    """A numpy Generator for one named stream (e.g. table, column, purpose, block)."""
    entropy = int.from_bytes(_digest(seed, parts, 32), "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def derive_key(seed: int, *parts: object) -> int:
    """A 64-bit integer key for one named purpose (permutations, Faker seeds)."""
    return int.from_bytes(_digest(seed, parts, 8), "little")


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def mix_keys(base: int, values: np.ndarray) -> np.ndarray:
    """One uint64 key per element, from a base key and integer values (e.g. row indices)."""
    with np.errstate(over="ignore"):
        return _mix64(np.asarray(values).astype(np.uint64) ^ np.uint64(base & _MASK64))


def permute(indices: np.ndarray, domain: int, key: int | np.ndarray) -> np.ndarray:
    """Keyed bijection of [0, domain) applied to `indices` (a Feistel network with cycle walking).

    `key` is one 64-bit key, or an array of per-element keys (each element then uses its own
    permutation, as for the items of each row of an array column).
    """
    idx = np.asarray(indices, dtype=np.int64)
    if domain <= 1:
        return np.zeros(idx.shape, dtype=np.int64)
    domain = min(int(domain), MAX_PERMUTATION_DOMAIN)
    bits = max(2, (domain - 1).bit_length())
    bits += bits % 2
    half = np.uint64(bits // 2)
    mask = np.uint64((1 << (bits // 2)) - 1)
    base = key.astype(np.uint64) if isinstance(key, np.ndarray) else np.uint64(int(key) & _MASK64)
    with np.errstate(over="ignore"):
        round_keys = [_mix64(base ^ np.uint64((r + 1) * 0x9E3779B97F4A7C15 & _MASK64)) for r in range(_FEISTEL_ROUNDS)]

        def rounds(y: np.ndarray, keys: list) -> np.ndarray:
            left, right = y >> half, y & mask
            for k in keys:
                left, right = right, left ^ (_mix64(right ^ k) & mask)
            return (left << half) | right

        y = rounds(idx.astype(np.uint64), round_keys)
        limit = np.uint64(domain)
        outside = y >= limit
        while outside.any():
            # Cycle walking: re-encrypt the values that fell outside the domain until they are inside.
            keys = [k[outside] if isinstance(k, np.ndarray) and k.shape == y.shape else k for k in round_keys]
            y[outside] = rounds(y[outside], keys)
            outside = y >= limit
    return y.astype(np.int64)


def spread_permute(indices: np.ndarray, domain: int, key: int | np.ndarray,
                   offsets: Callable[[], np.random.Generator]) -> np.ndarray:
    """Distinct indices map to distinct values in [0, domain), spread over the whole domain.

    Up to MAX_PERMUTATION_DOMAIN this is `permute` itself. Above it, the domain is cut into
    `domain // stride` intervals of `stride` values (stride = ceil(domain / MAX_PERMUTATION_DOMAIN)):
    a permutation picks each index's interval, so distinct indices never share one, and a draw
    from `offsets()` (called once, for one value per index, in order) picks the point inside it.
    The result is int64 when the domain fits in int64, else an object array of Python ints.
    """
    domain = int(domain)
    if domain <= MAX_PERMUTATION_DOMAIN:
        return permute(indices, domain, key)
    stride = -(-domain // MAX_PERMUTATION_DOMAIN)
    intervals = permute(indices, domain // stride, key)
    rng = offsets()
    n = len(intervals)
    if domain <= _INT64_LIMIT:
        # (domain // stride) * stride <= domain: every value fits in int64.
        return intervals * np.int64(stride) + rng.integers(0, stride, n, dtype=np.int64)
    # Python ints: 64 random bits beyond the stride's size make the modulo bias negligible (< 2**-64).
    width = (stride.bit_length() + 64 + 7) // 8
    raw = rng.bytes(width * n)
    out = np.empty(n, dtype=object)
    out[:] = [int(i) * stride + int.from_bytes(raw[j * width:(j + 1) * width], "little") % stride
              for j, i in enumerate(intervals.tolist())]
    return out
