"""django-q2 entry point: takes an id and calls the service, writing the worker's heartbeat while it runs."""

from apps.generation.heartbeat import working

from . import services


def deliver(delivery_id: int) -> str:
    with working():
        return services.delivery_attempt(delivery_id=delivery_id)
