"""Profile sample files and write the inferred spec, without a database.

    python manage.py profile_sample customers.csv orders.jsonl --out spec.yaml [--profile profile.json]
        [--approve customers.segment ...] [--name NAME] [--seed N] [--max-bytes N]

Each file is one table, named after the file (`customers.csv` is the table `customers`; `--table` renames
them in order). Files are checked like uploads (type, size, UTF-8, 2 to 500 columns) and read in chunks.
The spec never holds a value of the files, except the category lists named with --approve (`table.column`).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.generation.engine import SpecError, parse_spec
from apps.profiling.infer import infer_spec, spec_names, spec_yaml
from apps.profiling.profiler import TableSource, profile_tables
from apps.profiling.readers import SampleRejected, convert_to_parquet, format_of, iter_stored
from apps.profiling.services import DEFAULT_SAMPLE_MAX_BYTES


def profile_files(paths: list[Path], tables: list[str], work: Path, max_bytes: int, progress=None) -> dict:
    sources = []
    for index, (path, table) in enumerate(zip(paths, tables, strict=True)):
        try:
            fmt = format_of(path.name)
            out = work / f"{index}.parquet"
            with open(path, "rb") as handle:
                result = convert_to_parquet(handle, fmt, str(out), max_bytes=max_bytes)
        except SampleRejected as exc:
            raise CommandError(f"{path}: {exc}") from None
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror})") from None
        sources.append(TableSource(table, lambda out=out: iter_stored(str(out)), result.row_count))
    profile = profile_tables(sources, progress)
    profile["names"] = spec_names(profile)
    return profile


class Command(BaseCommand):
    help = "Profile sample files (CSV, JSON Lines, Parquet) and write the inferred schema-language spec."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="One file a table.")
        parser.add_argument("--out", required=True, help="Where the spec goes (YAML; `-` for standard output).")
        parser.add_argument("--profile", help="Also write the profile (statistics, PII findings) as JSON here.")
        parser.add_argument("--table", action="append", default=[], help="Table names, in the files' order.")
        parser.add_argument("--approve", action="append", default=[],
                            help="`table.column` of a category column whose values the spec may keep.")
        parser.add_argument("--name", default="inferred", help="The spec's name.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--max-bytes", type=int, default=DEFAULT_SAMPLE_MAX_BYTES,
                            help="The largest file taken (default 200 MB).")

    def handle(self, *args, **options):
        paths = [Path(p) for p in options["files"]]
        tables = list(options["table"]) + [p.name.split(".")[0] for p in paths[len(options["table"]):]]
        if len(options["table"]) > len(paths):
            raise CommandError("more --table names than files")
        if len(set(tables)) != len(tables):
            raise CommandError("two files stand for the same table: name them with --table")
        with tempfile.TemporaryDirectory(prefix="synthhub-profile-") as work:
            profile = profile_files(paths, tables, Path(work), options["max_bytes"])
        known = {f"{t}.{c}" for t, info in profile["tables"].items() for c, ci in info["columns"].items()
                 if ci.get("category") and ci["kind"] != "bool"}
        unknown = [name for name in options["approve"] if name not in known]
        if unknown:
            raise CommandError(f"--approve {unknown[0]}: not a category column (known: {', '.join(sorted(known))})")
        spec = infer_spec(profile, approved=set(options["approve"]), name=options["name"], seed=options["seed"])
        try:
            parse_spec(spec)
        except SpecError as exc:
            raise CommandError(f"the inferred spec is not valid: {exc}") from None
        text = spec_yaml(spec)
        if options["out"] == "-":
            sys.stdout.write(text)
        else:
            Path(options["out"]).write_text(text, encoding="utf-8")
        if options["profile"]:
            Path(options["profile"]).write_text(json.dumps(profile, indent=1, default=str), encoding="utf-8")
        findings = profile["pii"]
        self.stderr.write(f"profiled {len(tables)} table(s), {sum(t['rows'] for t in profile['tables'].values())} "
                          f"rows; {len(profile['foreign_keys'])} foreign key(s); {len(findings)} PII finding(s)")
