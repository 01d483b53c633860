"""Tenant- and permission-scoped reads of datasets, versions and records."""

from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.core.errors import Conflict

from .models import (
    Dataset,
    DatasetGroupObjectPermission,
    DatasetUserObjectPermission,
    DatasetVersion,
    Record,
    VersionStatus,
)
from .permissions import allowed_filter, user_may


def datasets_visible(*, user, tenant, trash: bool = False):
    """Datasets of `tenant` the user may view: one query with indexed EXISTS subqueries, never a loop."""
    manager = Dataset.all_objects if trash else Dataset.objects
    queryset = manager.filter(tenant=tenant).filter(allowed_filter(user=user, action="view"))
    return queryset.trash() if trash else queryset


def datasets_allowed(*, user, tenant, action: str = "view"):
    """Live datasets of `tenant` on which the user holds `action`: the subquery that scopes every row
    inheriting a dataset's permissions (versions, records, jobs, exports, pushes) and every dataset choice."""
    return Dataset.objects.filter(tenant=tenant).filter(allowed_filter(user=user, action=action))


def dataset_for_action(*, user, tenant, pk, action: str = "view", trash: bool = False) -> Dataset:
    """The dataset if the user can see it (else 404) and holds `action` on it (else 403)."""
    dataset = datasets_visible(user=user, tenant=tenant, trash=trash).filter(pk=pk).first()
    if dataset is None:
        raise Http404
    if action != "view" and not user_may(user=user, dataset=dataset, action=action):
        raise PermissionDenied(f"You do not have the '{action}' permission on this dataset.")
    return dataset


def versions_of(*, dataset, trash: bool = False):
    manager = DatasetVersion.all_objects if trash else DatasetVersion.objects
    queryset = manager.filter(dataset=dataset)
    return queryset.trash() if trash else queryset


def version_of(*, dataset, number, trash: bool = False) -> DatasetVersion:
    version = versions_of(dataset=dataset, trash=trash).filter(number=number).first()
    if version is None:
        raise Http404
    return version


def records_of(*, version, table: str, trash: bool = False):
    if version.status == VersionStatus.CANCELLED:
        # Its rows were partial when it stopped, and are purged; reading them would serve a half version.
        raise Conflict(f"Version {version.number} was cancelled; it has no records to read.")
    manager = Record.all_objects if trash else Record.objects
    queryset = manager.filter(version=version, table_name=table)
    return queryset.trash() if trash else queryset


def dataset_grants(*, dataset):
    """Grants on one dataset: (group rows with role, user rows with user)."""
    groups = DatasetGroupObjectPermission.objects.filter(content_object=dataset).select_related(
        "group__tenant_role", "permission"
    )
    users = DatasetUserObjectPermission.objects.filter(content_object=dataset).select_related("user", "permission")
    return groups, users
