"""Object permissions on samples: granted to the tenant's role groups and to the member who uploaded it.

Samples are real data, so viewers get nothing by default: owners and admins may view and delete every
sample, editors view them, and the uploader keeps both actions on their own. A profile is visible to whoever
may view every one of its samples (its statistics hold the samples' values).
"""

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q

from apps.tenants.models import Role

from .models import SAMPLE_ACTIONS, Profile, Sample, SampleGroupObjectPermission, SampleUserObjectPermission
from .models import sample_codename as codename

ROLE_DEFAULT_ACTIONS: dict[str, tuple[str, ...]] = {
    Role.OWNER: SAMPLE_ACTIONS,
    Role.ADMIN: SAMPLE_ACTIONS,
    Role.EDITOR: ("view",),
    Role.VIEWER: (),
}


def sample_permission_objects() -> dict[str, Permission]:
    perms = Permission.objects.filter(content_type__app_label="profiling",
                                      codename__in=[codename(a) for a in SAMPLE_ACTIONS])
    return {perm.codename.removesuffix("_sample"): perm for perm in perms}


def sample_allowed_filter(*, user, action: str, prefix: str = "") -> Q:
    """A Q on Sample (or through `prefix`, e.g. "samples__"): `user` holds `action` directly or by a group."""
    by_user = SampleUserObjectPermission.objects.filter(
        content_object=OuterRef(f"{prefix}pk"), user=user, permission__codename=codename(action))
    by_group = SampleGroupObjectPermission.objects.filter(
        content_object=OuterRef(f"{prefix}pk"), group__user=user, permission__codename=codename(action))
    return Q(Exists(by_user)) | Q(Exists(by_group))


def samples_allowed(*, user, tenant, action: str = "view"):
    return Sample.objects.filter(tenant=tenant).filter(sample_allowed_filter(user=user, action=action))


def profiles_allowed(queryset, *, user, tenant):
    """Profiles among `queryset` none of whose samples is hidden from `user` (no view, or in the trash)."""
    visible = samples_allowed(user=user, tenant=tenant).values("pk")
    hidden = Profile.samples.through.objects.filter(profile_id=OuterRef("pk")).exclude(sample_id__in=visible)
    return queryset.filter(tenant=tenant).exclude(Exists(hidden))


def user_may_sample(*, user, sample: Sample, action: str) -> bool:
    return Sample.all_objects.filter(pk=sample.pk).filter(sample_allowed_filter(user=user, action=action)).exists()
