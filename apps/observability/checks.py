from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def metrics_token_set(app_configs, **kwargs):
    if settings.SYNTHHUB_METRICS_TOKEN:
        return []
    if settings.SYNTHHUB_METRICS_REQUIRE_TOKEN:
        hint = "/metrics answers 404 until SYNTHHUB_METRICS_TOKEN is set (the scraper sends it as a Bearer token)."
    else:
        hint = "/metrics is open to anyone: set SYNTHHUB_METRICS_TOKEN (the scraper sends it as a Bearer token)."
    return [Warning("SYNTHHUB_METRICS_TOKEN is not set.", hint=hint, id="synthhub.W101")]
