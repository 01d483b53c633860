from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.datasets.permissions import user_may
from apps.datasets.selectors import datasets_visible

from .models import GenerationJob


def jobs_visible(*, user, tenant):
    """Jobs of the tenant on datasets the user may view (one query: the dataset scope is a subquery)."""
    return GenerationJob.objects.filter(
        tenant=tenant, dataset__in=datasets_visible(user=user, tenant=tenant).values("pk")
    ).select_related("version", "dataset", "requested_by")


def job_for_action(*, user, tenant, pk, action: str = "view") -> GenerationJob:
    job = jobs_visible(user=user, tenant=tenant).filter(pk=pk).first()
    if job is None:
        raise Http404
    if action != "view" and not user_may(user=user, dataset=job.dataset, action=action):
        raise PermissionDenied(f"You do not have the '{action}' permission on this job's dataset.")
    return job
