from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, Serializer

from ..models import GenerationJob


class GenerateSerializer(Serializer):
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1,
                                    help_text="Defaults to the dataset's default seed.")
    rows_scale = serializers.FloatField(required=False, default=1.0, min_value=0.000001, max_value=1000,
                                        help_text="Multiplies every table's row count.")
    tables = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False,
                                   help_text="Generate only these tables (and nothing else).")


class JobSerializer(ModelSerializer):
    dataset = serializers.IntegerField(source="dataset_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True, default=None,
                                         allow_null=True)
    progress = serializers.FloatField(read_only=True, help_text="rows_done / rows_total, 0 to 1.")

    class Meta:
        model = GenerationJob
        fields = ["id", "dataset", "version", "status", "progress", "rows_done", "rows_total", "chunks_done",
                  "chunks_total", "parameters", "requested_by", "created_at", "started_at", "finished_at",
                  "last_heartbeat", "attempts", "error"]
        read_only_fields = fields
