from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.tenants import services


class Command(BaseCommand):
    help = "Create an API token for a user and print its secret (shown this once, stored only hashed)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="", help="A label telling which script holds the token.")
        parser.add_argument("--expires-days", type=int, help="Lifetime in days (default: the configured TTL).")

    def handle(self, *args, email, name, expires_days, **options):
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with email '{email}'.")
        if expires_days is not None and not 1 <= expires_days <= 365:
            raise CommandError("--expires-days must be between 1 and 365.")
        token, secret = services.token_create(user=user, name=name, expires_in_days=expires_days)
        self.stderr.write(f"Token {token.token_key} for {user.get_username()}, expires {token.expiry:%Y-%m-%d}.")
        self.stdout.write(secret)
