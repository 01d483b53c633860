from django.core.management.base import BaseCommand

from apps.core.cli import positive_int
from apps.observability.events import timeline
from apps.observability.models import JobKind
from apps.profiling.models import Profile


class Command(BaseCommand):
    help = "Show profile jobs with their status and progress (newest first); never a value of their samples."

    def add_arguments(self, parser):
        parser.add_argument("--profile", type=int, help="One profile's id.")
        parser.add_argument("--tenant", help="Only this tenant's profiles (its slug).")
        parser.add_argument("--limit", type=positive_int, default=20, help="How many to show (at least 1).")
        parser.add_argument("--events", action="store_true",
                            help="Print each profile's timeline (queued, claimed, tables profiled, failure) below it.")

    def handle(self, *args, profile, tenant, limit, events=False, **options):
        profiles = Profile.all_objects.select_related("tenant").prefetch_related("samples").order_by("-id")
        if profile:
            profiles = profiles.filter(pk=profile)
        if tenant:
            profiles = profiles.filter(tenant__slug=tenant)
        rows = list(profiles[:limit])
        if not rows:
            self.stdout.write("No profiles.")
            return
        self.stdout.write(f"{'profile':>7}  {'tenant':<16} {'status':<10} {'progress':>8}  tables")
        for item in rows:
            tables = ", ".join(sorted(sample.table_name for sample in item.samples.all()))
            self.stdout.write(f"{item.pk:>7}  {item.tenant.slug[:16]:<16} {item.status:<10} "
                              f"{item.progress * 100:>7.1f}%  {tables[:80]}")
            if events:
                story = timeline(kind=JobKind.PROFILE, job_id=item.pk)
                if story["dropped"]:
                    self.stdout.write(f"         ({story['dropped']} events dropped from the middle)")
                for event in story["events"]:
                    self.stdout.write(f"         {event.seq:>4}  {event.at:%Y-%m-%d %H:%M:%S}  {event.type:<10}  "
                                      f"{event.message}")
