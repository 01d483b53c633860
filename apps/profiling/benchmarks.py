"""`bench profiling`: profiling plus inference of a 100,000 x 20 sample, and generation from the inferred spec.

The sample is made here (deterministic numpy: correlated numbers, dates, categories, codes, emails, names,
free text), written as CSV, then in a fresh child process pinned to one core: the CSV is checked and copied
to Parquet as an upload is, profiled and the spec inferred (timed together), then the inferred spec generates
`--generate-rows` rows of the table (timed), and the same count of only its copula columns.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from apps.core.benchmarking import peak_rss_mb, run_in_child, verdict

HELP = "profiling + spec inference of a 100,000 x 20 sample on one core, and generation from the inferred spec"

TARGET_PROFILE_SECONDS = 30.0
TARGET_GENERATE_ROWS_PER_SECOND = 100_000

_FIRST = ["Anna", "James", "Maria", "Robert", "Linda", "Michael", "Sarah", "David", "Laura", "Thomas"]
_SEGMENTS = ["retail", "pro", "enterprise", "public", "education"]
_WORDS = ["order", "late", "parcel", "refund", "thanks", "quality", "support", "delivery", "price", "again"]


_HOLDERS_FIRST = ["Jan", "Giulia", "Hans", "Sofía", "Lars", "Marie", "Wiktoria", "Aino", "Taro", "Anouk", "James"]
_HOLDERS_LAST = ["de Vries", "Rossi", "Müller", "García", "Johansson", "Dubois", "Kowalski", "Virtanen", "Yamada",
                 "Jansen", "Smith"]
_STREETS = ["{n} Main Street", "Hauptstraße {n}", "Kerkstraat {n}", "{n} rue de la Paix", "Via Roma {n}",
            "Calle Mayor, {n}", "Storgatan {n}"]


def _pii_columns(rows: int, rng: np.random.Generator) -> dict[str, list[str]]:
    """The PII-rich variant's text columns: names of several locales, Dutch BSNs (11-test), addresses of
    several countries, national phone numbers, and notes of which a third carry an IBAN."""
    from apps.generation.engine.domain import iban

    first = np.asarray(_HOLDERS_FIRST)[rng.integers(0, len(_HOLDERS_FIRST), rows)]
    last = np.asarray(_HOLDERS_LAST)[rng.integers(0, len(_HOLDERS_LAST), rows)]
    digits = rng.integers(0, 10, (rows * 2, 8))
    check = (digits @ np.arange(9, 1, -1)) % 11
    digits, check = digits[check < 10][:rows], check[check < 10][:rows]
    bsn = ["".join(map(str, d)) + str(c) for d, c in zip(digits.tolist(), check.tolist(), strict=True)]
    ibans = iban(rng, rows)
    return {
        "holder": [f"{a} {b}" for a, b in zip(first.tolist(), last.tolist(), strict=True)],
        "national_id": bsn,
        "street": [_STREETS[i % len(_STREETS)].format(n=1 + i % 300) for i in range(rows)],
        "phone": [f"06 {10_000_000 + (i * 7919) % 90_000_000}" for i in range(rows)],
        "note": [f"please move the refund to {ibans[i]} before friday" if i % 3 == 0 else
                 " ".join(_WORDS[(i + k) % 10] for k in range(8)) for i in range(rows)],
    }


def write_sample(path: Path, rows: int, seed: int = 11, pii_rich: bool = False) -> None:
    """rows x 20 columns of look-real data: 8 correlated numbers, 2 dates, 3 categories, 7 text columns; with
    `pii_rich` five of the text columns hold names, national ids, addresses, phones and notes with IBANs."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((rows, 3))
    age = np.clip(np.rint(45 + 14 * latent[:, 0]), 18, 90).astype(int)
    income = np.round(np.exp(10 + 0.4 * latent[:, 0] + 0.3 * latent[:, 1]), 2)
    spend = np.round(income * 0.02 * np.exp(0.3 * rng.standard_normal(rows)), 2)
    visits = rng.poisson(np.exp(1 + 0.3 * latent[:, 1]))
    score = np.round(rng.beta(2, 5, rows) * 100, 1)
    balance = np.round(1000 * latent[:, 2] + 50 * latent[:, 0], 2)
    tenure = np.clip(np.rint(age / 4 + 3 * rng.standard_normal(rows)), 0, None).astype(int)
    rating = np.clip(np.rint(3 + latent[:, 1]), 1, 5).astype(int)
    signup = np.datetime64("2015-01-01") + rng.integers(0, 3650, rows).astype("timedelta64[D]")
    last_seen = signup + rng.integers(0, 400, rows).astype("timedelta64[D]")
    segment = np.asarray(_SEGMENTS)[np.minimum((rng.random(rows) ** 2 * 5).astype(int), 4)]
    region = np.asarray(["north", "south", "east", "west"])[rng.integers(0, 4, rows)]
    active = rng.random(rows) < 0.7
    pii = _pii_columns(rows, rng) if pii_rich else None
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        header = ["id", "first_name", "email", "age", "income", "spend", "visits", "score", "balance",
                  "tenure", "rating", "signup", "last_seen", "segment", "region", "active", "code",
                  "phone", "note", "city_code"]
        replaced = {"first_name": "holder", "code": "national_id", "city_code": "street"} if pii else {}
        writer.writerow([replaced.get(name, name) for name in header])
        for i in range(rows):
            if pii is not None:
                name = pii["holder"][i].split()[0]
                writer.writerow([
                    i + 1, pii["holder"][i], f"{name.lower()}.{i}@example.org", age[i], income[i], spend[i], visits[i],
                    score[i], balance[i], tenure[i], rating[i], signup[i], last_seen[i], segment[i], region[i],
                    "true" if active[i] else "false", pii["national_id"][i], pii["phone"][i], pii["note"][i],
                    pii["street"][i],
                ])
                continue
            name = _FIRST[i % 10]
            writer.writerow([
                i + 1, name, f"{name.lower()}.{i}@example.org", age[i], income[i], spend[i], visits[i], score[i],
                balance[i], tenure[i], rating[i], signup[i], last_seen[i], segment[i], region[i],
                "true" if active[i] else "false", f"{chr(65 + i % 26)}{chr(65 + (i // 26) % 26)}-{10000 + i % 90000}",
                f"+1 555 {100 + i % 900} {1000 + i % 9000}", " ".join(_WORDS[(i + k) % 10] for k in range(8)),
                f"C{i % 300:03d}",
            ])


def _pin() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def _child(csv_path: str, generate_rows: int, connection) -> None:
    try:
        core = _pin()
        from apps.generation.engine import generate_chunk, parse_spec, plan
        from apps.profiling.infer import infer_spec
        from apps.profiling.profiler import TableSource, profile_tables
        from apps.profiling.readers import convert_to_parquet, iter_stored

        startup = peak_rss_mb()
        with tempfile.TemporaryDirectory() as work:
            started, cpu = time.perf_counter(), time.process_time()
            parquet = str(Path(work) / "sample.parquet")
            with open(csv_path, "rb") as handle:
                result = convert_to_parquet(handle, "csv", parquet, max_bytes=1 << 31)
            profile = profile_tables([TableSource("customers", lambda: iter_stored(parquet), result.row_count)])
            spec = infer_spec(profile)
            parse_spec(spec)
            profile_seconds = time.perf_counter() - started
            profile_cpu = time.process_time() - cpu
        table = spec["tables"]["customers"]
        table["rows"] = generate_rows
        copula_columns = [n for n, c in table["columns"].items() if c["type"] == "copula"]
        the_plan = plan(parse_spec(spec), seed=1)
        started, cpu = time.perf_counter(), time.process_time()
        for chunk in the_plan.chunks:
            generate_chunk(the_plan, "customers", chunk.start, chunk.stop).json_rows()
        full_seconds, full_cpu = time.perf_counter() - started, time.process_time() - cpu
        only = {**spec, "tables": {"customers": {"rows": generate_rows, "columns": {
            n: table["columns"][n] for n in copula_columns}}}}
        only_plan = plan(parse_spec(only), seed=1)
        started, cpu = time.perf_counter(), time.process_time()
        for chunk in only_plan.chunks:
            generate_chunk(only_plan, "customers", chunk.start, chunk.stop).json_rows()
        copula_seconds, copula_cpu = time.perf_counter() - started, time.process_time() - cpu
        connection.send(("ok", {
            "core": core, "rows": result.row_count, "columns": len(result.columns), "profile_seconds": profile_seconds,
            "profile_cpu_seconds": profile_cpu, "full_cpu_rows_per_second": generate_rows / full_cpu,
            "copula_cpu_rows_per_second": generate_rows / copula_cpu,
            "generate_rows": generate_rows, "full_rows_per_second": generate_rows / full_seconds,
            "copula_rows_per_second": generate_rows / copula_seconds, "copula_columns": len(copula_columns),
            "startup_rss_mb": startup, "peak_rss_mb": peak_rss_mb(),
            "pii": sorted({f["kind"] + (f" ({f['scheme']})" if f.get("scheme") else "") for f in profile["pii"]}),
        }))
    except BaseException as exc:
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the sample (default 100,000)")
    parser.add_argument("--generate-rows", type=int, default=500_000,
                        help="rows generated from the inferred spec (default 500,000)")
    parser.add_argument("--pii-rich", action="store_true",
                        help="five text columns hold names, BSNs, addresses, national phones and notes with IBANs")


def run(options: dict, write) -> dict:
    rows, generate_rows = int(options["rows"]), int(options["generate_rows"])
    if rows < 100 or generate_rows < 1000:
        raise ValueError("--rows must be at least 100 and --generate-rows at least 1000")
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "customers.csv"
        write_sample(path, rows, pii_rich=bool(options.get("pii_rich")))
        size = path.stat().st_size
        figures = run_in_child(_child, str(path), generate_rows, name="bench-profiling")
    figures["csv_bytes"] = size
    variant = ", PII-rich" if options.get("pii_rich") else ""
    write(f"sample: {figures['rows']:,} rows x {figures['columns']} columns{variant}, {size / 2**20:.1f} MiB of CSV "
          f"(core {figures['core']})")
    write("wall-clock figures are what counts; CPU time is printed beside them because on a shared machine the "
          "pinned core is not ours alone")
    write(f"profile + inferred spec: {figures['profile_seconds']:.2f} s wall, "
          f"{figures['profile_cpu_seconds']:.2f} s CPU "
          f"(target < {TARGET_PROFILE_SECONDS:.0f} s) {verdict(figures['profile_seconds'] < TARGET_PROFILE_SECONDS)}")
    write(f"PII kinds found: {', '.join(figures['pii'])}")
    write(f"generation from the inferred spec ({figures['generate_rows']:,} rows, all 20 columns, JSON rows): "
          f"{figures['full_rows_per_second']:,.0f} rows/s wall, {figures['full_cpu_rows_per_second']:,.0f} CPU "
          f"(target >= {TARGET_GENERATE_ROWS_PER_SECOND:,}) "
          f"{verdict(figures['full_rows_per_second'] >= TARGET_GENERATE_ROWS_PER_SECOND)}")
    write(f"generation of its {figures['copula_columns']} copula columns alone: "
          f"{figures['copula_rows_per_second']:,.0f} rows/s wall, {figures['copula_cpu_rows_per_second']:,.0f} CPU")
    write(f"peak memory of the child: {figures['peak_rss_mb']:.0f} MB "
          f"(after imports {figures['startup_rss_mb']:.0f} MB)")
    return figures
