"""django-q2 entry points: they take ids and call a service. Each writes the worker's heartbeat while it runs."""

from apps.exports.runs import worker_name
from apps.generation.heartbeat import working

from . import services


def run_profile(profile_id: int) -> str:
    with working():
        return services.profile_run(profile_id=profile_id, worker=worker_name())
