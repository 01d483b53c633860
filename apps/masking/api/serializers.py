from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, Serializer

from ..models import MaskingKey, MaskingRuleSet


class RulesDocumentField(serializers.JSONField):
    """A rules document: its mapping, or its YAML/JSON text."""


class MaskingRuleSetSerializer(ModelSerializer):
    document = RulesDocumentField(help_text="The masking rules document (docs/masking.md): a mapping or YAML text.")
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = MaskingRuleSet
        fields = ["id", "name", "document", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]
        validators = []  # the name's uniqueness is checked (with a path) by the service


class MaskingKeySerializer(ModelSerializer):
    class Meta:
        model = MaskingKey
        fields = ["key_id", "active", "created_at"]
        read_only_fields = fields


class MaskingKeyCreatedSerializer(MaskingKeySerializer):
    secret = serializers.SerializerMethodField(help_text="The secret, shown this once: keep it for mask_file.")

    class Meta(MaskingKeySerializer.Meta):
        fields = ["key_id", "active", "created_at", "secret"]
        read_only_fields = fields

    def get_secret(self, obj) -> str:
        return self.context["secret"]


class MaskingSourceSerializer(Serializer):
    """Either a target connection and its tables, or uploaded samples (each one table, named as the sample)."""

    target = serializers.IntegerField(min_value=1, required=False,
                                      help_text="A target connection of this tenant, read read-only.")
    tables = serializers.ListField(child=serializers.CharField(max_length=63), min_length=1, max_length=100,
                                   required=False, help_text="Source tables to mask (foreign keys decide the order).")
    samples = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=100,
                                    required=False, help_text="Instead of a target: samples of this tenant that the "
                                                              "caller may view, each masked as its table.")

    def validate(self, attrs):
        if "samples" in attrs:
            if "target" in attrs or "tables" in attrs:
                raise serializers.ValidationError({"samples": ["give either samples, or target and tables"]})
        else:
            missing = {name: ["required (or give samples)"] for name in ("target", "tables") if name not in attrs}
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class MaskingCreateSerializer(Serializer):
    rules = RulesDocumentField(required=False, help_text="A rules document (or give rule_set).")
    rule_set = serializers.IntegerField(min_value=1, required=False, help_text="A saved rules document's id.")
    source = MaskingSourceSerializer()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                 help_text="Name of the dataset the masked version goes into.")

    def validate(self, attrs):
        if ("rules" in attrs) == ("rule_set" in attrs):
            raise serializers.ValidationError({"rules": ["give exactly one of rules and rule_set"]})
        return attrs


class MaskingSuggestSerializer(Serializer):
    profile = serializers.JSONField(help_text="A profile of this tenant (its id) that has succeeded.")
    locale = serializers.RegexField(r"^[a-z]{2,3}(_[A-Z]{2})?$", required=False, default="en_US",
                                    help_text="The Faker locale of the suggested `fake` columns (default en_US).")


class SuggestionReasonSerializer(Serializer):
    table = serializers.CharField()
    column = serializers.CharField()
    rule = serializers.CharField(help_text="The suggested rule, or `references` for a foreign key.")
    reason = serializers.CharField(help_text="Why: the PII kind found and its evidence, a key, or none found.")
    confidence = serializers.FloatField(allow_null=True, help_text="The finding's confidence (0..1), if any.")


class MaskingSuggestionSerializer(Serializer):
    document = serializers.JSONField(help_text="The draft rules document (not saved): review it, then save it.")
    columns = SuggestionReasonSerializer(many=True)
