from django.core.management.base import BaseCommand

from apps.generation.models import GenerationJob


class Command(BaseCommand):
    help = "Show generation jobs with their status and progress (newest first)."

    def add_arguments(self, parser):
        parser.add_argument("--job", type=int, help="One job's id.")
        parser.add_argument("--dataset", type=int, help="Only this dataset's jobs.")
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args, job, dataset, limit, **options):
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
