"""`make demo`: the main job end to end on this installation.

A demo tenant with an owner and a viewer, a dataset from a built-in template, a generation job run
through the queue by a worker started for the purpose, a summary of the version it made, and a bundle of
it written under var/demo-export/.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from apps.datasets import services as dataset_services
from apps.datasets.models import Dataset
from apps.exports.services import export_to_path
from apps.generation import services as generation_services
from apps.generation.models import JobStatus
from apps.generation.progress import wait_for_job
from apps.generation.worker import temporary_worker
from apps.tenants import services as tenant_services
from apps.tenants.models import Membership, Tenant

DEMO_SLUG = "demo"
OWNER_EMAIL = "demo-owner@example.com"
VIEWER_EMAIL = "demo-viewer@example.com"
TEMPLATE = "ecommerce"


class Command(BaseCommand):
    help = "Set up the demo tenant and dataset (idempotent), generate a version through the queue, summarise."

    def add_arguments(self, parser):
        parser.add_argument("--template", default=TEMPLATE)
        parser.add_argument("--timeout", type=float, default=600)

    def handle(self, *args, template, timeout, **options):
        with transaction.atomic():
            owner, _ = tenant_services.user_get_or_create(email=OWNER_EMAIL)
            viewer, _ = tenant_services.user_get_or_create(email=VIEWER_EMAIL)
            tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
            if tenant is None:
                tenant = tenant_services.tenant_create(name="Demo team", slug=DEMO_SLUG, owner=owner)
            if not Membership.objects.filter(tenant=tenant, user=viewer).exists():
                tenant_services.membership_add(tenant=tenant, user=viewer, role="viewer")
            dataset = Dataset.objects.filter(tenant=tenant, template_name=template).first()
            if dataset is None:
                dataset = dataset_services.dataset_create(tenant=tenant, actor=owner, name=f"{template} demo",
                                                          template=template)
            _, secret = tenant_services.token_create(user=owner, name="demo", expires_in_days=30)
        self.stdout.write(self.style.SUCCESS(f"Tenant '{tenant.slug}': owner {OWNER_EMAIL}, viewer {VIEWER_EMAIL}"))
        self.stdout.write(f"Dataset {dataset.pk} '{dataset.name}' from the built-in template '{template}'.")

        self.stdout.write("Generating a version through the task queue (a worker runs for the duration)...")
        with temporary_worker():
            job = generation_services.job_start(dataset=dataset, actor=owner)
            job = wait_for_job(job.pk, timeout=timeout)
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(f"Job {job.pk} {job.status}: {job.error}")
        version = job.version
        version.refresh_from_db()
        seconds = (job.finished_at - (job.started_at or job.created_at)).total_seconds()
        self.stdout.write(self.style.SUCCESS(
            f"Version {version.number}: {version.total_rows:,} rows in {job.chunks_total} chunks, {seconds:.1f}s "
            f"(seed {version.seed}, spec {version.spec_hash[:12]})"))
        for table, count in version.row_counts.items():
            self.stdout.write(f"  {table:<24} {count:>10,} rows")

        bundle_path = settings.VAR_DIR / "demo-export" / f"{slugify(dataset.name)}-v{version.number}.zip"
        bundle = export_to_path(version=version, fmt="bundle", actor=owner, path=bundle_path)
        self.stdout.write(self.style.SUCCESS(
            f"Bundle (CSV files and manifest.json, {bundle['size_bytes']:,} bytes) written to {bundle['path']}"))

        base = f"http://127.0.0.1:8000/api/v1/tenants/{tenant.slug}"
        self.stdout.write(f"\nAPI token for the owner (shown once, valid 30 days):\n  {secret}\n")
        self.stdout.write("Try it:")
        self.stdout.write("  .venv/bin/python manage.py runserver")
        self.stdout.write(f'  curl -H "Authorization: Token {secret}" http://127.0.0.1:8000/api/v1/tenants/')
        first_table = next(iter(version.row_counts))
        self.stdout.write(f'  curl -H "Authorization: Token {secret}" '
                          f'"{base}/datasets/{dataset.pk}/versions/{version.number}/records/?table={first_table}"')
        self.stdout.write("  API docs: http://127.0.0.1:8000/api/docs/")
