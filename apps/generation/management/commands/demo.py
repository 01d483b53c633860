"""`make demo`: a demo tenant with an owner and a viewer, a token, and how to use it."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.tenants import services
from apps.tenants.models import Membership, Tenant

DEMO_SLUG = "demo"
OWNER_EMAIL = "demo-owner@example.com"
VIEWER_EMAIL = "demo-viewer@example.com"


class Command(BaseCommand):
    help = "Set up the demo tenant (idempotent) and print a fresh API token for its owner."

    def handle(self, *args, **options):
        with transaction.atomic():
            owner, _ = services.user_get_or_create(email=OWNER_EMAIL)
            viewer, _ = services.user_get_or_create(email=VIEWER_EMAIL)
            tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
            if tenant is None:
                tenant = services.tenant_create(name="Demo team", slug=DEMO_SLUG, owner=owner)
            if not Membership.objects.filter(tenant=tenant, user=viewer).exists():
                services.membership_add(tenant=tenant, user=viewer, role="viewer")
            _, secret = services.token_create(user=owner, name="demo", expires_in_days=30)

        self.stdout.write(self.style.SUCCESS(f"Tenant '{tenant.slug}': owner {OWNER_EMAIL}, viewer {VIEWER_EMAIL}"))
        self.stdout.write(f"API token for the owner (shown once, valid 30 days):\n  {secret}\n")
        self.stdout.write("Try it:")
        self.stdout.write("  .venv/bin/python manage.py runserver")
        self.stdout.write(f'  curl -H "Authorization: Token {secret}" http://127.0.0.1:8000/api/v1/tenants/')
        self.stdout.write("  API docs: http://127.0.0.1:8000/api/docs/")
