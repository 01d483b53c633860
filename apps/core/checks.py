"""System checks that stop a misconfigured start."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def q_cluster_retry_above_timeout(app_configs, **kwargs):
    cluster = getattr(settings, "Q_CLUSTER", {})
    timeout, retry = cluster.get("timeout"), cluster.get("retry")
    if timeout is not None and retry is not None and retry <= timeout:
        return [
            Error(
                f"Q_CLUSTER retry ({retry}s) must be greater than timeout ({timeout}s): otherwise a task that is "
                "still running is handed to a second worker.",
                hint="Set SYNTHHUB_TASK_RETRY above SYNTHHUB_TASK_TIMEOUT.",
                id="synthhub.E001",
            )
        ]
    return []
