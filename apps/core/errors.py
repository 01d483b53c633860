"""One error shape for every API error:

    {"error": {"code": "validation_error", "message": "...", "details": [{"path": "...", "message": "..."}]}}
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ServiceValidationError(exceptions.APIException):
    """Raised by services when input breaks a rule; carries every problem as (path, message)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "validation_error"
    default_detail = "The request is not valid."

    def __init__(self, problems: Iterable[tuple[str, str]] | str, message: str | None = None):
        if isinstance(problems, str):
            problems = [("", problems)]
        self.problems = [(path, str(text)) for path, text in problems]
        summary = message or (self.problems[0][1] if len(self.problems) == 1 else "The request is not valid.")
        super().__init__(detail=summary, code=self.default_code)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_code = "gone"
    default_detail = "The resource is no longer available."


def flatten_errors(detail, path: str = "") -> list[dict]:
    """Turn DRF's nested error detail into a flat list of {path, message} with dotted paths."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            key = "" if key in ("non_field_errors", "__all__") else str(key)
            out.extend(flatten_errors(value, f"{path}.{key}" if path and key else (path or key)))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"path": path, "message": str(item)} for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item in ({}, [], None, ""):
                continue
            out.extend(flatten_errors(item, f"{path}.{index}" if path else str(index)))
        return out
    return [{"path": path, "message": str(detail)}]


def problems_of(exc) -> list[tuple[str, str]]:
    """(field path, message) pairs from a service's refusal or a model's validation error, for pages that show
    them on a form (the admin sites); the API shows the same problems through api_exception_handler."""
    if hasattr(exc, "problems"):
        return list(exc.problems)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return [("" if key == "__all__" else key, message) for key, messages in exc.message_dict.items()
                    for message in messages]
        return [("", message) for message in exc.messages]
    if isinstance(exc, Http404):
        return [("", "Not found.")]
    return [("", str(getattr(exc, "detail", exc)))]


def error_body(code: str, message: str, details: list[dict] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = ServiceValidationError(
            [(field, msg) for field, msgs in exc.message_dict.items() for msg in msgs]
            if hasattr(exc, "error_dict")
            else [("", msg) for msg in exc.messages]
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling and logging take over

    if isinstance(exc, ServiceValidationError):
        details = [{"path": path, "message": message} for path, message in exc.problems]
        body = error_body("validation_error", str(exc.detail), details)
    elif isinstance(exc, exceptions.ValidationError):
        details = flatten_errors(exc.detail)
        message = details[0]["message"] if len(details) == 1 else "The request is not valid."
        body = error_body("validation_error", message, details)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if not isinstance(code, str):
            code = getattr(exc, "default_code", "error")
        body = error_body(code, str(getattr(exc, "detail", exc)))
    response.data = body
    return response


def error_response(status_code: int, code: str, message: str) -> Response:
    return Response(error_body(code, message), status=status_code)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found_view(request, exception=None):
    """handler404: API paths that match no route answer in the error shape, like every other API error."""
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def bad_request_view(request, exception=None):
    """handler400 (SuspiciousOperation, e.g. too many fields or a disallowed host) in the error shape."""
    if _is_api(request):
        return JsonResponse(error_body("bad_request", "Bad request."), status=400)
    return defaults.bad_request(request, exception)


def server_error_view(request):
    """handler500: an unexpected error, still in the error shape for API clients (details stay in the logs)."""
    if _is_api(request):
        return JsonResponse(error_body("server_error", "Server error."), status=500)
    return defaults.server_error(request)
