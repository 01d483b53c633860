"""Deterministic randomness: generators and permutation keys derived from stable hashes.

Every random draw of the engine comes from a numpy Generator derived here from
(seed, names..., block index) with BLAKE2b, so the same inputs give the same stream
in any process (Python's `hash()` and PYTHONHASHSEED are never involved).
"""

from __future__ import annotations

import hashlib

import numpy as np

_SEP = "\x1f"
_MASK64 = (1 << 64) - 1
_FEISTEL_ROUNDS = 4
# Largest domain a permutation walks over; larger domains are used through their first 2**62 values,
# which is injective and more than any table can hold.
MAX_PERMUTATION_DOMAIN = 1 << 62


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
