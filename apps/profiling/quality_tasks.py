"""django-q2 entry point of the quality report: takes a version id and calls the service."""

from apps.generation.heartbeat import working

from . import quality_service


def run_quality_report(version_id: int) -> str:
    with working():
        return quality_service.quality_compute(version_id=version_id)
