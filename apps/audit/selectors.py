from .chain import ChainBreak, first_break
from .models import AuditEvent


def audit_events_for_tenant(*, tenant):
    return AuditEvent.objects.filter(tenant=tenant).select_related("actor")


def audit_chain_check(*, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Check the whole chain in id order, reading in batches so memory stays flat on long trails."""
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size)
    return first_break(events)
