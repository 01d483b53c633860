"""Masking keys (per tenant, encrypted at rest) and saved masking rules documents."""

from django.conf import settings
from django.db import models

from apps.core.models import TenantOwnedModel


class MaskingKey(TenantOwnedModel):
    """A tenant's masking secret. Only the Fernet token is stored (apps/exports/encryption.py, like target
    passwords); the secret is shown once, when it is made. Rotation makes a new active key and keeps the old
    ones inactive, so a job started under an old key still reruns with it."""

    secret_encrypted = models.TextField(editable=False)
    key_id = models.CharField(max_length=16, editable=False,
                              help_text="An id derived from the secret by a one-way function; reveals nothing.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["tenant"], condition=models.Q(active=True),
                                               name="uniq_active_masking_key")]

    def __str__(self) -> str:
        return f"masking key {self.key_id}"


class MaskingRuleSet(TenantOwnedModel):
    """A reviewed masking rules document, saved under a name (docs/masking.md)."""

    name = models.CharField(max_length=100)
    document = models.JSONField(help_text="The rules document as submitted (YAML is stored as its mapping).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="uniq_masking_rules_name")]

    def __str__(self) -> str:
        return self.name
