"""Signals other apps listen to (webhooks). Sent inside the transaction of the change, after its audit record:
a receiver may only insert rows (the lock order of apps/audit/services.py)."""

from django.dispatch import Signal

# export: the Export whose file was just saved
export_ready = Signal()
