
from apps.core.api.serializers import ModelSerializer

from ..models import AuditEvent


class AuditEventSerializer(ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id", "created_at", "action", "actor_id", "actor_label", "target_type", "target_id",
            "target_label", "before", "after", "request_id", "ip",
        ]
        read_only_fields = fields
