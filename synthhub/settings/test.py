"""Test settings: fast hashing, in-memory files, the database from DATABASE_URL (SQLite when unset)."""

import os
import tempfile

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="synthhub-test-media-")
# The in-memory SQLite test database has no file to put the live progress file beside.
SYNTHHUB_LIVE_PROGRESS_FILE = os.path.join(tempfile.mkdtemp(prefix="synthhub-test-live-"), "live.sqlite3")
Q_CLUSTER = {**Q_CLUSTER, "sync": os.environ.get("SYNTHHUB_Q_SYNC", "true") == "true"}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Scratch target databases live on the local PostgreSQL; tests create tenants through the API.
SYNTHHUB_TARGET_ALLOWED_HOSTS = ["localhost", "127.0.0.0/8", "::1"]
SYNTHHUB_TENANT_SELF_SERVICE = True
# Webhook tests send to a receiver thread on 127.0.0.1; other private addresses stay refused.
SYNTHHUB_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1/32"]
# Throttling (tenancy and throttling): generous here so the suite is never throttled; the throttling tests set
# small rates with override_settings (the cache is cleared between tests).
SYNTHHUB_THROTTLE_RATES = {"anon": "100000/minute", "user": "100000/minute", "auth_failure": "100000/minute"}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": SYNTHHUB_THROTTLE_RATES}  # noqa: F405
