"""`bench fidelity`: how close and how private synthetic tables are to real public tables, with sdmetrics as
the ruler and copulas' GaussianMultivariate as the peer, measured in one run.

Data: tables statsmodels ships (no download): fair (6,366 rows), anes96 (944), randhie (20,190), and the
modechoice panel split into a parent (210 individuals: income, party size) and a child (4 travel modes each).
For each: SynthHub (profile -> inferred spec -> generate, when the inference is present) and the peer fitted on
the same sample generate as many rows as the sample has; each is scored with sdmetrics' QualityReport and
SynthHub's privacy figures (exact-copy rate, median distance to the closest record vs a holdout half).

sdmetrics, copulas and statsmodels are development dependencies: this benchmark needs the dev install.
"""

from __future__ import annotations

import importlib
import time
import warnings

import numpy as np

HELP = "Fidelity and privacy of synthetic tables vs real public ones (sdmetrics as ruler, copulas as peer)"
TARGETS = {"quality": 0.90, "pair_trends": 0.85, "exact_copy_rate": 0.001}
# The exact-copy target is for tables whose rows are not duplicates by nature. A table is counted as one whose
# rows collide by nature when a row of one random half of the sample equals a row of the other half at least
# this often (ten times the target): a generator that drew new rows from the sample's own distribution would
# copy at about that rate, so there the synthetic rate is held to the sample's own rate instead.
NATURAL_COPY_RATE = 0.01
SEED = 42


def add_arguments(parser):
    parser.add_argument("--tables", default="fair,anes96,randhie,modechoice",
                        help="Comma-separated data sets (default: all four).")


def _need(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ValueError(f"bench fidelity needs the development dependencies ({module} is not installed): "
                         "pip install -e '.[dev]'") from exc


def load_datasets(names) -> dict[str, dict]:
    """name -> {"tables": {table: DataFrame}, "spec_hint": relationships as a spec fragment}."""
    datasets = _need("statsmodels.datasets")
    out = {}
    for name in names:
        if name == "modechoice":
            data = datasets.modechoice.load_pandas().data
            data = data.astype({"individual": "int64", "mode": "int64", "choice": "int64"})
            people = data.groupby("individual", as_index=False)[["hinc", "psize"]].first()
            modes = data.drop(columns=["hinc", "psize"]).reset_index(drop=True)
            modes.insert(0, "trip_id", np.arange(len(modes)))
            spec = {"tables": {"individuals": {"primary_key": "individual", "columns": {}},
                               "modes": {"primary_key": "trip_id", "columns": {
                                   "individual": {"type": "reference", "table": "individuals"},
                                   "mode": {"type": "choice"}, "choice": {"type": "choice"}}}}}
            out[name] = {"tables": {"individuals": people, "modes": modes}, "spec": spec}
        elif name in ("fair", "anes96", "randhie"):
            frame = getattr(datasets, name).load_pandas().data.reset_index(drop=True)
            out[name] = {"tables": {name: frame}, "spec": None}
        else:
            raise ValueError(f"unknown data set {name!r} (fair, anes96, randhie, modechoice)")
    return out


def _peer_table(frame, rows: int, seed: int):
    """copulas' GaussianMultivariate on the numeric coding of the table; categories and integers restored."""
    multivariate = _need("copulas.multivariate")
    import pandas as pd

    coded, restore = {}, {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            coded[name] = column.astype("float64")
            integral = bool((column.dropna() % 1 == 0).all())
            restore[name] = ("int", None) if integral else ("float", None)
        else:
            codes, uniques = pd.factorize(column)
            coded[name] = codes.astype("float64")
            restore[name] = ("category", uniques)
    np.random.seed(seed)  # copulas draws from numpy's global generator
    # SDV's GaussianCopulaSynthesizer fits beta marginals by default; copulas' own default tries a KDE per
    # column too, whose sampling takes minutes on a few thousand rows.
    model = multivariate.GaussianMultivariate(distribution="copulas.univariate.BetaUnivariate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(pd.DataFrame(coded))
        sampled = model.sample(rows)
    out = {}
    for name, (kind, uniques) in restore.items():
        values = sampled[name].to_numpy()
        if kind == "int":
            out[name] = np.clip(np.round(values), frame[name].min(), frame[name].max()).astype(frame[name].dtype)
        elif kind == "category":
            out[name] = uniques[np.clip(np.round(values), 0, len(uniques) - 1).astype(int)]
        else:
            out[name] = values
    return pd.DataFrame(out)


def peer_generate(dataset: dict) -> dict:
    tables = dataset["tables"]
    if "modes" not in tables:
        return {name: _peer_table(frame, len(frame), SEED) for name, frame in tables.items()}
    # Parent-child: parents from the copula, each with a child count drawn from the real per-parent counts,
    # children from a copula over the child columns (GaussianMultivariate is single-table).
    import pandas as pd

    rng = np.random.default_rng(SEED)
    people = _peer_table(tables["individuals"], len(tables["individuals"]), SEED)
    people["individual"] = np.arange(1, len(people) + 1)
    counts = rng.choice(tables["modes"].groupby("individual").size().to_numpy(), len(people))
    children = _peer_table(tables["modes"].drop(columns=["trip_id", "individual"]), int(counts.sum()), SEED + 1)
    children.insert(0, "individual", np.repeat(people["individual"].to_numpy(), counts))
    children.insert(0, "trip_id", np.arange(len(children)))
    return {"individuals": people, "modes": pd.DataFrame(children)}


def synthhub_generate(dataset: dict):
    """Profile -> inferred spec (every category list approved: the benchmark's data is public) -> generate as
    many rows as the sample has. Returns (tables, None), or (None, why) when the profiler is not installed."""
    try:
        from apps.profiling.infer import infer_spec, spec_names
        from apps.profiling.profiler import TableSource, profile_tables
    except ImportError:
        return None, "not run: the profiler and spec inference (apps.profiling.profiler, .infer) are not installed"
    import pandas as pd
    import pyarrow as pa

    from apps.generation.engine import generate_chunk, parse_spec, plan

    tables = dataset["tables"]
    sources = [TableSource(name=name, rows=len(frame),
                           batches=lambda f=frame: iter(pa.Table.from_pandas(f, preserve_index=False).to_batches(
                               max_chunksize=65_536)))
               for name, frame in tables.items()]
    profile = profile_tables(sources)
    approved = {f"{table}.{column}" for table, frame in tables.items() for column in frame.columns}
    document = infer_spec(profile, approved=approved, name="bench", seed=SEED)
    names = spec_names(profile)
    the_plan = plan(parse_spec(document), seed=SEED)
    out = {}
    for table in tables:
        spec_table = names[table]["name"]
        batch = generate_chunk(the_plan, spec_table, 0, the_plan.row_counts[spec_table])
        back = {spec: sample for sample, spec in names[table]["columns"].items()}
        out[table] = pd.DataFrame(batch.columns).rename(columns=back)
    return out, None


def score(real: dict, synthetic: dict, spec) -> dict:
    from .privacy import distance_to_closest_record, exact_copy_rate
    from .reports import aligned, metadata_for

    reports = _need("sdmetrics.reports")
    metadata = metadata_for(real, spec)
    real_a, synthetic_a = {}, {}
    for table, meta in metadata["tables"].items():
        real_a[table], synthetic_a[table] = aligned(real[table], synthetic[table], meta["columns"])
    report = reports.QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real_a, synthetic_a, metadata, verbose=False)
    properties = dict(zip(report.get_properties()["Property"], report.get_properties()["Score"], strict=True))
    copies, dcr_synthetic, dcr_holdout = [], [], []
    rng = np.random.default_rng(SEED)
    for table, meta in metadata["tables"].items():
        compared = [c for c, m in meta["columns"].items() if m["sdtype"] not in ("id", "pii")]
        # The baseline: how often a real row of one half of the sample equals a row of the other half. A
        # table of few discrete columns has copies by nature (NATURAL_COPY_RATE).
        order = rng.permutation(len(real_a[table]))
        half = len(order) // 2
        holdout_copies = exact_copy_rate(real_a[table].iloc[order[:half]], real_a[table].iloc[order[half:]],
                                         compared) or 0.0
        distinct = len(real_a[table][compared].drop_duplicates()) / max(1, len(real_a[table]))
        copies.append((exact_copy_rate(real_a[table], synthetic_a[table], compared) or 0.0, holdout_copies,
                       distinct))
        dcr = distance_to_closest_record(real_a[table], synthetic_a[table], compared) or {}
        dcr_synthetic.append(dcr.get("synthetic_median", float("nan")))
        dcr_holdout.append(dcr.get("holdout_median", float("nan")))
    return {"quality": float(report.get_score()), "pair_trends": float(properties["Column Pair Trends"]),
            "exact_copy_rate": max(copies)[0], "holdout_copy_rate": max(copies)[1],
            "sample_distinct_share": max(copies)[2],
            "dcr_synthetic": min(dcr_synthetic), "dcr_holdout": min(dcr_holdout)}


def _line(name: str, who: str, figures: dict | None, note: str = "") -> str:
    if figures is None:
        return f"{name:<11} {who:<9} {note}"
    flags = []
    if figures["quality"] < TARGETS["quality"]:
        flags.append("quality MISSED")
    if figures["pair_trends"] < TARGETS["pair_trends"]:
        flags.append("pair trends MISSED")
    if figures["exact_copy_rate"] > TARGETS["exact_copy_rate"]:
        if figures["holdout_copy_rate"] >= NATURAL_COPY_RATE:
            flags.append(f"copies target n/a (the sample's own rows collide: holdout "
                         f"{figures['holdout_copy_rate'] * 100:.2f}% >= {NATURAL_COPY_RATE * 100:.0f}%)")
            if figures["exact_copy_rate"] > figures["holdout_copy_rate"]:
                flags.append("copies above the sample's own rate MISSED")
        else:
            flags.append("copies MISSED")
    if figures["dcr_synthetic"] < figures["dcr_holdout"]:
        flags.append("DCR MISSED")
    return (f"{name:<11} {who:<9} quality {figures['quality']:.3f}  pair trends {figures['pair_trends']:.3f}  "
            f"exact copies {figures['exact_copy_rate'] * 100:.2f}% "
            f"(holdout {figures['holdout_copy_rate'] * 100:.2f}%, distinct sample rows "
            f"{figures['sample_distinct_share'] * 100:.1f}%)  DCR median synthetic "
            f"{figures['dcr_synthetic']:.4f} vs holdout {figures['dcr_holdout']:.4f}  {note}"
            f"{'; '.join(flags) or 'targets met'}")


def run(options: dict, write) -> dict:
    names = [n.strip() for n in options.get("tables", "fair,anes96,randhie,modechoice").split(",") if n.strip()]
    datasets = load_datasets(names)
    write(f"bench fidelity: targets quality >= {TARGETS['quality']}, pair trends >= {TARGETS['pair_trends']}, "
          f"exact copies <= {TARGETS['exact_copy_rate'] * 100:.1f}%, DCR synthetic >= holdout (medians)")
    results = {}
    for name, dataset in datasets.items():
        rows = ", ".join(f"{t} {len(f)} rows" for t, f in dataset["tables"].items())
        write(f"{name}: {rows}")
        started = time.perf_counter()
        synthetic, reason = synthhub_generate(dataset)
        ours = score(dataset["tables"], synthetic, dataset["spec"]) if synthetic is not None else None
        write(_line(name, "synthhub", ours, reason or f"({time.perf_counter() - started:.1f}s) "))
        started = time.perf_counter()
        peer = score(dataset["tables"], peer_generate(dataset), dataset["spec"])
        write(_line(name, "copulas", peer, f"({time.perf_counter() - started:.1f}s) "))
        results[name] = {"synthhub": ours, "copulas": peer}
    return results
