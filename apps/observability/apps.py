from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "apps.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self):
        from django.core.signals import request_finished, request_started

        from . import checks  # noqa: F401 - registers the deploy check of the metrics token
        from .logs import unbind_request

        request_started.connect(unbind_request, dispatch_uid="synthhub-log-request-start")
        request_finished.connect(unbind_request, dispatch_uid="synthhub-log-request-end")
