"""Every write to tenants, memberships and tokens. Services check the rules; callers stay thin."""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.text import slugify
from knox.settings import knox_settings
from rest_framework.exceptions import PermissionDenied

from apps.audit.services import audit_record
from apps.core.errors import Conflict, ServiceValidationError

from .models import ApiToken, Membership, Role, Tenant, TenantGroup

User = get_user_model()


def _membership_snapshot(membership: Membership) -> dict:
    return {"user": membership.user.get_username(), "role": membership.role}


def _group_for(tenant: Tenant, role: str) -> Group:
    return TenantGroup.objects.select_related("group").get(tenant=tenant, role=role).group


def _sync_groups(membership: Membership, *, old_role: str | None) -> None:
    if old_role:
        membership.user.groups.remove(_group_for(membership.tenant, old_role))
    membership.user.groups.add(_group_for(membership.tenant, membership.role))


def _actor_membership(tenant: Tenant, actor) -> Membership | None:
    if actor is None:
        return None  # management commands and other trusted system callers
    return Membership.objects.filter(tenant=tenant, user=actor).first()


def _check_may_manage(tenant: Tenant, actor, *, roles_touched: set[str]) -> None:
    """Admins manage editors and viewers; only owners grant, revoke or change owners and admins' peers."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    acting = _actor_membership(tenant, actor)
    if acting is None or not acting.role_enum.at_least(Role.ADMIN):
        raise PermissionDenied("Only the tenant's admins and owners manage its members.")
    if Role.OWNER in roles_touched and acting.role != Role.OWNER:
        raise PermissionDenied("Only an owner can grant, change or revoke the owner role.")
    if Role.ADMIN in roles_touched and acting.role != Role.OWNER:
        raise PermissionDenied("Only an owner can grant, change or revoke the admin role.")


def _withdraw_personal_grants(membership: Membership, *, actor, keep: tuple[str, ...] = ()) -> None:
    """Withdraw the member's personal dataset grants in this tenant except the actions in `keep`, and audit
    what went (counts and dataset ids only). Callers run inside their own transaction.

    The rule: a removed member keeps nothing; a demoted member keeps only what their new role holds by
    default on a new dataset (a viewer keeps `view`, an editor everything but `delete`). Personal grants are
    how a creator keeps full rights on what they made, so without this a creator demoted to viewer, or
    removed, kept changing, deleting and exporting it. Grants to the role groups follow the group membership.
    """
    # Datasets build on tenants; importing them at module level would tie this module to that app's loading.
    from apps.datasets.models import DatasetUserObjectPermission, codename

    grants = DatasetUserObjectPermission.objects.filter(user_id=membership.user_id,
                                                        content_object__tenant_id=membership.tenant_id)
    if keep:
        grants = grants.exclude(permission__codename__in=[codename(action) for action in keep])
    withdrawn = list(grants.values_list("pk", "content_object_id", "permission__codename"))
    if not withdrawn:
        return
    DatasetUserObjectPermission.objects.filter(pk__in=[pk for pk, _, _ in withdrawn]).delete()
    actions: dict[str, int] = {}
    for _, _, name in withdrawn:
        action = name.removesuffix("_dataset")
        actions[action] = actions.get(action, 0) + 1
    audit_record(action="membership.grants_withdraw", actor=actor, tenant=membership.tenant, target=membership,
                 before={"user": membership.user.get_username(), "grants": len(withdrawn)},
                 after={"role": membership.role if keep else None, "kept_actions": list(keep),
                        "withdrawn": len(withdrawn), "actions": dict(sorted(actions.items())),
                        "datasets": sorted({dataset_id for _, dataset_id, _ in withdrawn})})


def _check_not_last_owner(membership: Membership) -> None:
    if membership.role != Role.OWNER:
        return
    owners = Membership.objects.select_for_update().filter(tenant=membership.tenant, role=Role.OWNER)
    if owners.count() <= 1:
        raise ServiceValidationError([("role", "A tenant keeps at least one owner: add another owner first.")])


# A slug starts with a letter, so it never reads as a number: `/tenants/0/` names no tenant.
_SLUG = re.compile(r"[a-z][a-z0-9-]*")


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "tenant"
    if not _SLUG.fullmatch(base):
        base = f"tenant-{base}"[:50]
    slug, n = base, 2
    while Tenant.all_objects.filter(slug=slug).exists():  # a trashed tenant keeps its slug
        slug, n = f"{base}-{n}", n + 1
    return slug


def tenant_self_service_allowed(*, user) -> bool:
    """Whether `user` may create a tenant for themselves (and own it): staff always, anyone else only when
    the operator turns on SYNTHHUB_TENANT_SELF_SERVICE."""
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return bool(getattr(settings, "SYNTHHUB_TENANT_SELF_SERVICE", False))


@transaction.atomic
def tenant_create(*, name: str, owner, slug: str | None = None, actor=None, self_service: bool = False,
                  **quotas) -> Tenant:
    """A tenant owned by `owner`. `self_service` marks a user creating one for themselves (the API): that
    is refused unless tenant_self_service_allowed; operators' paths (commands, admin) do not pass it."""
    if self_service and not tenant_self_service_allowed(user=actor or owner):
        raise PermissionDenied("Creating tenants is reserved to the platform's operators here.")
    name = (name or "").strip()
    problems = []
    if not name:
        problems.append(("name", "This field may not be blank."))
    if slug is not None:
        if not _SLUG.fullmatch(slug) or slug != slugify(slug):
            problems.append(("slug", "Use lowercase letters, digits and hyphens, starting with a letter."))
        elif Tenant.all_objects.filter(slug=slug).exists():
            problems.append(("slug", f"A tenant with slug '{slug}' already exists."))
    if problems:
        raise ServiceValidationError(problems)
    tenant = Tenant.objects.create(name=name, slug=slug or _unique_slug(name), **quotas)
    for role in Role:
        group = Group.objects.create(name=f"tenant:{tenant.slug}:{role.value}")
        TenantGroup.objects.create(tenant=tenant, role=role, group=group)
    membership = Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    _sync_groups(membership, old_role=None)
    audit_record(action="tenant.create", actor=actor or owner, tenant=tenant, target=tenant,
                 after={"name": tenant.name, "slug": tenant.slug, "owner": owner.get_username()})
    return tenant


@transaction.atomic
def tenant_update(*, tenant: Tenant, actor, **changes) -> Tenant:
    allowed = {"name", "is_active", "max_rows_per_version"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceValidationError([(key, "This field cannot be changed here.") for key in sorted(unknown)])
    before = {key: getattr(tenant, key) for key in changes}
    for key, value in changes.items():
        setattr(tenant, key, value)
    tenant.full_clean()
    tenant.save()
    audit_record(action="tenant.update", actor=actor, tenant=tenant, target=tenant, before=before, after=changes)
    return tenant


def _check_operator(actor, verb: str) -> None:
    if actor is not None and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(f"Only the platform's operators {verb} tenants.")


@transaction.atomic
def tenant_delete(*, tenant: Tenant, actor) -> None:
    """Move a tenant to the trash: its members' API and console answer 404 for it, its rows stay, and an
    operator can restore it. Refused while it has generation jobs queued or running (cancel them first): a
    trashed tenant's work would go on where nobody can see or stop it."""
    from apps.generation.models import GenerationJob, JobStatus

    _check_operator(actor, "trash")
    tenant = Tenant.all_objects.select_for_update(no_key=True).get(pk=tenant.pk)
    if tenant.deleted_at is not None:
        raise Conflict("This tenant is already in the trash.")
    busy = GenerationJob.objects.filter(tenant=tenant, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count()
    if busy:
        raise Conflict(f"The tenant has {busy} generation job(s) queued or running; cancel them first.")
    tenant.mark_deleted(by=actor)
    audit_record(action="tenant.delete", actor=actor, tenant=tenant, target=tenant,
                 before={"name": tenant.name, "slug": tenant.slug})


@transaction.atomic
def tenant_restore(*, tenant: Tenant, actor) -> Tenant:
    _check_operator(actor, "restore")
    tenant = Tenant.all_objects.select_for_update(no_key=True).get(pk=tenant.pk)
    if tenant.deleted_at is None:
        raise Conflict("This tenant is not in the trash.")
    tenant.mark_restored()
    audit_record(action="tenant.restore", actor=actor, tenant=tenant, target=tenant,
                 after={"name": tenant.name, "slug": tenant.slug})
    return tenant


@transaction.atomic
def membership_add(*, tenant: Tenant, user, role: str, actor=None) -> Membership:
    if role not in Role.values:
        raise ServiceValidationError([("role", f"'{role}' is not a role; use one of {', '.join(Role.values)}.")])
    _check_may_manage(tenant, actor, roles_touched={role})
    if Membership.objects.filter(tenant=tenant, user=user).exists():
        raise ServiceValidationError([("user", f"{user.get_username()} is already a member of this tenant.")])
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    _sync_groups(membership, old_role=None)
    audit_record(action="membership.add", actor=actor, tenant=tenant, target=membership,
                 after=_membership_snapshot(membership))
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor=None) -> Membership:
    if role not in Role.values:
        raise ServiceValidationError([("role", f"'{role}' is not a role; use one of {', '.join(Role.values)}.")])
    if role == membership.role:
        return membership
    _check_may_manage(membership.tenant, actor, roles_touched={role, membership.role})
    _check_not_last_owner(membership)
    before = _membership_snapshot(membership)
    old_role, membership.role = membership.role, role
    membership.save(update_fields=["role", "updated_at"])
    _sync_groups(membership, old_role=old_role)
    audit_record(action="membership.change_role", actor=actor, tenant=membership.tenant, target=membership,
                 before=before, after=_membership_snapshot(membership))
    if not Role(role).at_least(old_role):
        from apps.datasets.permissions import ROLE_DEFAULT_ACTIONS

        _withdraw_personal_grants(membership, actor=actor, keep=tuple(ROLE_DEFAULT_ACTIONS[role]))
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor=None) -> None:
    _check_may_manage(membership.tenant, actor, roles_touched={membership.role})
    _check_not_last_owner(membership)
    before = _membership_snapshot(membership)
    membership.user.groups.remove(_group_for(membership.tenant, membership.role))
    audit_record(action="membership.remove", actor=actor, tenant=membership.tenant, target=membership,
                 before=before)
    _withdraw_personal_grants(membership, actor=actor)
    membership.delete()


def user_get_or_create(*, email: str) -> tuple[object, bool]:
    """Users are keyed by email (as username) in commands; the API adds only existing users."""
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise ServiceValidationError([("email", "Enter a valid email address.")])
    user = User.objects.filter(email__iexact=email).first() or User.objects.filter(username=email).first()
    if user:
        return user, False
    user = User.objects.create_user(username=email, email=email)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user, True


@transaction.atomic
def token_create(*, user, name: str = "", expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Create a hashed token; the returned secret exists only here and is never stored."""
    expiry = timedelta(days=expires_in_days) if expires_in_days else knox_settings.TOKEN_TTL
    token, secret = ApiToken.objects.create(user=user, expiry=expiry, name=name[:100])
    audit_record(action="token.create", actor=user, target_type="tenants.apitoken", target_id=token.token_key,
                 target_label=name or token.token_key, after={"name": name, "expiry": token.expiry})
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> None:
    audit_record(action="token.revoke", actor=actor, target_type="tenants.apitoken", target_id=token.token_key,
                 target_label=token.name or token.token_key)
    token.delete()


# ----- accounts, as the operators' site changes them -----

USER_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")


def _user_snapshot(user) -> dict:
    return {field: getattr(user, field) for field in USER_FIELDS}


@transaction.atomic
def user_create(*, username: str, actor, password: str | None = None, **fields):
    """An account made by an operator: no memberships (members are added through `membership_add`); with no
    password it cannot log in with one. Audited without the password."""
    _check_operator(actor, "create accounts for")
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise ServiceValidationError([(key, "This field cannot be set here.") for key in sorted(unknown)])
    username = (username or "").strip()
    if not username:
        raise ServiceValidationError([("username", "This field may not be blank.")])
    if User.objects.filter(username=username).exists():
        raise ServiceValidationError([("username", "A user with that username already exists.")])
    user = User(username=username, **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(action="user.create", actor=actor, target=user, after=_user_snapshot(user))
    return user


@transaction.atomic
def user_update(*, user, actor, **changes):
    """Change an account's profile and flags. Operators only; an operator cannot take their own operator
    rights or their account away (nobody would be left to give them back), and groups are never set here:
    they follow the user's memberships (`membership_add`, `membership_change_role`)."""
    _check_operator(actor, "change accounts for")
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise ServiceValidationError([(key, "This field cannot be changed here.") for key in sorted(unknown)])
    if actor is not None and actor.pk == user.pk:
        lost = [key for key in ("is_active", "is_staff", "is_superuser") if key in changes and not changes[key]]
        if lost:
            raise ServiceValidationError([(key, "You cannot take this away from your own account.") for key in lost])
    changes = {key: value for key, value in changes.items() if getattr(user, key) != value}
    if not changes:
        return user
    before = {key: getattr(user, key) for key in changes}
    for key, value in changes.items():
        setattr(user, key, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changes))
    audit_record(action="user.update", actor=actor, target=user, before=before, after=changes)
    return user


@transaction.atomic
def user_set_password(*, user, actor, password: str | None):
    """Set an account's password, or make it unusable (None). Audited; the password itself never is."""
    _check_operator(actor, "set passwords for")
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(update_fields=["password"])
    audit_record(action="user.password", actor=actor, target=user, after={"usable": bool(password)})
    return user
