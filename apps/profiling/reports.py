"""The quality and privacy report of synthetic tables against their sample: what each column is, the tables
brought to comparable types, the scores, and the aggregates the charts draw (never a row of the sample).

Each column gets an SDMetrics sdtype: from the spec's column type when there is a spec, else from the data.
Keys (sequences, uuids, references, primary keys) are `id` and personal-data columns are `pii`: neither is
scored as a shape, and both are left out of the privacy comparison (keys are unique by construction, PII is
generated from providers, never from the sample).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import privacy, quality

TYPE_SDTYPES = {
    "integer": "numerical", "float": "numerical", "date": "datetime", "datetime": "datetime",
    "boolean": "boolean", "choice": "categorical", "constant": "categorical",
    "sequence": "id", "uuid": "id", "reference": "id",
}
HISTOGRAM_BINS = 20
MAX_CATEGORIES_DRAWN = 20
# A text column with at most this many distinct values (or this share of its rows) is a category.
CATEGORY_MAX_DISTINCT = 50
CATEGORY_MAX_SHARE = 0.2
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def _spec_columns(spec: dict | None, table: str) -> dict:
    return (((spec or {}).get("tables") or {}).get(table) or {}).get("columns") or {}


def sdtype_of_data(series: pd.Series) -> str:
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_numeric_dtype(series):
        if pd.api.types.is_integer_dtype(series) and len(values) > 1 and values.is_unique \
                and values.is_monotonic_increasing:
            return "id"
        return "numerical"
    distinct = values.nunique()
    if distinct <= CATEGORY_MAX_DISTINCT or distinct <= CATEGORY_MAX_SHARE * max(len(values), 1):
        return "categorical"
    return "text"


def metadata_for(real: dict[str, pd.DataFrame], spec: dict | None = None) -> dict:
    """SDMetrics metadata of the sample tables: sdtypes, primary keys and the spec's references."""
    tables, relationships = {}, []
    for table, frame in real.items():
        spec_columns = _spec_columns(spec, table)
        primary_key = (((spec or {}).get("tables") or {}).get(table) or {}).get("primary_key")
        columns = {}
        for name in frame.columns:
            column = spec_columns.get(name)
            if isinstance(column, dict) and (column.get("pii") or column.get("type") in privacy.PII_TYPES):
                sdtype = "pii"
            elif isinstance(column, dict) and column.get("unique") or name == primary_key:
                sdtype = "id"
            elif isinstance(column, dict) and column.get("type") in TYPE_SDTYPES:
                sdtype = TYPE_SDTYPES[column["type"]]
            else:
                sdtype = sdtype_of_data(frame[name])
            columns[name] = {"sdtype": sdtype}
            if isinstance(column, dict) and column.get("type") == "reference" and column.get("table") in real:
                parent = column["table"]
                parent_key = column.get("column") or ((spec["tables"].get(parent) or {}).get("primary_key"))
                if parent_key:
                    relationships.append({"parent_table_name": parent, "parent_primary_key": parent_key,
                                          "child_table_name": table, "child_foreign_key": name})
        tables[table] = {"columns": columns, **({"primary_key": primary_key} if primary_key else {})}
    return {"tables": tables, "relationships": relationships}


def typed_text(series: pd.Series) -> pd.Series:
    """A text column read from CSV or JSON as numbers or datetimes when every value reads as one."""
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return series
    values = series.dropna().astype(str)
    if values.empty:
        return series
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        return pd.to_numeric(series.where(series.notna(), None), errors="coerce")
    if values.str.fullmatch(_ISO_DATE).all():
        return _as_datetime(series)
    lowered = values.str.lower()
    if lowered.isin(["true", "false"]).all():
        return series.map(lambda v: None if pd.isna(v) else str(v).lower() == "true").astype("boolean")
    return series


def _as_datetime(series: pd.Series) -> pd.Series:
    converted = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601")
    return converted.dt.tz_localize(None)


def _category_text(value) -> str | None:
    """One text per category whatever its type on either side: True/"true", 1/1.0/"1" compare equal."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def aligned(real: pd.DataFrame, synthetic: pd.DataFrame, columns: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables with every scored column in one type, so the same value compares equal on both sides."""
    real, synthetic = real.copy(), synthetic.copy()
    for name, meta in columns.items():
        if name not in synthetic.columns:
            synthetic[name] = pd.Series([None] * len(synthetic), index=synthetic.index, dtype="object")
        sdtype = meta["sdtype"]
        for frame in (real, synthetic):
            column = frame[name]
            if sdtype == "numerical":
                frame[name] = pd.to_numeric(column, errors="coerce").astype("float64")
            elif sdtype == "datetime":
                frame[name] = column.dt.tz_localize(None) if isinstance(column.dtype, pd.DatetimeTZDtype) \
                    else (column if pd.api.types.is_datetime64_any_dtype(column) else _as_datetime(column))
            elif sdtype in ("categorical", "boolean"):
                frame[name] = column.map(_category_text).astype("object")
    return real, synthetic[list(real.columns)]


def _histogram(real: pd.Series, synthetic: pd.Series, sdtype: str) -> dict:
    """Shares of rows per bin (numbers, datetimes) or per category; categories are named by rank only."""
    if sdtype in quality.CONTINUOUS:
        real_n = quality._as_numbers(real.dropna()).astype("float64").to_numpy()
        synthetic_n = quality._as_numbers(synthetic.dropna()).astype("float64").to_numpy()
        if real_n.size == 0:
            return {"kind": "numbers", "edges": [], "real": [], "synthetic": []}
        edges = np.histogram_bin_edges(real_n, bins=HISTOGRAM_BINS)
        real_counts, _ = np.histogram(real_n, bins=edges)
        synthetic_counts, _ = np.histogram(synthetic_n, bins=edges)
        outside = int(((synthetic_n < edges[0]) | (synthetic_n > edges[-1])).sum())
        return {"kind": "dates" if sdtype == "datetime" else "numbers", "edges": edges.tolist(),
                "real": (real_counts / max(real_n.size, 1)).tolist(),
                "synthetic": (synthetic_counts / max(synthetic_n.size, 1)).tolist(),
                "synthetic_outside": outside / max(synthetic_n.size, 1)}
    real_shares = real.dropna().value_counts(normalize=True)
    synthetic_shares = synthetic.dropna().value_counts(normalize=True)
    top = list(real_shares.index[:MAX_CATEGORIES_DRAWN])
    return {"kind": "categories", "labels": [f"#{rank + 1}" for rank in range(len(top))],
            "real": [float(real_shares[v]) for v in top],
            "synthetic": [float(synthetic_shares.get(v, 0.0)) for v in top],
            "other_real": float(1 - real_shares[top].sum()) if top else 0.0,
            "other_synthetic": float(1 - synthetic_shares.reindex(top, fill_value=0).sum())}


def _correlations(frame: pd.DataFrame, names: list[str]) -> list[list[float | None]]:
    numbers = pd.DataFrame({n: quality._as_numbers(frame[n]).astype("float64") for n in names})
    matrix = numbers.corr(method="pearson").to_numpy()
    return [[None if np.isnan(v) else round(float(v), 4) for v in row] for row in matrix]


def build_report(real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame], spec: dict | None = None,
                 progress=None) -> dict:
    """The full report; `progress(share)` is called as tables are done."""
    missing = [table for table in real if table not in synthetic]
    if missing:
        raise ValueError(f"no synthetic rows for table(s) {', '.join(missing)}")
    metadata = metadata_for(real, spec)
    real_aligned, synthetic_aligned = {}, {}
    for table, table_meta in metadata["tables"].items():
        real_aligned[table], synthetic_aligned[table] = aligned(real[table], synthetic[table],
                                                                table_meta["columns"])
    result = quality.quality_report(real_aligned, synthetic_aligned, metadata)
    tables = {}
    for done, (table, table_meta) in enumerate(metadata["tables"].items(), start=1):
        columns = table_meta["columns"]
        scored = [n for n, m in columns.items() if m["sdtype"] in quality.SCORED]
        continuous = [n for n in scored if columns[n]["sdtype"] in quality.CONTINUOUS]
        tables[table] = {
            "rows": {"sample": len(real[table]), "synthetic": len(synthetic[table])},
            "sdtypes": {n: m["sdtype"] for n, m in columns.items()},
            "histograms": {n: _histogram(real_aligned[table][n], synthetic_aligned[table][n], columns[n]["sdtype"])
                           for n in scored},
            "correlations": {"columns": continuous,
                             "real": _correlations(real_aligned[table], continuous),
                             "synthetic": _correlations(synthetic_aligned[table], continuous)},
            "privacy": privacy.privacy_report(real_aligned[table], synthetic_aligned[table], scored, spec=spec,
                                              table=table),
        }
        if progress:
            progress(done / len(metadata["tables"]))
    return {"quality": result, "tables": tables, "relationships": metadata["relationships"],
            "definitions": "sdmetrics 0.32 QualityReport"}
