from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, Serializer
from apps.exports.models import ExportFormat

from ..models import Schedule, ScheduleRun

TIMING_HELP = ("Give `cron` (five fields on the wall clock of `timezone`: minute hour day-of-month month day-of-week) "
               "or `interval_seconds`, not both.")
ZONE_HELP = ("The IANA time zone the cron fields are read in, e.g. Europe/Amsterdam (default UTC); across a clock "
             "change a skipped wall time fires at the old offset and a repeated one fires once (docs/operations.md). "
             "An interval ignores it.")


class ScheduleInputSerializer(Serializer):
    dataset = serializers.IntegerField(min_value=1, help_text="The dataset's id (set when creating).")
    name = serializers.CharField(max_length=100)
    cron = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True,
                                 help_text=TIMING_HELP)
    interval_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                                help_text=TIMING_HELP)
    timezone = serializers.CharField(required=False, allow_null=True, help_text=ZONE_HELP)
    rows_scale = serializers.FloatField(required=False, default=1.0, min_value=0.000001, max_value=1000,
                                        help_text="Multiplies every table's row count.")
    export_format = serializers.ChoiceField(choices=ExportFormat.choices, required=False, allow_blank=True,
                                            help_text="Export each new version in this format (empty: no export).")
    target = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                      help_text="Push each new version into this target connection (admins).")
    keep_last = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000,
                                         help_text="Keep this many versions made by the schedule; older ones go "
                                                   "to the trash (null: keep all).")
    enabled = serializers.BooleanField(required=False, default=True)


class ScheduleSerializer(ModelSerializer):
    dataset = serializers.IntegerField(source="dataset_id", read_only=True)
    target = serializers.IntegerField(source="target_id", read_only=True, allow_null=True)
    export_format = serializers.ChoiceField(choices=ExportFormat.choices, allow_blank=True, read_only=True)
    cron = serializers.CharField(read_only=True, allow_blank=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, default=None,
                                       allow_null=True, help_text="Runs act as this user.")

    class Meta:
        model = Schedule
        fields = ["id", "dataset", "name", "cron", "interval_seconds", "timezone", "rows_scale", "export_format",
                  "target", "keep_last", "enabled", "next_run_at", "last_run_at", "created_by", "created_at",
                  "updated_at"]
        read_only_fields = fields


class ScheduleRunSerializer(ModelSerializer):
    schedule = serializers.IntegerField(source="schedule_id", read_only=True)
    job = serializers.IntegerField(source="job_id", read_only=True, allow_null=True)
    version = serializers.IntegerField(source="job.version.number", read_only=True, default=None, allow_null=True)
    export = serializers.IntegerField(source="export_id", read_only=True, allow_null=True)
    push = serializers.IntegerField(source="push_id", read_only=True, allow_null=True)
    error = serializers.CharField(read_only=True, allow_blank=True)

    class Meta:
        model = ScheduleRun
        fields = ["id", "schedule", "status", "job", "version", "export", "push", "error", "created_at",
                  "finished_at"]
        read_only_fields = fields
