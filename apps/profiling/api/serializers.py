from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, Serializer

from ..models import Profile, ProfileStatus, Sample, SampleFormat


class SampleUploadSerializer(Serializer):
    file = serializers.FileField(help_text="A CSV (with a header line), JSON Lines (one object a line) or Parquet "
                                           "file: one table, 2 to 500 columns, UTF-8, at most "
                                           "SYNTHHUB_SAMPLE_MAX_BYTES (200 MB by default).")
    table_name = serializers.CharField(max_length=63, help_text="The table the sample stands for (an identifier).")
    format = serializers.ChoiceField(choices=SampleFormat.choices, required=False,
                                     help_text="Default: from the file name's extension.")


class SampleFromTargetSerializer(Serializer):
    target = serializers.IntegerField(min_value=1, help_text="A target connection of the tenant (admins).")
    source_table = serializers.CharField(max_length=130, help_text="`table` or `schema.table` in the target.")
    table_name = serializers.CharField(max_length=63)
    rows = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, default=100_000,
                                    help_text="The sample's size: a random sample of at most this many rows is "
                                              "read (read-only transaction).")
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, default=0,
                                    help_text="The same seed draws the same rows of the same table.")


class SampleSerializer(ModelSerializer):
    target = serializers.IntegerField(source="target_id", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, default=None,
                                       allow_null=True)
    columns = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Sample
        fields = ["id", "table_name", "source", "format", "row_count", "columns", "original_size_bytes", "sha256",
                  "target", "source_table", "created_by", "created_at"]
        read_only_fields = fields


class ProfileCreateSerializer(Serializer):
    samples = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=20,
                                    help_text="Ids of samples (one a table) to profile together.")


class ProfileSerializer(ModelSerializer):
    samples = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    status = serializers.ChoiceField(choices=ProfileStatus.choices, read_only=True)
    dataset = serializers.IntegerField(source="created_dataset_id", read_only=True, allow_null=True)

    class Meta:
        model = Profile
        fields = ["id", "samples", "status", "progress", "error", "dataset", "created_at", "started_at",
                  "finished_at"]
        read_only_fields = fields


class ProfileDetailSerializer(ProfileSerializer):
    result = serializers.JSONField(read_only=True, help_text=(
        "Per table: rows, columns (kind, null_share, distinct, min/max, quantiles, top_values, length, "
        "patterns, categories, pii), key_candidates, primary_key, correlations (columns, matrix, and given: the "
        "stratifier column, its values and the other columns' per-stratum quantiles or shares); foreign_keys with "
        "child_counts; "
        "pii (every finding with table and column); names (sample names to spec names)."))
    spec = serializers.JSONField(read_only=True, help_text="The inferred schema-language document (version 1.1).")
    approved_categories = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(ProfileSerializer.Meta):
        fields = [*ProfileSerializer.Meta.fields, "approved_categories", "result", "spec"]
        read_only_fields = fields


class ProfileReviewSerializer(Serializer):
    approved_categories = serializers.ListField(
        child=serializers.CharField(max_length=130), required=False, max_length=1000,
        help_text="`table.column` of the category columns whose values the spec may keep (the spec is inferred "
                  "again); the others get synthetic labels.")
    spec = serializers.JSONField(required=False, help_text="An edited spec; it replaces the inferred one.")


class ProfileDatasetSerializer(Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    spec = serializers.JSONField(required=False, help_text="Default: the profile's (reviewed) spec.")
