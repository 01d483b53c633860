"""Production settings: every secret from the environment, secure cookies and headers."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_int, logging_config

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# JSON log lines unless told otherwise; /metrics only with its token.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL, q_level=os.environ.get("Q_LOG_LEVEL", "WARNING"))  # noqa: F405
SYNTHHUB_METRICS_REQUIRE_TOKEN = env_bool("SYNTHHUB_METRICS_REQUIRE_TOKEN", True)
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# The app serves its own static files (admin, Swagger UI and ReDoc from the sidecar) without a CDN or a
# separate web server: WhiteNoise right after the security middleware, hashed and compressed at collectstatic.
MIDDLEWARE = [*MIDDLEWARE[:1], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]  # noqa: F405
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
