from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, ReadOnlyListSerializer, Serializer, datetime_representer

from ..models import DATASET_ACTIONS, Dataset, DatasetVersion, Record
from ..selectors import DATASET_LIST_COLUMNS


@extend_schema_field({"oneOf": [{"type": "object", "additionalProperties": True}, {"type": "string"}],
                      "description": "A schema document: an object, or its YAML/JSON text."})
class SpecField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": True})
class DocumentField(serializers.JSONField):
    """A stored schema document, returned as the object it is (key order as written)."""


class DatasetSerializer(ModelSerializer):
    spec = DocumentField(read_only=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "template_name", "default_seed", "spec", "spec_hash", "created_by",
                  "created_at", "updated_at", "deleted_at"]
        read_only_fields = fields
        list_serializer_class = ReadOnlyListSerializer


def dataset_rows(rows) -> list[dict]:
    """Datasets read as dicts of DATASET_LIST_COLUMNS, as DatasetSerializer represents them, key for key (the
    dataset list: DRF's field walk over 50 rows cost more than the list's query)."""
    when = datetime_representer()
    creator = DATASET_LIST_COLUMNS[7]
    out = []
    for row in rows:
        template_name, spec_hash, name = row["template_name"], row["spec_hash"], row[creator]
        out.append({
            "id": int(row["id"]),
            "name": str(row["name"]),
            "description": str(row["description"]),
            "template_name": None if template_name is None else str(template_name),
            "default_seed": int(row["default_seed"]),
            "spec": row["spec"],
            "spec_hash": None if spec_hash is None else str(spec_hash),
            "created_by": None if name is None else str(name),
            "created_at": when(row["created_at"]),
            "updated_at": when(row["updated_at"]),
            "deleted_at": when(row["deleted_at"]),
        })
    return out


class DatasetCreateSerializer(Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                 help_text="Defaults to the spec's `name`.")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    spec = SpecField(required=False)
    template = serializers.CharField(required=False, help_text="The name of a built-in template.")
    default_seed = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)


class DatasetUpdateSerializer(Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    spec = SpecField(required=False)
    default_seed = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)


class ActionList(serializers.ListField):
    child = serializers.ChoiceField(choices=DATASET_ACTIONS)


class MemberGrantSerializer(Serializer):
    email = serializers.EmailField()
    actions = ActionList()


class DatasetPermissionsSerializer(Serializer):
    roles = serializers.DictField(child=ActionList(), help_text="Actions per role: owner, admin, editor, viewer.")
    members = MemberGrantSerializer(many=True, help_text="Grants to single members, on top of their role's.")


class VersionSerializer(ModelSerializer):
    dataset = serializers.IntegerField(source="dataset_id", read_only=True)
    total_rows = serializers.IntegerField(read_only=True)
    rows = serializers.DictField(child=serializers.IntegerField(), read_only=True,
                                 help_text="Absolute row counts requested per table (they won over rows_scale).")

    class Meta:
        model = DatasetVersion
        fields = ["number", "dataset", "status", "seed", "reference_time", "rows_scale", "rows", "tables",
                  "spec_hash", "row_counts", "total_rows", "manifest", "created_at", "updated_at", "deleted_at"]
        read_only_fields = fields


class RecordSerializer(ModelSerializer):
    table = serializers.CharField(source="table_name")

    class Meta:
        model = Record
        fields = ["table", "row_index", "data", "deleted_at"]
        read_only_fields = fields

    def to_representation(self, instance):
        out = super().to_representation(instance)
        # JSONB returns keys sorted by length; give them back in the spec's column order.
        columns = self.context.get("columns")
        if columns and isinstance(out["data"], dict):
            data = out["data"]
            out["data"] = {name: data[name] for name in columns if name in data}
        return out


RECORD_PAGE_COLUMNS = ("table_name", "row_index", "data", "deleted_at")
_DELETED_AT = serializers.DateTimeField()


def record_rows(rows, *, columns: list[str] | None) -> list[dict]:
    """Records read as dicts of RECORD_PAGE_COLUMNS, as RecordSerializer represents them (records pages)."""
    out = []
    for row in rows:
        data = row["data"]
        if columns and isinstance(data, dict):
            data = {name: data[name] for name in columns if name in data}
        deleted_at = row["deleted_at"]
        out.append({"table": row["table_name"], "row_index": row["row_index"], "data": data,
                    "deleted_at": None if deleted_at is None else _DELETED_AT.to_representation(deleted_at)})
    return out


class SpecInputSerializer(Serializer):
    spec = SpecField(required=False)
    template = serializers.CharField(required=False)


class PreviewInputSerializer(SpecInputSerializer):
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)
    rows = serializers.IntegerField(required=False, min_value=1, max_value=100, default=10,
                                    help_text="Rows per table (at most 100).")


class PreviewSerializer(Serializer):
    spec_hash = serializers.CharField()
    seed = serializers.IntegerField()
    row_counts = serializers.DictField(child=serializers.IntegerField(), help_text="Rows a full version would have.")
    tables = serializers.DictField(child=serializers.ListField(child=serializers.DictField()))


class ProblemSerializer(Serializer):
    path = serializers.CharField()
    message = serializers.CharField()


class ValidationResultSerializer(Serializer):
    valid = serializers.BooleanField()
    spec_hash = serializers.CharField(allow_null=True)
    errors = ProblemSerializer(many=True)


class TemplateSummarySerializer(Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    tables = serializers.DictField(child=serializers.JSONField())


class TemplateDetailSerializer(TemplateSummarySerializer):
    source = serializers.CharField(help_text="The template's YAML text.")
    spec = serializers.JSONField()
