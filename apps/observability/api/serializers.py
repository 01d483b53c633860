from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, Serializer

from ..models import JobEvent, JobKind


class JobEventSerializer(ModelSerializer):
    class Meta:
        model = JobEvent
        fields = ["seq", "at", "type", "message", "worker", "chunk", "rows", "seconds", "attempt"]
        read_only_fields = fields


class JobTimelineSerializer(Serializer):
    kind = serializers.ChoiceField(choices=JobKind.choices, read_only=True)
    job = serializers.IntegerField(read_only=True, help_text="The job's id (of its kind).")
    dropped = serializers.IntegerField(
        read_only=True, help_text="Events dropped from the middle of a long timeline (the first 20 and the newest "
                                  "are kept, SYNTHHUB_JOB_EVENTS_MAX in all).")
    events = JobEventSerializer(many=True, read_only=True)
