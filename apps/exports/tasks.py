"""django-q2 entry points: they take ids and call a service."""

from . import services


def run_export(export_id: int) -> str:
    return services.export_run(export_id=export_id)


def run_push(push_id: int) -> str:
    return services.push_run(push_id=push_id)


def expire_exports() -> dict:
    return services.exports_expire()
