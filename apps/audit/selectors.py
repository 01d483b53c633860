from .chain import ChainBreak, first_break
from .keys import key_ring
from .models import AuditCheckpoint, AuditEvent


def audit_chain_check(*, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Check the whole chain in id order against the signed checkpoints, reading events in batches so memory
    stays flat on long trails (checkpoints are one per SYNTHHUB_AUDIT_CHECKPOINT_EVERY events)."""
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size)
    return first_break(events, AuditCheckpoint.objects.order_by("id"), ring=key_ring())


def audit_checkpoint_latest() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-id").first()
