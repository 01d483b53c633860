from django.apps import AppConfig


class ProfilingConfig(AppConfig):
    name = "apps.profiling"
    label = "profiling"
    verbose_name = "Samples and profiles"
