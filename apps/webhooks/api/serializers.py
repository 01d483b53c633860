from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, Serializer

from ..models import ErrorCategory, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent


class WebhookInputSerializer(Serializer):
    url = serializers.CharField(max_length=500, help_text="An https:// URL that resolves to public addresses.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False,
                                   max_length=len(WebhookEvent.values))
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, help_text="Inactive endpoints get no new deliveries.")


class WebhookSerializer(ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), read_only=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, default=None,
                                       allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "active", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret: shown this once, keep it.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookAttemptSerializer(ModelSerializer):
    error_category = serializers.ChoiceField(choices=ErrorCategory.choices, allow_blank=True, read_only=True)
    response_excerpt = serializers.CharField(read_only=True, allow_blank=True,
                                             help_text="At most the first 200 bytes of the response body.")

    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error_category", "response_excerpt"]
        read_only_fields = fields


class WebhookDeliverySerializer(ModelSerializer):
    endpoint = serializers.IntegerField(source="endpoint_id", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "event", "status", "attempts", "next_attempt_at", "delivered_at", "created_at",
                  "attempt_log"]
        read_only_fields = fields
