"""The request being served, for code far from the view (the audit trail needs its id and address)."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


_NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("synthhub_request_context", default=None)


def current_request_context() -> RequestContext:
    return _current.get() or _NO_REQUEST


def set_request_context(context: RequestContext):
    return _current.set(context)


def reset_request_context(token) -> None:
    _current.reset(token)
