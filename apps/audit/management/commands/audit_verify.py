from django.core.management.base import BaseCommand, CommandError

from apps.audit.selectors import audit_chain_check, audit_checkpoint_latest


class Command(BaseCommand):
    help = ("Check the audit trail's keyed chain and its signed checkpoints; name the first event that was edited, "
            "forged or removed.")

    def handle(self, *args, **options):
        checked, broken = audit_chain_check()
        if broken is not None:
            raise CommandError(f"Audit chain broken at event {broken.event_id}: {broken.reason}. "
                               f"{max(checked - 1, 0)} events before it verified.")
        latest = audit_checkpoint_latest()
        covered = (f"; the latest checkpoint ({latest.created_at:%Y-%m-%d %H:%M:%S}) covers events up to "
                   f"{latest.event_id}" if latest else "; no checkpoint yet")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified{covered}."))
