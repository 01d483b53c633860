"""Tenant-scoped reads. Every lookup takes the acting user explicitly and fails closed."""

from django.http import Http404

from apps.core.sql import Statement, load, width

from .models import Membership, Role, Tenant

# membership_for, read on every tenant route: the membership and its tenant in one prepared statement (the
# same rows as Membership.objects.select_related("tenant").filter(user=..., tenant__slug=..., active, alive)).
_MEMBERSHIP = Statement(
    lambda n: (
        f"SELECT {n.columns(Membership, 'm')}, {n.columns(Tenant, 't')} "  # noqa: S608 -- the models' own names
        f"FROM {n.table(Membership)} m INNER JOIN {n.table(Tenant)} t "
        f"ON t.{n.quote('id')} = {n.column(Membership, 'tenant', 'm')} "
        f"WHERE {n.column(Membership, 'user', 'm')} = %s AND {n.column(Tenant, 'slug', 't')} = %s "
        f"AND {n.column(Tenant, 'is_active', 't')} = %s AND {n.column(Tenant, 'deleted_at', 't')} IS NULL "
        f"ORDER BY m.{n.quote('id')} LIMIT 1"
    )
)


def membership_for(*, user, tenant_slug: str) -> Membership:
    """The caller's membership of an active tenant not in the trash, or 404 (an unknown slug, a foreign tenant
    and a trashed one look alike). One prepared statement: read on every tenant route, never cached."""
    if not getattr(user, "is_authenticated", False) or "\x00" in str(tenant_slug):
        raise Http404
    rows = _MEMBERSHIP.rows([user.pk, str(tenant_slug), True])
    if not rows:
        raise Http404
    row = rows[0]
    split = width(Membership)
    membership = load(Membership, row[:split])
    membership.tenant = load(Tenant, row[split:])
    membership.user = user
    return membership


def tenants_administered_by(*, user):
    """Tenants where the user is admin or owner: what a non-superuser staff user may run in the admin."""
    if user.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=user, memberships__role__in=[Role.ADMIN, Role.OWNER])
