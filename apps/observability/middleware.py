"""Per request: the log context (request id, tenant, user) and the latency and status metrics by route."""

import time

from . import logs, metrics

UNMATCHED = "<unmatched>"


def route_of(request) -> str:
    """The URL pattern that answered (bounded: never the raw path, whose ids would make a series each)."""
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else UNMATCHED


class ObservabilityMiddleware:
    """Placed right after RequestIdMiddleware, so every later log line knows the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        logs.bind_request(request)
        response = self.get_response(request)
        route, method = route_of(request), request.method if request.method in _METHODS else "other"
        metrics.REQUEST_DURATION.labels(route=route, method=method).observe(time.perf_counter() - started)
        metrics.RESPONSES.labels(route=route, method=method, status=str(response.status_code)).inc()
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
