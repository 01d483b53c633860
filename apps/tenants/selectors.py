"""Tenant-scoped reads. Every lookup takes the acting user explicitly and fails closed."""

from django.http import Http404
from django.utils import timezone

from .models import ApiToken, Membership, Role, Tenant


def tenants_for_user(*, user):
    return Tenant.objects.filter(memberships__user=user, is_active=True)


def membership_for(*, user, tenant_slug: str) -> Membership:
    """The caller's membership of an active tenant, or 404 (an unknown slug and a foreign tenant look alike)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = (
        Membership.objects.select_related("tenant")
        .filter(user=user, tenant__slug=tenant_slug, tenant__is_active=True)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def memberships_of_tenant(*, tenant):
    return Membership.objects.filter(tenant=tenant).select_related("user")


def tokens_of_user(*, user):
    now = timezone.now()
    return ApiToken.objects.filter(user=user).exclude(expiry__lt=now)


def tenants_administered_by(*, user):
    """Tenants where the user is admin or owner: what a non-superuser staff user may run in the admin."""
    if user.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=user, memberships__role__in=[Role.ADMIN, Role.OWNER])
