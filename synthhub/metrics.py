"""`/metrics`: the Prometheus exposition (apps.observability.exposition).

Protected by a token: with SYNTHHUB_METRICS_TOKEN set, only `Authorization: Bearer <token>` gets it (401
otherwise). Without a token, SYNTHHUB_METRICS_REQUIRE_TOKEN (on in production) makes the route answer 404, so a
deployment that forgot the token exposes nothing (and `check --deploy` warns).
"""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from apps.observability.exposition import render


@never_cache
@require_GET
def metrics(request):
    token = settings.SYNTHHUB_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HttpResponse("unauthorized\n", status=401, content_type="text/plain")
    elif settings.SYNTHHUB_METRICS_REQUIRE_TOKEN:
        raise Http404
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
