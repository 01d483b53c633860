"""quality_report: score synthetic tables against their sample (quality as SDMetrics defines it, and privacy).

    python manage.py quality_report --sample DIR --synthetic DIR [--spec spec.yaml] [--json out.json] [--html out.html]
    python manage.py quality_report --sample DIR --dataset ID --version N [--json ...] [--html ...]

The first form needs no database. The second reads the version's records and its spec snapshot.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd
import yaml
from django.core.management.base import BaseCommand, CommandError

from apps.profiling.report_html import render
from apps.profiling.reports import build_report, typed_text
from apps.profiling.tables_dir import TablesDirError, read_tables


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "Quality and privacy report of synthetic tables (a directory or a stored version) against a sample."
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        # `--version N` names the generated version, as in the API; Django's own --version gives way.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--sample", required=True, help="Directory of sample tables (<table>.csv|jsonl|parquet).")
        parser.add_argument("--synthetic", help="Directory of synthetic tables (no database needed).")
        parser.add_argument("--dataset", type=int, help="Dataset id of the stored version.")
        parser.add_argument("--version", dest="version_number", type=int, help="Version number.")
        parser.add_argument("--spec", help="Schema document (YAML/JSON) for column types, keys and PII.")
        parser.add_argument("--json", dest="json_out", help="Write the full report here.")
        parser.add_argument("--html", dest="html_out", help="Write the standalone HTML report here.")

    def handle(self, *args, **options):
        if bool(options["synthetic"]) == (options["version_number"] is not None):
            raise CommandError("give either --synthetic DIR or --dataset ID --version N")
        try:
            real = read_tables(options["sample"])
            spec = self._spec(options["spec"])
            if options["synthetic"]:
                synthetic = read_tables(options["synthetic"])
            else:
                spec, synthetic = self._version(options["dataset"], options["version_number"], spec, real)
            report = build_report(real, synthetic, spec)
        except TablesDirError as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json_out"]:
            Path(options["json_out"]).write_bytes(orjson.dumps(report, option=orjson.OPT_SERIALIZE_NUMPY))
        if options["html_out"]:
            Path(options["html_out"]).write_text(render(report), encoding="utf-8")
        self._summary(report)

    def _spec(self, path):
        if not path:
            return None
        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CommandError(f"{path}: not a readable YAML or JSON document") from exc
        if not isinstance(document, dict):
            raise CommandError(f"{path}: not a schema document (a mapping)")
        return document

    def _version(self, dataset_id, number, spec, real):
        from apps.datasets.models import DatasetVersion
        from apps.exports.selectors import record_rows

        if dataset_id is None:
            raise CommandError("--version needs --dataset")
        version = DatasetVersion.objects.filter(dataset_id=dataset_id, number=number).first()
        if version is None:
            raise CommandError(f"dataset {dataset_id} has no version {number}")
        synthetic = {}
        for table in real:
            if table not in (version.row_counts or {}):
                raise CommandError(f"version {number} has no table '{table}' (it has {', '.join(version.row_counts)})")
            rows = [orjson.loads(data) for data in record_rows(version_id=version.pk, table=table)]
            synthetic[table] = pd.DataFrame(rows).apply(typed_text)
        return spec or version.spec_snapshot, synthetic

    def _summary(self, report):
        quality = report["quality"]
        lines = [f"overall quality {_fmt(quality['overall'])}"]
        lines += [f"  {name.replace('_', ' ')}: {_fmt(score)}" for name, score in quality["properties"].items()]
        for table, data in report["tables"].items():
            privacy = data["privacy"]
            dcr = privacy["dcr"] or {}
            lines.append(f"{table}: exact-copy rate {_fmt(privacy['exact_copy_rate'])}, median DCR synthetic "
                         f"{_fmt(dcr.get('synthetic_median'))} vs holdout {_fmt(dcr.get('holdout_median'))}, "
                         f"PII columns {len(privacy['pii_columns'])}")
        self.stdout.write("\n".join(lines))
