from django.core.management.base import BaseCommand, CommandError

from apps.audit.selectors import audit_chain_check


class Command(BaseCommand):
    help = "Check the audit trail's hash chain and name the first event whose link is broken."

    def handle(self, *args, **options):
        checked, broken = audit_chain_check()
        if broken is not None:
            raise CommandError(f"Audit chain broken at event {broken.event_id}: {broken.reason}. "
                               f"{checked - 1} events before it verified.")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
