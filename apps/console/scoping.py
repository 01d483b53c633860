"""What a member may see in the console: the active tenants they belong to, their role in each, and the
datasets (with everything inheriting a dataset's permissions) they hold an action on, exactly as the API's
selectors and permissions decide."""

from apps.datasets.models import Dataset
from apps.datasets.permissions import allowed_filter
from apps.tenants.models import ROLE_RANK, Membership, Role, Tenant


def memberships_of(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    live = Membership.objects.filter(user=user, tenant__is_active=True, tenant__deleted_at__isnull=True)
    return live.select_related("tenant")


def member_tenants(user, *, at_least: str = Role.VIEWER):
    """Active tenants where the user holds `at_least` this role."""
    roles = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[at_least]]
    return Tenant.objects.filter(pk__in=memberships_of(user).filter(role__in=roles).values("tenant_id"))


def role_in(user, tenant_id) -> Role | None:
    role = memberships_of(user).filter(tenant_id=tenant_id).values_list("role", flat=True).first()
    return Role(role) if role else None


def datasets_for(user, *, action: str = "view", trash: bool | None = False):
    """Datasets of the user's tenants on which they hold `action`; trash=None gives live and trashed ones."""
    manager = Dataset.objects if trash is False else Dataset.all_objects
    queryset = manager.filter(tenant__in=member_tenants(user)).filter(allowed_filter(user=user, action=action))
    return queryset.filter(deleted_at__isnull=False) if trash else queryset
