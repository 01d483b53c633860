"""Row counts of `rows: {per: ...}` tables: how many children each parent row gets.

Counts are drawn per block of parent rows from a stream named after the child table, so they are a
pure function of (seed, table, parent row count) and any process computes the same ones.
"""

from __future__ import annotations

import numpy as np

from .distributions import sample_numbers
from .randomness import derive_rng

BLOCK_ROWS = 16384


def child_counts(seed: int, table: str, rows_spec: dict, parent_rows: int) -> np.ndarray:
    """Number of child rows of every parent row (int64, one per parent)."""
    counts = np.empty(parent_rows, dtype=np.int64)
    for block, lo in enumerate(range(0, parent_rows, BLOCK_ROWS)):
        hi = min(lo + BLOCK_ROWS, parent_rows)
        rng = derive_rng(seed, table, "__rows__", block)
        counts[lo:hi] = sample_numbers(rows_spec["distribution"], rows_spec["min"], rows_spec["max"], rng,
                                       hi - lo, integer=True)
    return counts
