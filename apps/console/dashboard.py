"""The console's front page: rows generated in the last 30 days, jobs by status, quota used, recent activity."""

from datetime import timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.datasets.models import DatasetVersion
from apps.exports.models import Export
from apps.generation.heartbeat import queue_stalled
from apps.generation.models import GenerationJob, JobStatus
from apps.tenants.models import Role

from .scoping import datasets_for, member_tenants, memberships_of

DAYS = 30


def dashboard_context(request) -> dict:
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return {}
    visible = datasets_for(user).values("pk")
    jobs = GenerationJob.objects.filter(tenant__in=member_tenants(user), dataset__in=visible)
    today = timezone.localdate()
    since = today - timedelta(days=DAYS - 1)
    per_day = dict(jobs.filter(status=JobStatus.SUCCEEDED, finished_at__date__gte=since)
                   .annotate(day=TruncDate("finished_at")).values("day").annotate(rows=Sum("rows_done"))
                   .values_list("day", "rows"))
    days = [since + timedelta(days=n) for n in range(DAYS)]
    by_status = dict(jobs.values("status").annotate(n=Count("id")).values_list("status", "n"))
    quotas = []
    for membership in memberships_of(user):
        tenant = membership.tenant
        largest = max((v.total_rows for v in DatasetVersion.objects.filter(tenant=tenant, dataset__in=visible)
                       .order_by("-id")[:200]), default=0)
        quotas.append({"tenant": tenant, "role": membership.get_role_display(), "quota": tenant.max_rows_per_version,
                       "largest": largest,
                       "percent": min(100, round(100 * largest / tenant.max_rows_per_version))
                       if tenant.max_rows_per_version else 0})
    recent_jobs = jobs.select_related("dataset", "version").order_by("-id")[:8]
    recent_exports = Export.objects.filter(tenant__in=member_tenants(user), dataset__in=visible).select_related(
        "dataset", "version").order_by("-id")[:5]
    events = AuditEvent.objects.filter(tenant__in=member_tenants(user, at_least=Role.ADMIN)).order_by("-id")[:10]
    return {
        "chart_days": [day.strftime("%m-%d") for day in days],
        "chart_rows": [per_day.get(day, 0) or 0 for day in days],
        "rows_30_days": sum(v or 0 for v in per_day.values()),
        "jobs_by_status": [(label, by_status.get(value, 0)) for value, label in JobStatus.choices],
        "quotas": quotas,
        "recent_jobs": recent_jobs,
        "recent_exports": recent_exports,
        "recent_events": events,
        "has_datasets": datasets_for(user).exists(),
        "queue_stalled": queue_stalled() if jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists()
        else None,
    }
