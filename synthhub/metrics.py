"""`/metrics`: platform counters in the Prometheus text format (no tenant names, only aggregates).

Set SYNTHHUB_METRICS_TOKEN to require `Authorization: Bearer <token>` from the scraper.
"""

import hmac

from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.datasets.models import Dataset, DatasetVersion
from apps.exports.models import Export
from apps.generation.models import GenerationJob, JobChunk
from apps.tenants.models import Tenant


def _by_status(model) -> dict[str, int]:
    return dict(model.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))


def _family(name: str, kind: str, help_text: str, samples: list[tuple[dict, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        label_text = ",".join(f'{key}="{val}"' for key, val in labels.items())
        lines.append(f"{name}{{{label_text}}} {value}" if label_text else f"{name} {value}")
    return lines


def render_metrics() -> str:
    rows_done = GenerationJob.objects.aggregate(total=Sum("rows_done"))["total"] or 0
    families = [
        _family("synthhub_tenants", "gauge", "Active tenants.", [({}, Tenant.objects.filter(is_active=True).count())]),
        _family("synthhub_datasets", "gauge", "Datasets not in the trash.", [({}, Dataset.objects.count())]),
        _family("synthhub_versions", "gauge", "Versions not in the trash, by status.",
                [({"status": s}, n) for s, n in sorted(_by_status(DatasetVersion).items())]),
        _family("synthhub_jobs", "gauge", "Generation jobs by status.",
                [({"status": s}, n) for s, n in sorted(_by_status(GenerationJob).items())]),
        _family("synthhub_job_chunks", "gauge", "Generation chunks by status.",
                [({"status": s}, n) for s, n in sorted(_by_status(JobChunk).items())]),
        _family("synthhub_generated_rows_total", "counter", "Rows written by generation jobs.", [({}, rows_done)]),
        _family("synthhub_exports", "gauge", "Exports not in the trash, by status.",
                [({"status": s}, n) for s, n in sorted(_by_status(Export).items())]),
    ]
    return "\n".join(line for family in families for line in family) + "\n"


@never_cache
@require_GET
def metrics(request):
    token = settings.SYNTHHUB_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HttpResponse("unauthorized\n", status=401, content_type="text/plain")
    return HttpResponse(render_metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")
