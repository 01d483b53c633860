"""`manage.py export_version`: write an export of a ready version straight to a file."""

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ServiceValidationError
from apps.datasets.models import DatasetVersion
from apps.exports.models import ExportFormat
from apps.exports.services import export_to_path
from apps.exports.writers import DIALECTS


class Command(BaseCommand):
    help = "Export a version of a dataset to PATH in one format (csv, json, jsonl, parquet, sql, bundle, pki)."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Here --version names the dataset's version; Django's own --version (its release) gives way.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--dataset", type=int, required=True, help="the dataset's id")
        parser.add_argument("--version", type=int, required=True, help="the version's number")
        parser.add_argument("--format", required=True, choices=ExportFormat.values)
        parser.add_argument("--out", required=True, help="the file to write (replaced if it exists)")
        parser.add_argument("--tables", nargs="+", help="tables to export (default: all)")
        parser.add_argument("--dialect", choices=DIALECTS, help="SQL dialect (sql, or a bundle of sql)")
        parser.add_argument("--inner-format", choices=[f for f in ExportFormat.values if f not in ("bundle", "pki")],
                            help="the format of the files inside a bundle (default csv)")
        parser.add_argument("--keep-formulas", action="store_true",
                            help="CSV: do not neutralise cells that a spreadsheet would run as formulas")

    def handle(self, *args, dataset, version, format, out, tables, dialect, inner_format, keep_formulas, **options):
        found = DatasetVersion.objects.select_related("dataset").filter(dataset_id=dataset, number=version,
                                                                        dataset__deleted_at__isnull=True).first()
        if found is None:
            raise CommandError(f"Dataset {dataset} has no version {version}.")
        export_options = {}
        if format == "bundle" and inner_format:
            export_options["inner_format"] = inner_format
        inner = inner_format or ("csv" if format == "bundle" else format)
        if dialect:
            export_options["dialect"] = dialect
        if keep_formulas and inner == "csv":
            export_options["neutralise_formulas"] = False
        try:
            result = export_to_path(version=found, fmt=format, path=out, tables=tables, options=export_options)
        except ServiceValidationError as exc:
            raise CommandError("; ".join(f"{path}: {message}" if path else message
                                         for path, message in exc.problems)) from exc
        rows = sum(result["row_counts"].values())
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {result['path']}: {format}, {rows:,} rows in {len(result['row_counts'])} table(s), "
            f"{result['size_bytes']:,} bytes, sha256 {result['sha256']}"))
