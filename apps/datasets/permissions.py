"""Object permissions on datasets, granted to the tenant's role groups and to single members.

Every check is one indexed query over guardian's direct foreign-key tables; guardian's global
permissions (`user.has_perm("datasets.view_dataset")` without an object) are never consulted.
"""

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q

from apps.tenants.models import Role

from .models import DATASET_ACTIONS, Dataset, DatasetGroupObjectPermission, DatasetUserObjectPermission, codename

# What each role may do on a dataset when it is created; owners always keep everything.
ROLE_DEFAULT_ACTIONS: dict[str, tuple[str, ...]] = {
    Role.OWNER: DATASET_ACTIONS,
    Role.ADMIN: DATASET_ACTIONS,
    Role.EDITOR: ("view", "change", "generate", "export"),
    Role.VIEWER: ("view",),
}


def dataset_permission_objects() -> dict[str, Permission]:
    perms = Permission.objects.filter(
        content_type__app_label="datasets", codename__in=[codename(a) for a in DATASET_ACTIONS]
    )
    return {perm.codename.removesuffix("_dataset"): perm for perm in perms}


def allowed_filter(*, user, action: str) -> Q:
    """A Q on Dataset: `user` holds `action` directly or through one of their groups."""
    by_user = DatasetUserObjectPermission.objects.filter(
        content_object=OuterRef("pk"), user=user, permission__codename=codename(action)
    )
    by_group = DatasetGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"), group__user=user, permission__codename=codename(action)
    )
    return Q(Exists(by_user)) | Q(Exists(by_group))


def user_may(*, user, dataset: Dataset, action: str) -> bool:
    return Dataset.all_objects.filter(pk=dataset.pk).filter(allowed_filter(user=user, action=action)).exists()


def actions_of(*, user, dataset: Dataset) -> list[str]:
    """Every action the user holds on the dataset, in one query per source."""
    direct = DatasetUserObjectPermission.objects.filter(content_object=dataset, user=user)
    grouped = DatasetGroupObjectPermission.objects.filter(content_object=dataset, group__user=user)
    held = set(direct.values_list("permission__codename", flat=True)) | set(
        grouped.values_list("permission__codename", flat=True)
    )
    return [action for action in DATASET_ACTIONS if codename(action) in held]
