"""Generate a dataset from a built-in template or a schema file into a directory, without a database.

One file per table (named after it; for sql one script of every table) plus manifest.json, written by the
export writers with the export bundle's manifest: the files are byte for byte those an export of a stored
version of the same generation gives. The manifest records everything needed to regenerate the same bytes:
the document's hash, the seed, the reference time, the scale and the absolute rows. Rows are produced and
written chunk by chunk, so memory stays flat however many rows a table has.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.exports.files import PARQUET_ROW_GROUP_ROWS, generator_version
from apps.exports.writers import DIALECTS, write_directory
from apps.generation.cli_options import parse_reference_time, parse_rows_options
from apps.generation.engine import generate_chunk, parse_spec, plan
from apps.generation.engine.builtin_templates import UnknownTemplate, load_template
from apps.generation.engine.errors import GenerationError, SpecError

FORMATS = ("csv", "jsonl", "json", "parquet", "sql")


# ------------------------------------------------------------------------------------------ parsing
def parse_rows_scale(text: object) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise CommandError(f"--rows-scale must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise CommandError(f"--rows-scale must be a finite number greater than 0, got {text!r}")
    return value


def parse_positive_int(option: str, text: object) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise CommandError(f"{option} must be an integer, got {text!r}") from None
    if value <= 0:
        raise CommandError(f"{option} must be at least 1, got {value}")
    return value


def parse_seed(text: object) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise CommandError(f"--seed must be an integer, got {text!r}") from None
    if not 0 <= value <= 2**63 - 1:
        raise CommandError(f"--seed must be between 0 and {2**63 - 1}, got {value}")
    return value


def spec_error_message(what: str, exc: SpecError, reason: str = "is not a valid schema document") -> str:
    lines = [f"{what} {reason}:"]
    lines += [f"  {problem}" for problem in exc.problems]
    return "\n".join(lines)


def writer_options(file_format: str, *, keep_formulas: bool, dialect: str | None) -> dict:
    """The export writers' options for this format, as an export of the same format passes them."""
    if file_format == "csv":
        return {"neutralise_formulas": not keep_formulas}
    if file_format == "parquet":
        return {"row_group_size": PARQUET_ROW_GROUP_ROWS}
    if file_format == "sql":
        return {"dialect": dialect or "postgresql"}
    return {}


# ------------------------------------------------------------------------------------------ command
class Command(BaseCommand):
    help = ("Generate a dataset from a built-in template (--template) or a schema file (--spec) into --out: "
            "one file per table plus manifest.json, as an export bundle holds them. Needs no database.")

    # Generation is pure computation: no system checks (they may inspect the database) and no migration
    # check, so the command runs on a machine where no database was ever set up.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--template", help="name of a built-in template")
        source.add_argument("--spec", help="path of a schema document (YAML or JSON)")
        parser.add_argument("--seed", help="seed (default: the document's seed)")
        parser.add_argument("--rows-scale", default="1",
                            help="multiply every fixed row count, except tables with scale: false (default 1)")
        parser.add_argument("--rows", action="append", metavar="TABLE=N",
                            help="absolute rows of one table, winning over --rows-scale (repeatable)")
        parser.add_argument("--format", choices=FORMATS, default="csv", help="file format (default csv)")
        parser.add_argument("--keep-formulas", action="store_true",
                            help="CSV: do not neutralise cells that a spreadsheet would run as formulas")
        parser.add_argument("--dialect", choices=DIALECTS, help="SQL dialect of --format sql (default postgresql)")
        parser.add_argument("--chunk-size", default="50000", help="rows generated per step (default 50000)")
        parser.add_argument("--reference-time",
                            help="ISO datetime that relative dates (today, -2y, ...) count from (default: now); "
                                 "pass the manifest's value to regenerate identical files")
        parser.add_argument("--out", required=True, help="output directory (created if missing)")

    def handle(self, *args, **options):
        spec, label = self._load(options)
        seed = parse_seed(options["seed"])
        rows_scale = parse_rows_scale(options["rows_scale"])
        rows = parse_rows_options(options["rows"])
        chunk_size = parse_positive_int("--chunk-size", options["chunk_size"])
        reference_time = parse_reference_time(options["reference_time"])
        file_format = options["format"]
        if options["dialect"] and file_format != "sql":
            raise CommandError("--dialect applies to --format sql only")
        try:
            the_plan = plan(spec, seed=seed, reference_time=reference_time, rows_scale=rows_scale, rows=rows,
                            chunk_size=chunk_size)
        except SpecError as exc:
            sizes = f"--rows-scale {rows_scale:g}" + "".join(f" --rows {t}={n}" for t, n in rows.items())
            raise CommandError(spec_error_message(label, exc, f"cannot be generated at {sizes}")) from exc
        except ValueError as exc:
            raise CommandError(f"cannot plan {label}: {exc}") from exc

        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"cannot create output directory {out}: {exc}") from exc

        manifest_base = {
            "dataset": spec.name, "version": None, "seed": the_plan.seed, "spec_hash": spec.hash,
            "reference_time": the_plan.reference_time, "rows_scale": the_plan.rows_scale, "rows": dict(rows),
            "generator_version": generator_version(),
            "template": options["template"], "spec": None if options["template"] else str(options["spec"]),
        }
        total = sum(the_plan.row_counts[name] for name in the_plan.table_order)
        # The bar goes to the terminal the user watches; piped or captured output stays clean.
        progress = tqdm(total=total, unit="rows", unit_scale=True, disable=not self.stdout.isatty(),
                        file=getattr(self.stdout, "_out", sys.stdout))
        try:
            manifest = write_directory(
                out, fmt=file_format, doc=spec.doc,
                tables_rows={name: _table_rows(the_plan, name, progress) for name in the_plan.table_order},
                manifest_base=manifest_base,
                options=writer_options(file_format, keep_formulas=options["keep_formulas"],
                                       dialect=options["dialect"]))
        except GenerationError as exc:  # a row the document cannot make (e.g. a name no MRZ can hold)
            raise CommandError(f"cannot generate {label}: {exc}") from exc
        finally:
            progress.close()
        for entry in manifest["files"]:
            self.stdout.write(f"{entry['name']}: {entry['rows']} rows")
        self.stdout.write(self.style.SUCCESS(
            f"Generated {sum(t['rows'] for t in manifest['tables'].values())} rows of {spec.name} into {out} "
            f"(seed {the_plan.seed}); manifest: {out / 'manifest.json'}"))

    def _load(self, options):
        if options["template"]:
            try:
                return load_template(options["template"]), f"template {options['template']!r}"
            except UnknownTemplate as exc:
                raise CommandError(str(exc)) from exc
        path = Path(options["spec"])
        try:
            source = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read spec file {path}: {exc.strerror or exc}") from exc
        try:
            return parse_spec(source), f"spec file {path}"
        except SpecError as exc:
            raise CommandError(spec_error_message(f"spec file {path}", exc)) from exc


def _table_rows(the_plan, name: str, progress):
    """The table's rows as the export writers take them (each row's JSON, as stored records are), generated
    chunk by chunk only when the writer reaches this table."""
    for chunk in the_plan.chunks:
        if chunk.table != name:
            continue
        batch = generate_chunk(the_plan, name, chunk.start, chunk.stop)
        progress.set_description(name, refresh=False)
        yield from batch.json_rows()
        progress.update(len(batch))
