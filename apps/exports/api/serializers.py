from collections.abc import Mapping

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, Serializer

from ..models import Export, ExportFormat, FailureReason, Push, TargetConnection
from ..services import export_is_expired


@extend_schema_field({"type": "object", "additionalProperties": True,
                      "description": "csv: `neutralise_formulas` (default true); sql: `dialect` (postgresql, mysql, "
                                     "sqlite; default postgresql); bundle: `inner_format` (csv, json, jsonl, "
                                     "parquet, sql; default csv) and that format's options; pki: none (a tar.gz "
                                     "of DER/PEM files, one per travel-document object)."})
class OptionsField(serializers.JSONField):
    pass


class ExportCreateSerializer(Serializer):
    dataset = serializers.IntegerField(min_value=1, help_text="The dataset's id.")
    version = serializers.IntegerField(min_value=1, help_text="The version's number.")
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    tables = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False,
                                   help_text="Tables to export (default: every table of the version).")
    options = OptionsField(required=False)


class ExportSerializer(ModelSerializer):
    dataset = serializers.IntegerField(source="dataset_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True, default=None,
                                         allow_null=True)
    # Read-only model fields lose blank=True on the way into the serializer: declared so the schema allows "".
    error_code = serializers.ChoiceField(choices=FailureReason.choices, allow_blank=True, read_only=True)
    expired = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    options = OptionsField(read_only=True)

    class Meta:
        model = Export
        fields = ["id", "dataset", "version", "format", "tables", "options", "status", "filename", "content_type",
                  "size_bytes", "sha256", "row_counts", "error_code", "error", "requested_by", "created_at",
                  "started_at", "finished_at", "expires_at", "expired", "download_url", "deleted_at"]
        read_only_fields = fields

    def get_expired(self, obj) -> bool:
        return export_is_expired(obj)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_download_url(self, obj) -> str | None:
        if obj.status != "succeeded" or export_is_expired(obj) or not obj.file:
            return None
        path = reverse("export-download", kwargs={"tenant": self.context["tenant_slug"], "pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class TargetConnectionSerializer(ModelSerializer):
    """Input and output of a target connection; the password is write-only and never returned."""

    password = serializers.CharField(write_only=True, required=False, allow_blank=True, trim_whitespace=False,
                                     style={"input_type": "password"},
                                     help_text="Stored encrypted; never returned. Empty removes it.")
    dsn = serializers.CharField(write_only=True, required=False,
                                help_text="A PostgreSQL URL or key=value string; fills the fields not given.")
    connection = serializers.CharField(source="dsn_display", read_only=True,
                                       help_text="The connection as a URL, without its password.")
    has_password = serializers.BooleanField(read_only=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = TargetConnection
        fields = ["id", "name", "host", "port", "dbname", "user", "sslmode", "password",
                  "dsn", "connection", "has_password", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "connection", "has_password", "created_by", "created_at", "updated_at"]
        extra_kwargs = {field: {"required": False} for field in ("name", "host", "dbname", "user", "port", "sslmode")}
        # Uniqueness of the name is checked (with a path) by the service.
        validators = []

    def to_internal_value(self, data):
        # This was a field once; a client still sending it must learn it no longer does anything here.
        if isinstance(data, Mapping) and "allow_non_test_name" in data:
            raise serializers.ValidationError({"allow_non_test_name": [
                "is not a field of a target connection: whether pushes may go into a database whose name "
                "does not look like a test database's is an operator setting (SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES)"
            ]})
        return super().to_internal_value(data)


class PushCreateSerializer(Serializer):
    dataset = serializers.IntegerField(min_value=1, help_text="The dataset's id.")
    version = serializers.IntegerField(min_value=1, help_text="The version's number.")
    tables = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False,
                                   help_text="Tables to push (default: every table of the version).")
    trust_service = serializers.JSONField(required=False, help_text=(
        "Push the version's trust data into a trust service's tables instead: {kind: {table, source: {table, "
        "column}}} for trust_anchors, dsc_certificates, crl_cache, master_lists (docs/documents.md)."))


class PushSerializer(ModelSerializer):
    target = serializers.IntegerField(source="target_id", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    dataset = serializers.IntegerField(source="dataset_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True, default=None,
                                         allow_null=True)
    error_code = serializers.ChoiceField(choices=FailureReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Push
        fields = ["id", "target", "target_name", "dataset", "version", "tables", "trust_service", "status",
                  "row_counts", "error_code", "error", "requested_by", "created_at", "started_at", "finished_at"]
        read_only_fields = fields
