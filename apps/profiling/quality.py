"""Quality scores of a generated version against its sample, computed the way SDMetrics' QualityReport does.

SDMetrics is the yardstick users compare synthesizers with, so SynthHub reproduces its definitions instead of
inventing its own (a test checks both agree within 0.005 on the same data; sdmetrics itself is a development
dependency only). Definitions follow sdmetrics 0.32:

- Column shapes: KSComplement (1 - the two-sample Kolmogorov-Smirnov D statistic, nulls dropped, values rounded
  to 14 decimals) for numerical and datetime columns; TVComplement (1 - total variation distance of the value
  frequencies, nulls dropped) for categorical and boolean ones. The property is the mean over every column of
  every table.
- Column pair trends: CorrelationSimilarity (1 - |pearson_real - pearson_synthetic| / 2) for two continuous
  columns, ContingencySimilarity (1 - total variation distance of the joint frequencies, nulls as a value) for
  any other pair; a continuous column in a mixed pair is cut into SDMetrics' 10 bins (numpy's histogram edges,
  computed separately for the real and the synthetic table, as SDMetrics does). Only pairs whose real
  correlation exceeds 0.5 in absolute value, or whose real Cramer's V exceeds 0.3, count towards the mean.
- Cardinality: CardinalityShapeSimilarity, 1 - KS D of the number of children per parent row, per relationship.
- Intertable trends: the pair trends between each parent column and each child column of the joined tables.
- Overall: the mean of the property scores that could be computed.

A score that cannot be computed (an empty column, a constant one for a correlation) is None, as SDMetrics
leaves it NaN and skips it in the means. Metadata uses SDMetrics' shape: {"tables": {name: {"columns":
{column: {"sdtype": ...}}, "primary_key": ...}}, "relationships": [{parent_table_name, parent_primary_key,
child_table_name, child_foreign_key}]}; columns of any other sdtype (id, pii, text) are not scored.
"""

from __future__ import annotations

import itertools
import math
import sys

import numpy as np
import pandas as pd

MAX_DECIMALS = sys.float_info.dig - 1
NUM_DISCRETE_BINS = 10
REAL_CORRELATION_THRESHOLD = 0.5
REAL_ASSOCIATION_THRESHOLD = 0.3
# SDMetrics subsamples the rows of a contingency pair above this; SynthHub does too, with a fixed seed.
NUM_ROWS_SUBSAMPLE = 50_000
TV_REGULARISATION = 1e-6

CONTINUOUS = frozenset({"numerical", "datetime"})
DISCRETE = frozenset({"categorical", "boolean", "ordinal"})
SCORED = CONTINUOUS | DISCRETE


class Incomputable(Exception):
    """A metric that has no value on this data (SDMetrics' NaN)."""


def _nan_to_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _as_numbers(series: pd.Series) -> pd.Series:
    """Datetimes as int64 nanoseconds (what pandas.to_numeric gives SDMetrics), NaT as NaN."""
    if pd.api.types.is_datetime64_any_dtype(series):
        mask = series.isna()
        numbers = series.astype("int64").astype("float64")
        numbers[mask] = np.nan
        return numbers
    return series


# --- column shapes -------------------------------------------------------------------------------------------

def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample KS D statistic (what scipy.stats.ks_2samp returns first)."""
    a, b = np.sort(a), np.sort(b)
    values = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, values, side="right") / a.size
    cdf_b = np.searchsorted(b, values, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def ks_complement(real: pd.Series, synthetic: pd.Series) -> float:
    real = _as_numbers(pd.Series(real).dropna())
    synthetic = _as_numbers(pd.Series(synthetic).dropna())
    if real.empty or synthetic.empty:
        raise Incomputable("no non-null values")
    real = real.astype("float64").round(MAX_DECIMALS).to_numpy()
    synthetic = synthetic.astype("float64").round(MAX_DECIMALS).to_numpy()
    return 1.0 - ks_statistic(real, synthetic)


def tv_complement(real: pd.Series, synthetic: pd.Series) -> float:
    real = pd.Series(real).dropna()
    synthetic = pd.Series(synthetic).dropna()
    if real.empty or synthetic.empty:
        raise Incomputable("no non-null values")
    real_counts = real.value_counts(sort=False).astype("float64")
    synthetic_counts = synthetic.value_counts(sort=False).astype("float64")
    # SDMetrics gives a synthetic value the real data lacks a tiny real count, so it weighs in the distance.
    unseen = synthetic_counts.index.difference(real_counts.index)
    if len(unseen):
        real_counts = pd.concat([real_counts, pd.Series(TV_REGULARISATION, index=unseen)])
    f_real = real_counts / real_counts.sum()
    f_synthetic = synthetic_counts.reindex(real_counts.index, fill_value=0.0) / synthetic_counts.sum()
    return 1.0 - 0.5 * float(np.abs(f_synthetic.to_numpy() - f_real.to_numpy()).sum())


SHAPE_METRICS = {"numerical": ("KSComplement", ks_complement), "datetime": ("KSComplement", ks_complement),
                 "categorical": ("TVComplement", tv_complement), "ordinal": ("TVComplement", tv_complement),
                 "boolean": ("TVComplement", tv_complement)}


def column_shapes(real: pd.DataFrame, synthetic: pd.DataFrame, columns: dict) -> list[dict]:
    details = []
    for name, meta in columns.items():
        sdtype = meta.get("sdtype")
        if sdtype not in SHAPE_METRICS:
            continue
        metric, compute = SHAPE_METRICS[sdtype]
        try:
            score = compute(real[name], synthetic[name])
        except Incomputable:
            score = None
        details.append({"column": name, "metric": metric, "score": _nan_to_none(score)})
    return details


# --- column pair trends --------------------------------------------------------------------------------------

def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 2:
        raise Incomputable("fewer than two rows")
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(np.dot(dx, dx)) * float(np.dot(dy, dy)))
    if denominator == 0:
        return math.nan
    return max(-1.0, min(1.0, float(np.dot(dx, dy)) / denominator))


def correlation_similarity(real: pd.DataFrame, synthetic: pd.DataFrame, threshold: float) -> dict:
    """Scores the pair of columns of `real`/`synthetic` (already numeric)."""
    for frame in (real, synthetic):
        if (frame.nunique() == 1).any():
            raise Incomputable("constant column")
    real, synthetic = real.dropna(), synthetic.dropna()
    r_real = _pearson(*(real[c].to_numpy(dtype="float64") for c in real.columns))
    if threshold > 0 and abs(r_real) <= threshold:
        return {"score": math.nan, "real": r_real, "synthetic": math.nan}
    r_synthetic = _pearson(*(synthetic[c].to_numpy(dtype="float64") for c in synthetic.columns))
    if math.isnan(r_real) or math.isnan(r_synthetic):
        return {"score": math.nan, "real": r_real, "synthetic": r_synthetic}
    return {"score": 1 - abs(r_real - r_synthetic) / 2, "real": r_real, "synthetic": r_synthetic}


def _joint_codes(real: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Both tables' value pairs as integers over a shared coding; nulls are a value of their own."""
    codes, sizes = [], []
    for column in real.columns:
        both = pd.concat([real[column], synthetic[column]], ignore_index=True)
        coded, uniques = pd.factorize(both, use_na_sentinel=False)
        codes.append(coded)
        sizes.append(max(len(uniques), 1))
    joint = codes[0].astype(np.int64) * sizes[1] + codes[1]
    return joint[: len(real)], joint[len(real):], sizes[0], sizes[1]


def cramers_v(table: np.ndarray) -> float:
    """scipy.stats.contingency.association(method='cramer'): Pearson's chi2 without continuity correction."""
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float(np.nansum((table - expected) ** 2 / expected))
    return math.sqrt(chi2 / n / (min(table.shape) - 1))


def contingency_similarity(real: pd.DataFrame, synthetic: pd.DataFrame, threshold: float) -> dict:
    if max(len(real), len(synthetic)) > NUM_ROWS_SUBSAMPLE:
        real = real.sample(min(NUM_ROWS_SUBSAMPLE, len(real)), random_state=0)
        synthetic = synthetic.sample(min(NUM_ROWS_SUBSAMPLE, len(synthetic)), random_state=0)
    if len(real) == 0 or len(synthetic) == 0:
        raise Incomputable("no rows")
    real_codes, synthetic_codes, size_1, size_2 = _joint_codes(real, synthetic)
    real_counts = np.bincount(real_codes, minlength=size_1 * size_2)
    association = math.nan
    if threshold > 0:
        table = real_counts.reshape(size_1, size_2)
        table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
        if table.sum() == 0 or min(table.shape) < 2:
            return {"score": math.nan, "real_association": association}
        association = cramers_v(table.astype("float64"))
        if association <= threshold:
            return {"score": math.nan, "real_association": association}
    synthetic_counts = np.bincount(synthetic_codes, minlength=size_1 * size_2)
    variation = np.abs(real_counts / len(real) - synthetic_counts / len(synthetic)).sum() / 2
    return {"score": 1 - float(variation), "real_association": association}


class _Prepared:
    """A table's scored columns as SDMetrics' pair trends see them: datetimes as numbers, continuous columns
    also cut into bins (edges from this table's own values)."""

    def __init__(self, frame: pd.DataFrame, columns: dict):
        self.data = frame.copy()
        self.binned = {}
        self.failed = set()
        for name, meta in columns.items():
            if meta.get("sdtype") in CONTINUOUS:
                self.data[name] = _as_numbers(self.data[name])
                try:
                    values = self.data[name].to_numpy(dtype="float64")
                    edges = np.histogram_bin_edges(values[~np.isnan(values)], bins=NUM_DISCRETE_BINS)
                    self.binned[name] = pd.Series(np.digitize(values, bins=edges), index=self.data.index, name=name)
                except (ValueError, TypeError):
                    self.failed.add(name)


def pair_score(name_1, name_2, kind_1, kind_2, real: _Prepared, synthetic: _Prepared,
               correlation_threshold=REAL_CORRELATION_THRESHOLD,
               association_threshold=REAL_ASSOCIATION_THRESHOLD) -> dict:
    continuous_1, continuous_2 = kind_1 in CONTINUOUS, kind_2 in CONTINUOUS
    row = {"column_1": name_1, "column_2": name_2, "real_correlation": None, "synthetic_correlation": None}
    if continuous_1 and continuous_2:
        row["metric"] = "CorrelationSimilarity"
        try:
            result = correlation_similarity(real.data[[name_1, name_2]], synthetic.data[[name_1, name_2]],
                                            correlation_threshold)
        except Incomputable:
            return {**row, "score": None, "meets_threshold": False}
        row["real_correlation"] = _nan_to_none(result["real"])
        row["synthetic_correlation"] = _nan_to_none(result["synthetic"])
        meets = correlation_threshold <= 0 or (
            not math.isnan(result["real"]) and abs(result["real"]) > correlation_threshold)
        return {**row, "score": _nan_to_none(result["score"]), "meets_threshold": meets}
    row["metric"] = "ContingencySimilarity"

    def columns_of(prepared: _Prepared):
        first = prepared.binned.get(name_1) if continuous_1 and not continuous_2 else prepared.data[name_1]
        second = prepared.binned.get(name_2) if continuous_2 and not continuous_1 else prepared.data[name_2]
        if first is None or second is None:
            raise Incomputable("could not be binned")
        return pd.DataFrame({"a": first.to_numpy(), "b": second.to_numpy()})

    try:
        result = contingency_similarity(columns_of(real), columns_of(synthetic), association_threshold)
    except Incomputable:
        return {**row, "score": None, "meets_threshold": False}
    meets = association_threshold <= 0 or (
        not math.isnan(result["real_association"]) and result["real_association"] > association_threshold)
    return {**row, "score": _nan_to_none(result["score"]), "meets_threshold": meets}


def column_pair_trends(real: pd.DataFrame, synthetic: pd.DataFrame, columns: dict, pairs=None) -> list[dict]:
    scored = {name: meta["sdtype"] for name, meta in columns.items() if meta.get("sdtype") in SCORED}
    prepared_real, prepared_synthetic = _Prepared(real, columns), _Prepared(synthetic, columns)
    pairs = itertools.combinations(list(columns), 2) if pairs is None else pairs
    details = []
    for name_1, name_2 in pairs:
        if name_1 not in scored or name_2 not in scored:
            continue
        details.append(pair_score(name_1, name_2, scored[name_1], scored[name_2], prepared_real,
                                  prepared_synthetic))
    return details


# --- multi-table ---------------------------------------------------------------------------------------------

def cardinality_distribution(parent_keys: pd.Series, child_keys: pd.Series) -> np.ndarray:
    """How many child rows each parent row has (0 for a childless parent)."""
    counts = child_keys.value_counts(dropna=False)
    return parent_keys.map(counts).fillna(0).to_numpy(dtype="float64")


def cardinality_shape_similarity(real: dict, synthetic: dict, relation: dict) -> float:
    parent, child = relation["parent_table_name"], relation["child_table_name"]
    real_counts = cardinality_distribution(real[parent][relation["parent_primary_key"]],
                                           real[child][relation["child_foreign_key"]])
    synthetic_counts = cardinality_distribution(synthetic[parent][relation["parent_primary_key"]],
                                                synthetic[child][relation["child_foreign_key"]])
    if real_counts.size == 0 or synthetic_counts.size == 0:
        raise Incomputable("no parent rows")
    return 1.0 - ks_statistic(real_counts, synthetic_counts)


def _denormalise(data: dict, relation: dict) -> pd.DataFrame:
    parent, child = relation["parent_table_name"], relation["child_table_name"]
    return data[child].add_prefix(f"{child}.").merge(
        data[parent].add_prefix(f"{parent}."),
        left_on=f"{child}.{relation['child_foreign_key']}", right_on=f"{parent}.{relation['parent_primary_key']}")


def intertable_trends(real: dict, synthetic: dict, metadata: dict, relation: dict) -> list[dict]:
    parent, child = relation["parent_table_name"], relation["child_table_name"]
    child_columns = {f"{child}.{c}": m for c, m in metadata["tables"][child]["columns"].items()}
    parent_columns = {f"{parent}.{c}": m for c, m in metadata["tables"][parent]["columns"].items()}
    details = column_pair_trends(_denormalise(real, relation), _denormalise(synthetic, relation),
                                 {**child_columns, **parent_columns},
                                 pairs=itertools.product(parent_columns, child_columns))
    for row in details:
        row.update(parent_table=parent, child_table=child,
                   column_1=row["column_1"][len(parent) + 1:], column_2=row["column_2"][len(child) + 1:])
    return details


# --- the report ----------------------------------------------------------------------------------------------

def _mean(scores) -> float | None:
    values = [s for s in scores if s is not None]
    return sum(values) / len(values) if values else None


def _thresholded_mean(details) -> float | None:
    return _mean(row["score"] for row in details if row["meets_threshold"])


def quality_report(real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame], metadata: dict) -> dict:
    """Scores every table of `metadata` and every relationship; real and synthetic map table -> DataFrame."""
    shapes, pairs, cardinality, intertable = [], [], [], []
    for table, table_meta in metadata["tables"].items():
        columns = table_meta["columns"]
        shapes += [{"table": table, **row} for row in column_shapes(real[table], synthetic[table], columns)]
        pairs += [{"table": table, **row} for row in column_pair_trends(real[table], synthetic[table], columns)]
    relations = metadata.get("relationships", [])
    for relation in relations:
        try:
            score = cardinality_shape_similarity(real, synthetic, relation)
        except Incomputable:
            score = None
        cardinality.append({"parent_table": relation["parent_table_name"],
                            "child_table": relation["child_table_name"],
                            "foreign_key": relation["child_foreign_key"], "metric": "CardinalityShapeSimilarity",
                            "score": score})
        intertable += intertable_trends(real, synthetic, metadata, relation)
    properties = {"column_shapes": _mean(row["score"] for row in shapes),
                  "column_pair_trends": _thresholded_mean(pairs)}
    if len(metadata["tables"]) > 1:
        properties["cardinality"] = _mean(row["score"] for row in cardinality)
        properties["intertable_trends"] = _thresholded_mean(intertable)
    return {
        "overall": _mean(properties.values()),
        "properties": properties,
        "details": {"column_shapes": shapes, "column_pair_trends": pairs, "cardinality": cardinality,
                    "intertable_trends": intertable},
    }
