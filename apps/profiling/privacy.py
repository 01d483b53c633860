"""Privacy figures of a generated version against its sample: copies, distances to the closest record, PII.

- Exact-copy rate: the share of synthetic rows equal, on every compared column, to some sample row.
- Distance to the closest record (DCR): each compared row's distance to its nearest row of a reference half
  of the sample, for synthetic rows and for the other (holdout) half of the sample. A generator that copies
  puts synthetic rows closer to the sample than real rows of the same population are (median synthetic DCR
  below the holdout's); one that learned the distribution puts them about as far. The distance between two
  rows is the mean over columns of a per-column distance in 0..1: |a - b| / (the sample's range) for numbers
  and datetimes, 0 or 1 for everything else; two nulls are equal, a null and a value are 1 apart.
- PII columns: each column the spec marks `pii` (or generates with a personal-data type) and how its values
  are made; the report never holds a value.

Work is bounded before it is done: at most DCR_MAX_QUERY_ROWS synthetic and holdout rows are compared with
at most DCR_MAX_REFERENCE_ROWS reference rows (random subsets, fixed seed), in blocks of DCR_BLOCK_CELLS.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

DCR_MAX_QUERY_ROWS = 2_000
DCR_MAX_REFERENCE_ROWS = 10_000
DCR_BLOCK_CELLS = 4_000_000  # query rows x reference rows handled at once (32 MB of float64)
SEED = 20_240_101
PII_TYPES = frozenset({"faker", "credit_card", "iban", "mrz_td3", "vin", "national_id"})


def _comparable(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]):
    """Both tables' columns coded alike: numbers (datetimes as int64 ns) as float64, the rest as text."""
    numeric, real_out, synthetic_out = [], {}, {}
    for name in columns:
        a, b = real[name], synthetic[name]
        if pd.api.types.is_datetime64_any_dtype(a) or pd.api.types.is_datetime64_any_dtype(b):
            a, b = pd.to_datetime(a, utc=True, errors="coerce"), pd.to_datetime(b, utc=True, errors="coerce")
            a = a.astype("int64").where(a.notna()).astype("float64")
            b = b.astype("int64").where(b.notna()).astype("float64")
        if (pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
                and not pd.api.types.is_bool_dtype(a) and not pd.api.types.is_bool_dtype(b)):
            numeric.append(name)
            real_out[name], synthetic_out[name] = a.astype("float64"), b.astype("float64")
        else:
            real_out[name] = a.astype("string").fillna("\x00null")
            synthetic_out[name] = b.astype("string").fillna("\x00null")
    return pd.DataFrame(real_out, index=real.index), pd.DataFrame(synthetic_out, index=synthetic.index), numeric


def exact_copy_rate(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> float | None:
    """Share of synthetic rows identical to a sample row on `columns` (keys left out by the caller)."""
    if not columns or synthetic.empty:
        return None
    real_coded, synthetic_coded, _ = _comparable(real, synthetic, columns)
    real_hashes = pd.util.hash_pandas_object(real_coded, index=False)
    synthetic_hashes = pd.util.hash_pandas_object(synthetic_coded, index=False)
    return float(synthetic_hashes.isin(set(real_hashes.to_numpy())).mean())


def _encode(frame: pd.DataFrame, numeric: list[str], lows, spans, categories: dict):
    numbers = np.column_stack([(frame[c].to_numpy() - lows[c]) / spans[c] for c in numeric]) if numeric else None
    codes = np.column_stack([pd.Categorical(frame[c], categories=categories[c]).codes for c in categories]) \
        if categories else None
    return numbers, codes


def _closest_distances(query, reference, n_columns: int) -> np.ndarray:
    q_numbers, q_codes = query
    r_numbers, r_codes = reference
    n_query = (q_numbers if q_numbers is not None else q_codes).shape[0]
    n_reference = (r_numbers if r_numbers is not None else r_codes).shape[0]
    block = max(1, DCR_BLOCK_CELLS // max(n_reference, 1))
    best = np.empty(n_query)
    for start in range(0, n_query, block):
        stop = min(start + block, n_query)
        total = np.zeros((stop - start, n_reference))
        if q_numbers is not None:
            for j in range(q_numbers.shape[1]):
                a, b = q_numbers[start:stop, j][:, None], r_numbers[:, j][None, :]
                d = np.abs(a - b)
                # Two nulls are equal; a null and a value are as far apart as can be.
                d = np.where(np.isnan(a) & np.isnan(b), 0.0, np.where(np.isnan(a) | np.isnan(b), 1.0, d))
                total += np.minimum(d, 1.0)
        if q_codes is not None:
            for j in range(q_codes.shape[1]):
                total += q_codes[start:stop, j][:, None] != r_codes[:, j][None, :]
        best[start:stop] = total.min(axis=1) / n_columns
    return best


def _subsample(frame: pd.DataFrame, cap: int, rng) -> pd.DataFrame:
    if len(frame) <= cap:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), cap, replace=False))]


def distance_to_closest_record(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> dict | None:
    """Median DCR of synthetic rows and of holdout rows to a reference half of the sample."""
    if not columns or len(real) < 4 or synthetic.empty:
        return None
    rng = np.random.default_rng(SEED)
    real_coded, synthetic_coded, numeric = _comparable(real, synthetic, columns)
    order = rng.permutation(len(real_coded))
    half = len(order) // 2
    reference = _subsample(real_coded.iloc[np.sort(order[:half])], DCR_MAX_REFERENCE_ROWS, rng)
    holdout = _subsample(real_coded.iloc[np.sort(order[half:])], DCR_MAX_QUERY_ROWS, rng)
    synthetic_rows = _subsample(synthetic_coded, DCR_MAX_QUERY_ROWS, rng)
    lows, spans = {}, {}
    for name in numeric:
        values = real_coded[name].to_numpy()
        finite = values[~np.isnan(values)]
        lows[name] = float(finite.min()) if finite.size else 0.0
        span = float(finite.max() - finite.min()) if finite.size else 0.0
        spans[name] = span if span > 0 else 1.0
    categories = {name: pd.unique(pd.concat([real_coded[name], synthetic_coded[name]])) for name in columns
                  if name not in numeric}
    encoded_reference = _encode(reference, numeric, lows, spans, categories)
    synthetic_dcr = _closest_distances(_encode(synthetic_rows, numeric, lows, spans, categories),
                                       encoded_reference, len(columns))
    holdout_dcr = _closest_distances(_encode(holdout, numeric, lows, spans, categories), encoded_reference,
                                     len(columns))
    synthetic_median, holdout_median = float(np.median(synthetic_dcr)), float(np.median(holdout_dcr))
    return {
        "synthetic_median": synthetic_median,
        "holdout_median": holdout_median,
        "synthetic_not_closer": synthetic_median >= holdout_median,
        "rows_compared": {"synthetic": len(synthetic_rows), "holdout": len(holdout), "reference": len(reference)},
    }


def _generated_how(column: dict) -> str:
    kind = column.get("type", "?")
    if kind == "faker":
        return f"faker provider {column.get('provider', '?')}"
    if kind == "template":
        return "template of other generated columns"
    if kind == "pattern" or "pattern" in column:
        return "pattern"
    return f"{kind} generator"


def pii_columns(spec: dict | None, table: str) -> list[dict]:
    """The table's personal-data columns according to the spec, and how SynthHub generates each."""
    columns = (((spec or {}).get("tables") or {}).get(table) or {}).get("columns") or {}
    found = []
    for name, column in columns.items():
        if not isinstance(column, dict):
            continue
        if column.get("pii") or column.get("type") in PII_TYPES:
            found.append({"column": name, "type": column.get("type"), "generated_by": _generated_how(column),
                          "copies_sample_values": False})
    return found


def privacy_report(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str], *, spec=None,
                   table: str = "") -> dict:
    shared = [c for c in columns if c in real.columns and c in synthetic.columns]
    dcr = distance_to_closest_record(real, synthetic, shared)
    rate = exact_copy_rate(real, synthetic, shared)
    return {
        "columns_compared": shared,
        "exact_copy_rate": None if rate is None or math.isnan(rate) else rate,
        "dcr": dcr,
        "pii_columns": pii_columns(spec, table),
        "limits": {"dcr_max_query_rows": DCR_MAX_QUERY_ROWS, "dcr_max_reference_rows": DCR_MAX_REFERENCE_ROWS},
    }
