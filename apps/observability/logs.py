"""Structured logs: every log line (Django's, django-q2's, the platform's) through structlog's formatter.

LOG_FORMAT=json writes one JSON object per line (production's default); LOG_FORMAT=console writes aligned,
readable lines (the default elsewhere). Each line carries what is known where it was logged: `request_id`,
`tenant` (the slug in the URL), `user_id` (once the request is authenticated), and in queue tasks `job_kind`,
`job_id` and `chunk_id` (bound by the task runners with `job_context`).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

import structlog
from django.utils.functional import empty

LOG_FORMATS = ("json", "console")
_current_request: ContextVar = ContextVar("synthhub_log_request", default=None)


def bind_request(request) -> None:
    """Kept until the next request starts or this one finishes (request_started/request_finished): Django logs a
    4xx or 5xx response after the middleware returned, and that line belongs to the request too."""
    _current_request.set(request)


def unbind_request(**kwargs) -> None:
    _current_request.set(None)


def _user_id(request):
    """The request's user id if authentication already ran; never authenticates just to log."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)  # Django's lazy user: evaluated only if something used it
    if wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


def add_request_context(logger, method_name, event_dict):
    request = _current_request.get()
    if request is not None:
        event_dict.setdefault("request_id", getattr(request, "request_id", None))
        match = getattr(request, "resolver_match", None)
        tenant = match.kwargs.get("tenant") if match is not None else None
        if tenant:
            event_dict.setdefault("tenant", tenant)
        user_id = _user_id(request)
        if user_id is not None:
            event_dict.setdefault("user_id", user_id)
    return event_dict


@contextmanager
def job_context(**ids):
    """Bind job ids (job_kind, job_id, chunk_id, tenant) to every log line written inside the block."""
    with structlog.contextvars.bound_contextvars(**{key: value for key, value in ids.items() if value is not None}):
        yield


def _pre_chain(fmt: str) -> list:
    chain = [
        structlog.contextvars.merge_contextvars,
        add_request_context,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if fmt == "json":
        chain.append(structlog.processors.format_exc_info)
    return chain


def formatter(fmt: str) -> dict:
    """A logging.config formatter entry for LOG_FORMAT `fmt`."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")
    renderer = (structlog.processors.JSONRenderer() if fmt == "json"
                else structlog.dev.ConsoleRenderer(colors=False))
    processors = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if fmt == "json":
        processors.append(structlog.processors.EventRenamer("message"))
    processors.append(renderer)
    return {"()": structlog.stdlib.ProcessorFormatter, "processors": processors, "foreign_pre_chain": _pre_chain(fmt)}


def logging_config(*, fmt: str, level: str, q_level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": formatter(fmt)},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # django-q logs every enqueue and every task at INFO: too chatty for a terminal running jobs.
            "django-q": {"level": q_level},
        },
    }
