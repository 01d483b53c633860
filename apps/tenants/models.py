"""Tenants (teams), their members with roles, the per-tenant groups roles map onto, and API tokens."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MinValueValidator
from django.db import models
from knox.models import AbstractAuthToken

from apps.core.models import SoftDeleteModel, TimeStampedModel


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.value]

    def at_least(self, other: "Role | str") -> bool:
        return ROLE_RANK[self.value] >= ROLE_RANK[str(other)]


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3, Role.OWNER: 4}


def default_max_rows() -> int:
    return settings.SYNTHHUB_DEFAULT_MAX_ROWS_PER_VERSION


class Tenant(SoftDeleteModel, TimeStampedModel):
    """A team. Trashed (`tenant_delete`) it is gone for its members and restorable by an operator; nothing
    hard-deletes a tenant (the cascade would leave its export files behind, unaudited)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    is_active = models.BooleanField(default=True)
    max_rows_per_version = models.PositiveBigIntegerField(
        default=default_max_rows,
        validators=[MinValueValidator(1)],
        help_text="Quota: the most rows one generated version may hold, across its tables.",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="tenants")

    class Meta(SoftDeleteModel.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="uniq_membership_tenant_user")]
        ordering = ["tenant_id", "id"]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} as {self.role}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class TenantGroup(models.Model):
    """The auth group that carries one role of one tenant; object permissions are granted to it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="role_groups")
    role = models.CharField(max_length=10, choices=Role.choices)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="tenant_role")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "role"], name="uniq_tenant_group_role")]

    def __str__(self) -> str:
        return self.group.name


class ApiToken(AbstractAuthToken):
    """A hashed API token (the secret is shown once); `name` tells its owner which script holds it."""

    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"
