"""`/metrics`: the Prometheus exposition (apps.observability.exposition).

Protected by a token: with SYNTHHUB_METRICS_TOKEN set, only `Authorization: Bearer <token>` gets it (401
otherwise). Without a token, SYNTHHUB_METRICS_REQUIRE_TOKEN (on in production) makes the route answer 404, so a
deployment that forgot the token exposes nothing (and `check --deploy` warns).
"""

from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from apps.observability.exposition import render, scrape_refusal


@never_cache
@require_GET
def metrics(request):
    refusal = scrape_refusal(request.headers.get("Authorization", ""))
    if refusal == 401:
        return HttpResponse("unauthorized\n", status=401, content_type="text/plain")
    if refusal:
        raise Http404
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
