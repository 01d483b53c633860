"""Request middleware: a request id for logs and audit, and the limits every request is held to."""

import re
import uuid
from urllib.parse import unquote_plus

from django.http import HttpResponseBadRequest, JsonResponse

from .request_context import RequestContext, reset_request_context, set_request_context

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SAMPLE_UPLOAD = re.compile(r"^/api/v1/tenants/[-a-zA-Z0-9_]{1,100}/samples/$")
MULTIPART_OVERHEAD = 64 * 1024


def sample_max_bytes() -> int:
    from django.conf import settings

    return int(getattr(settings, "SYNTHHUB_SAMPLE_MAX_BYTES", 200 * 1024 * 1024))


def _is_sample_upload(request) -> bool:
    return (request.method == "POST" and request.content_type.startswith("multipart/")
            and bool(_SAMPLE_UPLOAD.match(request.path)))


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(self.header, "")
        request.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_context(RequestContext(request_id=request.request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response[self.header] = request.request_id
        return response


class RequestLimitsMiddleware:
    """Refuses, before any view runs, what no API route can handle:

    - a query string with a NUL character (PostgreSQL cannot compare or store text holding one: a DataError,
      which was a 500 from any filter, search or lookup that reached the database): 400;
    - an API request whose declared body is over SYNTHHUB_MAX_REQUEST_BYTES: 413 (the JSON parser also stops
      reading at the limit, for bodies that understate their length). A multipart sample upload
      (POST .../samples/) may be as large as SYNTHHUB_SAMPLE_MAX_BYTES plus 64 KiB of form overhead; over that
      it is a 400 naming `file`, the answer the upload service gives a file over the limit.
    """

    def __init__(self, get_response):
        # Imported here: these modules import DRF, whose settings import the authentication classes, which
        # import this module (client_ip); at module level that is a circular import.
        from .errors import error_body
        from .parsers import max_request_bytes, too_large

        self.get_response = get_response
        self.error_body, self.max_request_bytes, self.too_large = error_body, max_request_bytes, too_large

    def __call__(self, request):
        error_body, max_request_bytes, too_large = self.error_body, self.max_request_bytes, self.too_large
        is_api = request.path.startswith("/api/")
        # A NUL in the path needs nothing here: no route's pattern matches it, so it is an ordinary 404.
        if "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
            if is_api:
                names = [name.replace("\x00", "\\0") for name, values in request.GET.lists()
                         if "\x00" in name or any("\x00" in value for value in values)] or [""]
                details = [{"path": name, "message": "NUL characters are not allowed"} for name in names]
                return JsonResponse(error_body("validation_error", "NUL characters are not allowed in the URL.",
                                               details), status=400)
            return HttpResponseBadRequest("NUL characters are not allowed in the URL.")
        if is_api:
            limit = max_request_bytes()
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if _is_sample_upload(request):
                sample_limit = sample_max_bytes()
                if declared > sample_limit + MULTIPART_OVERHEAD:
                    message = (f"is larger than {sample_limit} bytes, the most a sample file may have "
                               "(SYNTHHUB_SAMPLE_MAX_BYTES)")
                    return JsonResponse(error_body("validation_error", f"The file {message}.",
                                                   [{"path": "file", "message": message}]), status=400)
                return self.get_response(request)
            if declared > limit:
                exc = too_large(limit)
                return JsonResponse(error_body(exc.default_code, str(exc.detail)), status=exc.status_code)
        return self.get_response(request)
