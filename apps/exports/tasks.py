"""django-q2 entry points: they take ids and call a service. Each writes the worker's heartbeat while it runs."""

from apps.generation.heartbeat import working

from . import services


def run_export(export_id: int) -> str:
    with working():
        return services.export_run(export_id=export_id)


def run_push(push_id: int) -> str:
    with working():
        return services.push_run(push_id=push_id)


def expire_exports() -> dict:
    with working():
        return services.exports_expire()
