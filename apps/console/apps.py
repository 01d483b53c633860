from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "apps.console"
    label = "console"
    verbose_name = "Team console"

    def ready(self):
        # Each area registers its pages on the console site when imported.
        from . import areas  # noqa: F401
