"""`manage.py validate_documents --version <id>`: verify a version's travel-document objects, keep the report."""

import json

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ServiceValidationError
from apps.datasets.models import DatasetVersion
from apps.documents.services import validate_version


class Command(BaseCommand):
    help = ("Verify the certificates, CRLs, master lists and SODs of a version with cryptography, check every "
            "negative scenario, and store the report on the version.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Here --version names the dataset version; Django's own --version (its release) gives way.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--version", type=int, required=True, help="the version's id")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the whole report as JSON")

    def handle(self, *args, version, as_json: bool = False, **options):
        found = DatasetVersion.objects.filter(pk=version, dataset__deleted_at__isnull=True).first()
        if found is None:
            raise CommandError(f"There is no version with id {version}.")
        try:
            stored = validate_version(found)
        except ServiceValidationError as exc:
            raise CommandError("; ".join(f"{path}: {text}" if path else text for path, text in exc.problems)) from exc
        report = stored.report
        if as_json:
            self.stdout.write(_dumps(report))
        else:
            documents = report["documents"]
            self.stdout.write(f"trust anchors: {report['trust_anchors']}")
            for name in ("certificates", "crls", "master_lists", "mdocs"):
                section = report[name]
                self.stdout.write(f"{name}: {section['valid']}/{section['checked']} verified")
            self.stdout.write(f"documents: {documents['checked']} checked, {documents['accepted']} accepted, "
                              f"{documents['mismatch_count']} not as labelled")
            for label, item in documents["scenarios"].items():
                self.stdout.write(f"  {label}: {item['rows']} rows ({item['share']:.2%}), refused as labelled "
                                  f"{item['rejected_as_labelled']}, rate ok: {item['rate_ok']}")
            dtcs = report.get("dtcs")
            if dtcs and dtcs["checked"]:
                self.stdout.write(f"dtcs: {dtcs['checked']} checked, {dtcs['accepted']} accepted, "
                                  f"{dtcs['mismatch_count']} not as labelled")
                for label, item in dtcs["scenarios"].items():
                    self.stdout.write(f"  {label}: {item['rows']} rows ({item['share']:.2%}), refused as labelled "
                                      f"{item['rejected_as_labelled']}, rate ok: {item['rate_ok']}")
        self.stdout.write("OK" if stored.ok else "FAILED")
        if not stored.ok:
            raise CommandError("the version's documents did not validate (see the report)")


def _dumps(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True)
