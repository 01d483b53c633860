"""Webhook endpoints of a tenant, the deliveries queued for them (the outbox) and the log of each attempt."""

from django.conf import settings
from django.db import models

from apps.core.models import TenantOwnedModel


class WebhookEvent(models.TextChoices):
    JOB_SUCCEEDED = "job.succeeded", "A generation job succeeded"
    JOB_FAILED = "job.failed", "A generation job failed"
    EXPORT_READY = "export.ready", "An export's file is ready"
    SCHEDULE_FAILED = "schedule.failed", "A scheduled run failed"


# Not an event an endpoint subscribes to: what "send test delivery" sends to one endpoint, on request.
TEST_EVENT = "webhook.test"
DELIVERY_EVENTS = [*WebhookEvent.choices, (TEST_EVENT, "A test delivery, sent on request")]


class WebhookEndpoint(TenantOwnedModel):
    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The events sent to this endpoint.")
    # Fernet-encrypted (apps/exports/encryption.py); shown once, when the endpoint is created.
    secret_encrypted = models.TextField(editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"webhook {self.pk} ({self.url})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ErrorCategory(models.TextChoices):
    HTTP_STATUS = "http_status", "The endpoint answered with a status other than 2xx"
    TIMEOUT = "timeout", "The endpoint did not answer in time"
    CONNECTION = "connection", "The connection was refused or broken"
    DNS_FAILED = "dns_failed", "The endpoint's host name could not be resolved"
    TLS_FAILED = "tls_failed", "The TLS handshake failed"
    NOT_ALLOWED = "not_allowed", "The endpoint resolves to an address the platform does not call"
    ENDPOINT_GONE = "endpoint_gone", "The endpoint was deleted or deactivated"
    INTERNAL = "internal", "An unexpected error (see the server log)"


class WebhookDelivery(TenantOwnedModel):
    """One event for one endpoint: inserted in the transaction of the change it reports (the outbox), sent by a
    queue task, retried with backoff until it succeeds or runs out of attempts."""

    # No database constraint: the row is inserted while the finishing job holds the audit chain lock, and a
    # commit-time foreign-key check must never wait on an endpoint being deleted (apps/audit/services.py).
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 db_constraint=False)
    event = models.CharField(max_length=30, choices=DELIVERY_EVENTS)
    payload = models.JSONField(help_text="The event's data: ids, statuses and sizes, never generated values.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING,
                              db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["endpoint", "-id"], name="webhook_delivery_recent")]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.event})"


class WebhookAttempt(models.Model):
    """What one attempt got back: status code, duration and an error category; at most a short excerpt of the
    response body, and nothing of the payload."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error_category = models.CharField(max_length=20, choices=ErrorCategory.choices, blank=True)
    response_excerpt = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once")]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
