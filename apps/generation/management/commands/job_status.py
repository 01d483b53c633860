from django.core.management.base import BaseCommand

from apps.core.cli import positive_int
from apps.generation.models import GenerationJob
from apps.observability.events import timeline
from apps.observability.models import JobKind


class Command(BaseCommand):
    help = "Show generation jobs with their status and progress (newest first)."

    def add_arguments(self, parser):
        parser.add_argument("--job", type=int, help="One job's id.")
        parser.add_argument("--dataset", type=int, help="Only this dataset's jobs.")
        parser.add_argument("--limit", type=positive_int, default=20, help="How many to show (at least 1).")
        parser.add_argument("--events", action="store_true",
                            help="Print each job's timeline (queued, claimed, chunks done, retries, failure) below it.")

    def handle(self, *args, job, dataset, limit, events=False, **options):
        jobs = GenerationJob.objects.select_related("dataset", "version").order_by("-id")
        if job:
            jobs = jobs.filter(pk=job)
        if dataset:
            jobs = jobs.filter(dataset_id=dataset)
        rows = list(jobs[:limit])
        if not rows:
            self.stdout.write("No jobs.")
            return
        self.stdout.write(f"{'job':>6}  {'dataset':<24} {'ver':>4}  {'status':<10} {'progress':>8}  "
                          f"{'rows':>21}  error")
        for item in rows:
            self.stdout.write(
                f"{item.pk:>6}  {item.dataset.name[:24]:<24} {item.version.number:>4}  {item.status:<10} "
                f"{item.progress * 100:>7.1f}%  {item.rows_done:>10,}/{item.rows_total:<10,}  {item.error[:60]}"
            )
            if events:
                self._print_events(item.pk)

    def _print_events(self, job_id: int) -> None:
        story = timeline(kind=JobKind.GENERATION, job_id=job_id)
        if story["dropped"]:
            self.stdout.write(f"        ({story['dropped']} events dropped from the middle)")
        for event in story["events"]:
            self.stdout.write(f"        {event.seq:>4}  {event.at:%Y-%m-%d %H:%M:%S}  {event.type:<10}  "
                              f"{event.message}")
