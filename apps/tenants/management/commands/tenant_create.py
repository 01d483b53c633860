from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.core.errors import ServiceValidationError
from apps.tenants import services


class Command(BaseCommand):
    help = "Create a tenant; the owner (created when the email is new) becomes its first owner."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--slug", help="Defaults to a slug of the name.")
        parser.add_argument("--max-rows", type=int, help="Row quota per generated version.")

    def handle(self, *args, name, owner_email, slug, max_rows, **options):
        quotas = {"max_rows_per_version": max_rows} if max_rows else {}
        try:
            with transaction.atomic():
                owner, created = services.user_get_or_create(email=owner_email)
                tenant = services.tenant_create(name=name, slug=slug, owner=owner, **quotas)
        except ServiceValidationError as exc:
            raise CommandError("; ".join(f"{path}: {message}" for path, message in exc.problems)) from exc
        self.stdout.write(f"Created tenant '{tenant.slug}' owned by {owner.get_username()}"
                          + (" (new user)" if created else ""))
