from collections.abc import Mapping
from datetime import UTC

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, ReadOnlyListSerializer, Serializer, datetime_representer
from apps.generation.engine.limits import MAX_DATETIME, MAX_TABLE_ROWS, MAX_TABLES, MIN_DATETIME

from ..live import jobs_rows_progress
from ..models import FINISHED_JOB_STATUSES, ChunkStatus, GenerationJob
from ..selectors import JOB_LIST_COLUMNS


class RowsField(serializers.DictField):
    """`{table: rows}`: JSON integers only (no "5", 5.0 or true), checked per table so each error has its path."""

    child = serializers.IntegerField(min_value=0, max_value=MAX_TABLE_ROWS)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            if len(data) > MAX_TABLES:
                raise serializers.ValidationError(f"Ensure this mapping has at most {MAX_TABLES} tables.")
            wrong = {name: ["Must be an integer."] for name, value in data.items() if type(value) is not int}
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class ReferenceTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that names its zone (`Z` or `+hh:mm`), within the engine's calendar range."""

    def to_internal_value(self, value):
        moment = None
        if isinstance(value, str) and len(value) <= 64:
            try:
                moment = parse_datetime(value.strip())
            except ValueError:
                moment = None
        if moment is None:
            raise serializers.ValidationError("Must be an ISO 8601 datetime such as 2025-06-01T12:00:00Z.")
        if moment.tzinfo is None:
            raise serializers.ValidationError("Must name its time zone (Z or an offset such as +02:00).")
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            moment = None
        if moment is None or not MIN_DATETIME <= moment <= MAX_DATETIME:
            raise serializers.ValidationError(
                f"Must be from {MIN_DATETIME.isoformat()} to {MAX_DATETIME.isoformat()}.")
        return moment


class GenerateSerializer(Serializer):
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1,
                                    help_text="Defaults to the dataset's default seed.")
    rows_scale = serializers.FloatField(required=False, default=1.0, min_value=0.000001, max_value=1000,
                                        help_text="Multiplies the row count of every table that does not say "
                                                  "`scale: false` and is not given in `rows`.")
    rows = RowsField(required=False,
                     help_text="Absolute row counts per table (`{\"passports\": 100000}`); they win over rows_scale "
                               "for those tables. A `{per: ...}` table follows its parent and cannot be given.")
    tables = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False,
                                   help_text="Generate only these tables (and nothing else).")
    reference_time = ReferenceTimeField(required=False,
                                        help_text="What relative dates (today, -2y) count from, with its time zone "
                                                  "(default: now; kept to the second). Recorded on the version: "
                                                  "the same seed, sizes and reference time give the same bytes.")


class TableProgressSerializer(Serializer):
    table = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=ChunkStatus.choices, read_only=True,
                                     help_text="done when all its chunks are; running once one runs or is done.")
    rows_done = serializers.IntegerField(read_only=True,
                                         help_text="Rows of its done chunks, plus what its running chunks report.")
    rows_total = serializers.IntegerField(read_only=True, help_text="Rows expected.")


class RowsProgressSerializer(Serializer):
    rows_done = serializers.IntegerField(
        read_only=True, help_text="The job's rows_done plus the rows its running chunks have written so far "
                                  "(not committed yet: they can still be rolled back).")
    rows_total = serializers.IntegerField(read_only=True)
    tables = TableProgressSerializer(many=True, read_only=True, help_text="In the order the job writes them.")


class JobListSerializer(ReadOnlyListSerializer):
    """Also reads the progress of a whole page of jobs in three queries, not three per job."""

    def to_representation(self, data):
        jobs = list(data.all() if hasattr(data, "all") else data)
        self.child.context["rows_progress"] = jobs_rows_progress(jobs)
        return super().to_representation(jobs)


class JobSerializer(ModelSerializer):
    dataset = serializers.IntegerField(source="dataset_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True, default=None,
                                         allow_null=True)
    progress = serializers.FloatField(read_only=True, help_text="rows_done / rows_total, 0 to 1.")
    progress_detail = serializers.SerializerMethodField(
        help_text="Rows done and expected, per table too, including the rows of running chunks.")

    class Meta:
        model = GenerationJob
        fields = ["id", "dataset", "version", "status", "progress", "progress_detail", "rows_done", "rows_total",
                  "chunks_done", "chunks_total", "parameters", "requested_by", "created_at", "started_at",
                  "finished_at", "last_heartbeat", "attempts", "error"]
        read_only_fields = fields
        list_serializer_class = JobListSerializer

    @extend_schema_field(RowsProgressSerializer)
    def get_progress_detail(self, job) -> dict:
        known = self.context.get("rows_progress") or {}
        return known[job.pk] if job.pk in known else jobs_rows_progress([job])[job.pk]


class _ListedJob:
    """What jobs_rows_progress reads of a job, from a row of the job list."""

    __slots__ = ("pk", "status", "rows_done", "rows_total")

    def __init__(self, row: dict):
        self.pk, self.status, self.rows_done, self.rows_total = (row["id"], row["status"], row["rows_done"],
                                                                 row["rows_total"])

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_JOB_STATUSES


def job_rows(rows) -> list[dict]:
    """Jobs read as dicts of JOB_LIST_COLUMNS, as JobSerializer represents them, key for key (the job list: DRF's
    field walk over 50 rows cost more than the list's query). `progress` is GenerationJob.progress, and
    `progress_detail` jobs_rows_progress of the page, as JobListSerializer reads it."""
    when = datetime_representer()
    requester = JOB_LIST_COLUMNS[9]
    rows = list(rows)
    details = jobs_rows_progress([_ListedJob(row) for row in rows])
    out = []
    for row in rows:
        rows_done, rows_total, chunks_done = row["rows_done"], row["rows_total"], row["chunks_done"]
        status, name, error = row["status"], row[requester], row["error"]
        out.append({
            "id": int(row["id"]),
            "dataset": int(row["dataset_id"]),
            "version": int(row["version__number"]),
            "status": status,
            "progress": float(GenerationJob.progress_of(rows_done=rows_done, rows_total=rows_total,
                                                        chunks_done=chunks_done)),
            "progress_detail": details[row["id"]],
            "rows_done": int(rows_done),
            "rows_total": int(rows_total),
            "chunks_done": int(chunks_done),
            "chunks_total": int(row["chunks_total"]),
            "parameters": row["parameters"],
            "requested_by": None if name is None else str(name),
            "created_at": when(row["created_at"]),
            "started_at": when(row["started_at"]),
            "finished_at": when(row["finished_at"]),
            "last_heartbeat": when(row["last_heartbeat"]),
            "attempts": int(row["attempts"]),
            "error": None if error is None else str(error),
        })
    return out
