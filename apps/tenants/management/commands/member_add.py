from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.core.errors import ServiceValidationError
from apps.tenants import services
from apps.tenants.models import Role, Tenant


class Command(BaseCommand):
    help = "Add a user (created when the email is new) to a tenant with a role."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args, tenant, email, role, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant with slug '{tenant}'.")
        try:
            with transaction.atomic():
                user, _ = services.user_get_or_create(email=email)
                services.membership_add(tenant=found, user=user, role=role)
        except ServiceValidationError as exc:
            raise CommandError("; ".join(f"{path}: {message}" for path, message in exc.problems)) from exc
        self.stdout.write(f"{user.get_username()} is now {role} of '{found.slug}'")
