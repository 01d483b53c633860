from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer, Serializer

from ..models import ApiToken, Membership, Role, Tenant


class TenantSerializer(ModelSerializer):
    role = serializers.SerializerMethodField(help_text="The caller's role in this tenant.")

    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "is_active", "max_rows_per_version", "role", "created_at"]
        read_only_fields = fields

    def get_role(self, tenant) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(tenant.pk)


class TenantCreateSerializer(Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=60, required=False)


class MembershipSerializer(ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "username", "role", "created_at"]
        read_only_fields = ["id", "email", "username", "created_at"]


class MembershipCreateSerializer(Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipUpdateSerializer(Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class ApiTokenSerializer(ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["token_key", "name", "created", "expiry"]
        read_only_fields = fields


class ApiTokenCreateSerializer(Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    expires_in_days = serializers.IntegerField(min_value=1, max_value=365, required=False)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret. It is shown once and never again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields
