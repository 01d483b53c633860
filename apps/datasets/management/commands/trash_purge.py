from django.conf import settings
from django.core.management.base import BaseCommand

from apps.datasets.services import trash_purge


class Command(BaseCommand):
    help = "Hard-delete datasets, versions and records that have been in the trash longer than the retention."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help=f"Retention in days (default SYNTHHUB_TRASH_RETENTION_DAYS, now "
                                 f"{settings.SYNTHHUB_TRASH_RETENTION_DAYS}).")

    def handle(self, *args, days, **options):
        purged = trash_purge(retention_days=days)
        self.stdout.write(", ".join(f"{count} {kind}" for kind, count in purged.items()) + " purged.")
