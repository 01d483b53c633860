from django.core.management.base import BaseCommand

from apps.audit.services import audit_checkpoint_write


class Command(BaseCommand):
    help = ("Sign the audit chain's current head (run it on a schedule: removing the newest events is detected "
            "back to the last checkpoint).")

    def handle(self, *args, **options):
        checkpoint = audit_checkpoint_write()
        self.stdout.write(self.style.SUCCESS(
            f"Checkpoint {checkpoint.pk}: event {checkpoint.event_id}, {checkpoint.event_count} events, "
            f"head {checkpoint.head_hash}, key {checkpoint.key_id}."))
