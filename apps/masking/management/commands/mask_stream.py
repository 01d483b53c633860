"""Mask tables of a tenant's source connection straight into another of its connections (streaming mode).

Nothing is stored on the platform: rows go from `COPY TO` through the masking to `COPY FROM`, table by table
in dependency order, under the tenant's active masking key. The destination keeps the push rules (allow-list,
never the platform's database, only tables SynthHub created).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ServiceValidationError
from apps.exports import target_tables, targets
from apps.exports.models import TargetConnection
from apps.masking.services import masking_stream
from apps.tenants.models import Tenant


class Command(BaseCommand):
    help = "Mask tables of one target connection into another (streaming mode), under the tenant's masking key."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument("--source", required=True, help="name of the source connection (read only)")
        parser.add_argument("--destination", required=True, help="name of the destination connection")
        parser.add_argument("--rules", required=True, help="path of the masking rules document")
        parser.add_argument("--tables", required=True, help="comma-separated source tables")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"no tenant {options['tenant']!r}")
        connections = {}
        for role in ("source", "destination"):
            connections[role] = TargetConnection.objects.filter(tenant=tenant, name=options[role]).first()
            if connections[role] is None:
                raise CommandError(f"tenant {tenant.slug} has no connection named {options[role]!r}")
        try:
            rules = Path(options["rules"]).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read rules file: {exc.strerror or exc}") from None
        tables = [t.strip() for t in options["tables"].split(",") if t.strip()]

        def progress(table: str, rows: int) -> None:
            self.stdout.write(f"{table}: {rows} rows", ending="\r")

        try:
            result = masking_stream(tenant=tenant, actor=None, source=connections["source"],
                                    destination=connections["destination"], rules=rules, tables=tables,
                                    progress=progress if self.stdout.isatty() else None)
        except ServiceValidationError as exc:
            raise CommandError("\n".join(f"{path}: {message}" for path, message in exc.problems)) from None
        except (targets.TargetNotAllowed, target_tables.UnmanagedTable) as exc:
            raise CommandError(str(exc)) from None
        except (targets.TargetNameUnresolved, targets.TargetUnreachable):
            raise CommandError("the destination database does not answer") from None
        for table, rows in result.rows.items():
            self.stdout.write(f"{table}: {rows} rows")
        self.stdout.write(self.style.SUCCESS(f"Masked {sum(result.rows.values())} rows into "
                                             f"{connections['destination'].name}"))
