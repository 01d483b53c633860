"""Liveness and readiness probes for load balancers and orchestrators."""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_broker() -> str:
    url = settings.SYNTHHUB_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return "ok (database broker)"
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    return "ok"


def _check_storage() -> str:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return "ok"


def _check_queue() -> str:
    """Work that waits while no worker is seen: the workers are gone or wedged (docs/operations.md)."""
    from apps.generation.heartbeat import queue_stalled

    stalled = queue_stalled()
    if stalled:
        seen = stalled["last_worker_seen_seconds"]
        raise QueueStalled(f"stalled: a task has waited {stalled['oldest_waiting_seconds']}s and no worker was seen "
                           + ("yet" if seen is None else f"for {seen}s"))
    return "ok"


class QueueStalled(Exception):
    pass


@never_cache
@require_GET
def ready(request):
    checks, healthy = {}, True
    for name, check in (("database", _check_database), ("broker", _check_broker), ("storage", _check_storage),
                        ("queue", _check_queue)):
        try:
            checks[name] = check()
        except QueueStalled as exc:
            checks[name] = str(exc)
            healthy = False
        except Exception as exc:  # noqa: BLE001 - a probe reports any failure instead of raising
            checks[name] = f"error: {type(exc).__name__}"
            healthy = False
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks},
                        status=200 if healthy else 503)
