"""The schema-language document (version 1.1) inferred from a profile.

What each column becomes, first match wins:

- a foreign key found by value inclusion: a `reference` to the parent's key; the child table's rows are
  `{per: <that column>, min, max}` with a Poisson of the mean child count when counts vary;
- the table's primary key: `sequence` for integers, a unique `string` with the values' pattern for codes;
- a PII finding: the finding's generator (a Faker provider, `iban`, `credit_card`; a national id: `national_id`
  of the finding's scheme, valid check digits included): never the sample's values;
- the table's correlated columns (numbers, dates, datetimes, categories; at least two): one `copula` group
  whose matrix is the correlation of the columns' normal scores and whose marginals are the 101 empirical
  quantiles of each column (categories: weighted choices); when the profile stratified the group
  (`correlations.given`), the stratifier is a choice of its values and every other column's marginal carries
  `given`: its quantiles or weights per stratifier value;
- otherwise alone: numbers and dates by their quantiles (a one-column copula), categories as weighted
  choices, booleans by their share, text by its most common pattern (codes) or as Faker sentences (free text).

Category values are real values: they are written only for columns whose list the user approved
(`approved`, a set of "table.column"); otherwise each category becomes a synthetic label (`<column>_1`, ...)
with the same weight. Categories rarer than RARE_SHARE are folded into one `other` value. Names of tables
and columns are made identifiers (lower case, `_` for anything else); `names` in the profile maps them.
"""

from __future__ import annotations

import re

import yaml

from .pii import generator_for
from .profiler import RARE_SHARE

MAX_PATTERN_CHARS = 200
OTHER = "other"


def identifier(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", name.strip().lower()) or "column"
    if not re.match(r"^[a-z_]", base):
        base = f"c_{base}"
    base = base[:60]
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base[:56]}_{n}"
        n += 1
    taken.add(candidate)
    return candidate


def spec_names(profile: dict) -> dict:
    """{sample table: {"name": spec table, "columns": {sample column: spec column}}}."""
    tables_taken: set[str] = set()
    names = {}
    for table, info in profile["tables"].items():
        taken: set[str] = set()
        names[table] = {"name": identifier(table, tables_taken),
                        "columns": {column: identifier(column, taken) for column in info["columns"]}}
    return names


def _categories(info: dict, approved: bool, label: str) -> tuple[list, list[float]]:
    values, weights, _ = _category_layout(info, approved, label)
    return values, weights


def _category_layout(info: dict, approved: bool, label: str) -> tuple[list, list[float], list[int]]:
    """(values, weights, the position in values of each of the profile's categories, None for a rare one, which
    is folded into `other`, the last value)."""
    kept, other, positions = [], 0.0, []
    categories = info.get("categories") or []
    for item in categories:
        if item["share"] < RARE_SHARE and len(categories) > 2:
            other += item["share"]
            positions.append(None)
        else:
            positions.append(len(kept))
            kept.append(item)
    values = [item["value"] for item in kept] if approved else [f"{label}_{i}" for i in range(1, len(kept) + 1)]
    weights = [round(item["share"], 6) for item in kept]
    if other > 0:
        fold = OTHER if OTHER not in values else f"{OTHER}_{label}"
        values.append(fold)
        weights.append(round(other, 6))
    if not values:
        values, weights = [f"{label}_1"], [1.0]
    return values, weights, positions


def _discrete_choice(info: dict) -> dict:
    """A number column with few distinct values as a choice of them (the stratifier of a copula group: rows
    are matched by value). Its values are its quantile points, so no more of the sample than its quantiles."""
    counts = sorted((item["value"], item["count"]) for item in info.get("top_values") or [])
    total = sum(count for _, count in counts) or 1
    return {"kind": "choice", "values": [value for value, _ in counts],
            "weights": [round(count / total, 6) for _, count in counts]}


def _given_marginal(marginal: dict, cinfo: dict, given: dict, rows_list: list, stratum_values: list,
                    approved: bool, label: str) -> dict:
    """The marginal with `given`: per stratum value, the column's quantiles or its category weights."""
    values, lists = [], []
    if marginal["kind"] == "choice":
        _, _, positions = _category_layout(cinfo, approved, label)
        for value, shares in zip(stratum_values, rows_list, strict=True):
            if value is None or shares is None or not sum(shares) > 0:
                continue
            weights = [0.0] * len(marginal["values"])
            for position, share in zip(positions, shares, strict=False):
                weights[len(weights) - 1 if position is None else position] += share
            values.append(value)
            lists.append([round(w, 6) for w in weights])
        key = "weights"
    else:
        for value, points in zip(stratum_values, rows_list, strict=True):
            if value is None or points is None:
                continue
            values.append(value)
            lists.append(points)
        key = "quantiles"
    if not values:
        return marginal
    return {**marginal, "given": {"column": given["spec_column"], "values": values, key: lists}}


def _stratum_values(cinfo: dict, given: dict, approved: bool, label: str) -> list:
    """The stratifier's values as the spec writes them (labels for a category list not approved; None for a
    value folded into `other`)."""
    if not cinfo.get("category"):
        return list(given["values"])
    values, _, positions = _category_layout(cinfo, approved, label)
    index = {str(c["value"]): i for i, c in enumerate(cinfo["categories"])}
    out = []
    for value in given["values"]:
        position = positions[index[str(value)]] if str(value) in index else None
        out.append(None if position is None else values[position])
    return out


def _bool_spec(info: dict) -> dict:
    share = next((c["share"] for c in info.get("categories") or [] if c["value"] is True), 0.0)
    return {"type": "boolean", "probability": round(share, 6)}


def _marginal(info: dict, approved: bool, label: str) -> dict | None:
    kind = info["kind"]
    if info.get("category") and kind != "bool":
        values, weights = _categories(info, approved, label)
        return {"kind": "choice", "values": values, "weights": weights}
    quantiles = info.get("quantiles")
    if kind in ("int", "float", "date", "datetime") and quantiles:
        marginal = {"kind": kind, "quantiles": quantiles}
        if kind == "float":
            marginal["precision"] = int(info.get("decimals", 2))
        return marginal
    return None


def _text_spec(info: dict, unique: bool) -> dict:
    patterns = info.get("patterns") or []
    top = patterns[0] if patterns else None
    length = info.get("length") or {}
    if top and top["share"] >= 0.9 and len(top["regex"]) <= MAX_PATTERN_CHARS and (length.get("max") or 0) <= 60 \
            and " " not in top["regex"]:
        return {"type": "string", "pattern": top["regex"], **({"unique": True} if unique else {})}
    if (length.get("mean") or 0) > 30:
        return {"type": "faker", "provider": "sentence"}
    low, high = max(1, length.get("min") or 1), max(1, min(length.get("max") or 8, 200))
    return {"type": "string", "length": {"min": low, "max": high}, **({"unique": True} if unique else {})}


def _is_code(info: dict) -> bool:
    patterns = info.get("patterns") or []
    return info["kind"] == "string" and bool(patterns) and patterns[0]["share"] >= 0.9 and (
        (info.get("length") or {}).get("max") or 0) <= 60 and " " not in patterns[0]["regex"]


def _with_nulls(spec: dict, info: dict) -> dict:
    share = info.get("null_share") or 0.0
    if share > 0:
        spec["null_ratio"] = round(min(share, 1.0), 6)
    return spec


def infer_spec(profile: dict, *, approved: set[str] | frozenset[str] = frozenset(), name: str = "inferred",
               seed: int = 0) -> dict:
    names = spec_names(profile)
    fks = {(fk["table"], fk["column"]): fk for fk in profile.get("foreign_keys", [])}
    tables_out: dict = {}
    for table, info in profile["tables"].items():
        table_names = names[table]
        columns_out: dict = {}
        primary = info.get("primary_key")
        correlations = info.get("correlations") or {}
        group_columns = correlations.get("columns") or []
        given = correlations.get("given")
        stratum_values: list = []
        if given is not None:
            by = given["column"]
            given = {**given, "spec_column": table_names["columns"][by]}
            stratum_values = _stratum_values(info["columns"][by], given, f"{table}.{by}" in approved,
                                             table_names["columns"][by])
        rows: object = max(1, int(info["rows"]))
        for column, cinfo in info["columns"].items():
            spec_name = table_names["columns"][column]
            label = spec_name
            fk = fks.get((table, column))
            if fk is not None:
                parent = names[fk["parent"]]
                columns_out[spec_name] = {"type": "reference", "table": parent["name"],
                                          "column": parent["columns"][fk["parent_column"]]}
                if not isinstance(rows, dict):
                    rows = _per_parent(spec_name, fk)
                continue
            if column == primary:
                if cinfo["kind"] == "int":
                    start = cinfo.get("min") if isinstance(cinfo.get("min"), int) else 1
                    columns_out[spec_name] = {"type": "sequence", "start": start, "step": 1}
                else:
                    columns_out[spec_name] = _text_spec(cinfo, unique=True)
                continue
            pii_generator = None
            for finding in cinfo.get("pii") or []:
                if finding["evidence"] == "name" and _is_code(cinfo):
                    continue  # named like PII, written like a code: its pattern generates it (format-preserving)
                pii_generator = generator_for(finding["kind"], finding.get("scheme"))
                if pii_generator is not None:
                    break
            if pii_generator is not None:
                columns_out[spec_name] = _with_nulls({**pii_generator, "pii": True}, cinfo)
                continue
            approved_here = f"{table}.{column}" in approved
            if column in group_columns:
                marginal = _marginal(cinfo, approved_here, label)
                if given is not None and column == given["column"] and marginal["kind"] != "choice":
                    marginal = _discrete_choice(cinfo)
                elif given is not None and column in given["columns"]:
                    marginal = _given_marginal(marginal, cinfo, given, given["columns"][column], stratum_values,
                                               approved_here, label)
                columns_out[spec_name] = _with_nulls({
                    "type": "copula", "group": "correlated", "index": group_columns.index(column),
                    "correlation": correlations["matrix"], "marginal": marginal}, cinfo)
                continue
            if cinfo["kind"] == "bool":
                columns_out[spec_name] = _with_nulls(_bool_spec(cinfo), cinfo)
                continue
            marginal = _marginal(cinfo, approved_here, label)
            if marginal is not None and marginal["kind"] == "choice":
                columns_out[spec_name] = _with_nulls({"type": "choice", "values": marginal["values"],
                                                      "weights": marginal["weights"]}, cinfo)
            elif marginal is not None:
                columns_out[spec_name] = _with_nulls({"type": "copula", "group": f"alone_{spec_name}", "index": 0,
                                                      "correlation": [[1.0]], "marginal": marginal}, cinfo)
            elif cinfo["kind"] == "string":
                columns_out[spec_name] = _with_nulls(_text_spec(cinfo, unique=False), cinfo)
            else:
                columns_out[spec_name] = {"type": "constant", "value": None}
        table_out: dict = {"rows": rows}
        if primary is not None and primary in table_names["columns"]:
            table_out["primary_key"] = table_names["columns"][primary]
        table_out["columns"] = columns_out
        tables_out[table_names["name"]] = table_out
    return {"version": 1.1, "name": name, "seed": seed,
            "description": "Inferred from a profile of sample data; review before use.", "tables": tables_out}


def _per_parent(column: str, fk: dict) -> dict:
    counts = fk["child_counts"]
    low, high = int(counts["min"]), int(max(counts["max"], counts["min"]))
    rows: dict = {"per": column, "min": low, "max": high}
    if high > low:
        rows["distribution"] = {"poisson": {"lam": max(0.01, float(counts["mean"]))}}
    return rows


class _SpecDumper(yaml.SafeDumper):
    """No anchors (the schema language refuses them; shared matrices are written out in full), and lists of
    scalars on one line (matrices and quantiles stay readable)."""

    def ignore_aliases(self, data):
        return True


def _represent_list(dumper, data):
    flow = all(not isinstance(item, dict | list) for item in data) or all(
        isinstance(item, list) and all(not isinstance(v, dict | list) for v in item) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow and len(data) > 0)


_SpecDumper.add_representer(list, _represent_list)


def spec_yaml(spec: dict) -> str:
    """The spec as YAML text the schema language reads back to the same document."""
    return yaml.dump(spec, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, width=120)
