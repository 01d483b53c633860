"""Tenant-scoped reads. Every lookup takes the acting user explicitly and fails closed."""

from django.http import Http404

from .models import Membership, Role, Tenant


def membership_for(*, user, tenant_slug: str) -> Membership:
    """The caller's membership of an active tenant not in the trash, or 404 (an unknown slug, a foreign tenant
    and a trashed one look alike)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = (
        Membership.objects.select_related("tenant")
        .filter(user=user, tenant__slug=tenant_slug, tenant__is_active=True, tenant__deleted_at__isnull=True)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def tenants_administered_by(*, user):
    """Tenants where the user is admin or owner: what a non-superuser staff user may run in the admin."""
    if user.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=user, memberships__role__in=[Role.ADMIN, Role.OWNER])
