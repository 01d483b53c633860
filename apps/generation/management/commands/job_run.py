from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ServiceValidationError
from apps.datasets.models import Dataset
from apps.generation import services
from apps.generation.cli_options import parse_reference_time, parse_rows_options
from apps.generation.models import JobStatus
from apps.generation.progress import wait_for_job
from apps.generation.worker import temporary_worker


class Command(BaseCommand):
    help = "Start a generation job for a dataset through the queue; --wait follows it with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", type=int, required=True, help="The dataset's id.")
        parser.add_argument("--seed", type=int)
        parser.add_argument("--rows-scale", type=float, default=1.0)
        parser.add_argument("--rows", action="append", metavar="TABLE=N",
                            help="Absolute rows of one table, winning over --rows-scale (repeatable).")
        parser.add_argument("--reference-time",
                            help="ISO datetime that relative dates count from (default: now); recorded on the version.")
        parser.add_argument("--tables", nargs="+", help="Only these tables.")
        parser.add_argument("--wait", action="store_true", help="Follow the job until it finishes.")
        parser.add_argument("--worker", action="store_true",
                            help="Run a queue worker for the length of this command (no separate qcluster).")
        parser.add_argument("--timeout", type=float, help="With --wait: give up after this many seconds.")

    def handle(self, *args, dataset, seed, rows_scale, tables, wait, worker, timeout, **options):
        rows = parse_rows_options(options["rows"])
        reference_time = parse_reference_time(options["reference_time"])
        found = Dataset.objects.select_related("tenant").filter(pk=dataset).first()
        if found is None:
            raise CommandError(f"No dataset with id {dataset}.")
        with temporary_worker() if worker else nullcontext():
            try:
                job = services.job_start(dataset=found, actor=None, seed=seed, rows_scale=rows_scale, tables=tables,
                                         rows=rows, reference_time=reference_time)
            except ServiceValidationError as exc:
                raise CommandError("; ".join(f"{p}: {m}" for p, m in exc.problems)) from exc
            self.stdout.write(f"Job {job.pk} queued: version {job.version.number} of '{found.name}', "
                              f"{job.rows_total:,} rows in {job.chunks_total} chunks.")
            if not (wait or worker):
                return
            try:
                job = wait_for_job(job.pk, timeout=timeout)
            except TimeoutError as exc:
                raise CommandError(str(exc)) from exc
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(f"Job {job.pk} {job.status}: {job.error or 'no error recorded'}")
        seconds = (job.finished_at - (job.started_at or job.created_at)).total_seconds()
        self.stdout.write(self.style.SUCCESS(
            f"Job {job.pk} succeeded: {job.rows_done:,} rows in {seconds:.1f}s."))
