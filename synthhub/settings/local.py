"""Developer and demo settings: debug on, an insecure key unless one is given."""

import os

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = os.environ.get("SECRET_KEY") or "local-development-key-not-for-production"  # noqa: S105

# Test databases usually sit beside the platform on this machine; tenants are made freely.
SYNTHHUB_TARGET_ALLOWED_HOSTS = env_list("SYNTHHUB_TARGET_ALLOWED_HOSTS", "localhost,127.0.0.0/8,::1")  # noqa: F405
# A webhook receiver on this machine (plain http:// is taken for listed hosts).
SYNTHHUB_WEBHOOK_ALLOWED_HOSTS = env_list("SYNTHHUB_WEBHOOK_ALLOWED_HOSTS", "localhost,127.0.0.0/8,::1")  # noqa: F405
SYNTHHUB_TENANT_SELF_SERVICE = env_bool("SYNTHHUB_TENANT_SELF_SERVICE", True)  # noqa: F405
