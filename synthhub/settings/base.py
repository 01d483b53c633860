"""Settings shared by every environment. Every deployment value comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from apps.observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SYNTHHUB_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_q",
    "apps.core",
    "apps.tenants",
    "apps.audit",
    "apps.generation",
    "apps.datasets",
    "apps.exports",
    "apps.webhooks",
    "apps.schedules",
    "apps.documents",
    "apps.profiling",
    "apps.masking",
    "apps.console",
    "apps.observability",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.observability.middleware.ObservabilityMiddleware",
    "apps.core.middleware.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "synthhub.urls"
WSGI_APPLICATION = "synthhub.wsgi.application"
ASGI_APPLICATION = "synthhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_env() -> dict:
    """DATABASE_URL selects the database; without it SynthHub runs on an embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'synthhub.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE transactions take the write lock up front, so two writers queue on the busy
        # timeout instead of failing with "database is locked" when a reader upgrades to a writer.
        config.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 30})
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config.setdefault("OPTIONS", {})
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

# Exports and uploads go through Django's storage API: SYNTHHUB_STORAGE_BACKEND names any storage backend
# (local files under MEDIA_ROOT by default).
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("SYNTHHUB_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.tenants.authentication.AuditedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.api.filters.ScopedFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.SynthHubAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
    # JSON only, read through a parser bounded in size and depth (apps.core.parsers).
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SynthHub API",
    "DESCRIPTION": "Realistic, reproducible, privacy-safe synthetic test data for teams.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "apps.tenants.models.Role",
        "RunStatusEnum": "apps.exports.models.RunStatus",
        # Profiles have the same statuses as generation jobs (both can be cancelled): one enum.
        "JobStatusEnum": "apps.generation.models.JobStatus",
        "ExportFormatEnum": "apps.exports.models.ExportFormat",
        "WebhookEventEnum": "apps.webhooks.models.WebhookEvent",
        "DeliveryStatusEnum": "apps.webhooks.models.DeliveryStatus",
        "ScheduleRunStatusEnum": "apps.schedules.models.RunStatus",
        "SampleFormatEnum": "apps.profiling.models.SampleFormat",
        "SampleSourceEnum": "apps.profiling.models.SampleSource",
    },
}

KNOX_TOKEN_MODEL = "tenants.ApiToken"  # noqa: S105 - a model label, not a secret
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("SYNTHHUB_TOKEN_TTL_DAYS", 90)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # SynthHub never grants object permissions to anonymous users.

SYNTHHUB_BROKER_URL = os.environ.get("SYNTHHUB_BROKER_URL", "").strip()
SYNTHHUB_TRASH_RETENTION_DAYS = env_int("SYNTHHUB_TRASH_RETENTION_DAYS", 30)
SYNTHHUB_DEFAULT_MAX_ROWS_PER_VERSION = env_int("SYNTHHUB_DEFAULT_MAX_ROWS_PER_VERSION", 5_000_000)
# Export files are removed (and downloads answer 410) this many hours after they were made.
SYNTHHUB_EXPORT_TTL_HOURS = env_int("SYNTHHUB_EXPORT_TTL_HOURS", 168)
# Fernet key(s) for secrets at rest (target database passwords); empty derives one from SECRET_KEY.
SYNTHHUB_ENCRYPTION_KEY = os.environ.get("SYNTHHUB_ENCRYPTION_KEY", "").strip()
# Keys of generated travel-document certificates derive from this and the tenant id (docs/documents.md "Keys");
# empty derives it from SECRET_KEY. Changing it changes every certificate and signature of regenerated versions.
SYNTHHUB_DOCUMENT_KEY_SECRET = os.environ.get("SYNTHHUB_DOCUMENT_KEY_SECRET", "").strip()


def q_cluster_from_env() -> dict:
    """django-q2 cluster: the ORM broker by default, Redis when SYNTHHUB_BROKER_URL names one."""
    timeout = env_int("SYNTHHUB_TASK_TIMEOUT", 600)
    cluster = {
        "name": "synthhub",
        "workers": env_int("SYNTHHUB_WORKERS", 2),
        "timeout": timeout,
        # retry must stay above timeout, or a slow task is handed to a second worker while the first
        # still runs it (checked by a system check in apps.core.checks).
        "retry": env_int("SYNTHHUB_TASK_RETRY", timeout + 60),
        "max_attempts": env_int("SYNTHHUB_TASK_MAX_ATTEMPTS", 3),
        "ack_failures": True,
        "catch_up": False,
        "label": "Task queue",
        "save_limit": 1000,
        "poll": 0.2,
        # django-q logs every enqueue and every task at INFO: too chatty for a terminal running jobs.
        "log_level": os.environ.get("Q_LOG_LEVEL", "WARNING"),
    }
    if SYNTHHUB_BROKER_URL.startswith(("redis://", "rediss://")):
        cluster["redis"] = SYNTHHUB_BROKER_URL
    else:
        cluster["orm"] = "default"
    return cluster


Q_CLUSTER = q_cluster_from_env()

# Logs (apps.observability.logs): LOG_FORMAT=json for one JSON object per line (production's default),
# console for readable lines; each line carries the request id, tenant, user id and job and chunk ids it knows.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "console").strip().lower()
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL, q_level=os.environ.get("Q_LOG_LEVEL", "WARNING"))

# Rows per generation chunk (one queue task each), and how long a claimed chunk may run before the
# reaper gives it to another worker (a killed worker's chunk is redone after this).
SYNTHHUB_CHUNK_ROWS = env_int("SYNTHHUB_CHUNK_ROWS", 50_000)
# Rows a masking job or `mask_stream` reads from a source, masks and writes per step.
SYNTHHUB_MASKING_CHUNK_ROWS = env_int("SYNTHHUB_MASKING_CHUNK_ROWS", 20_000)
SYNTHHUB_CHUNK_LEASE_SECONDS = env_int("SYNTHHUB_CHUNK_LEASE_SECONDS", 300)
# A running chunk reports the rows it has written so far (inside its one transaction) at most once per this
# many milliseconds (apps/generation/live.py). On SQLite those reports go to a file of their own, beside the
# database file unless SYNTHHUB_LIVE_PROGRESS_FILE names one (the database file holds the chunk's write lock).
SYNTHHUB_PROGRESS_REPORT_MS = env_int("SYNTHHUB_PROGRESS_REPORT_MS", 1000)
SYNTHHUB_LIVE_PROGRESS_FILE = os.environ.get("SYNTHHUB_LIVE_PROGRESS_FILE", "").strip()

# When set, /metrics answers only scrapers that send `Authorization: Bearer <this>`. Without it, /metrics
# answers 404 when SYNTHHUB_METRICS_REQUIRE_TOKEN is on (production's default). Several processes:
# PROMETHEUS_MULTIPROC_DIR (docs/operations.md, "Metrics").
SYNTHHUB_METRICS_TOKEN = os.environ.get("SYNTHHUB_METRICS_TOKEN", "")
SYNTHHUB_METRICS_REQUIRE_TOKEN = env_bool("SYNTHHUB_METRICS_REQUIRE_TOKEN", False)
# Events kept per job (queued, claimed, chunk done, retried, failed, ...); past it the oldest after the first
# 20 are dropped and the timeline counts them.
SYNTHHUB_JOB_EVENTS_MAX = env_int("SYNTHHUB_JOB_EVENTS_MAX", 200)

# Target databases and tenant creation (exports and pushes). Targets reach only hosts the operator lists:
# comma-separated host names and CIDRs; empty allows none. A host name entry trusts what that name
# resolves to; a CIDR entry pins addresses.
SYNTHHUB_TARGET_ALLOWED_HOSTS = env_list("SYNTHHUB_TARGET_ALLOWED_HOSTS")
# Pushes go only into databases whose name ends in _test, _demo, _dev or _ci unless this is on.
SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES = env_bool("SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES", False)
# Whether any signed-in user may create a tenant through the API (and become its owner); off, only staff.
SYNTHHUB_TENANT_SELF_SERVICE = env_bool("SYNTHHUB_TENANT_SELF_SERVICE", False)

# Records at scale (PostgreSQL: one partition of the records table per version). Dropping a version's
# partition needs a brief exclusive lock on the records table: it waits at most this long for readers and
# writers, then leaves the partition for the scheduled purge to drop.
SYNTHHUB_RECORDS_PARTITION_LOCK_TIMEOUT_MS = env_int("SYNTHHUB_RECORDS_PARTITION_LOCK_TIMEOUT_MS", 2000)
# Memory for building a loaded version's GIN index on `data` (maintenance_work_mem of that one statement).
SYNTHHUB_RECORDS_INDEX_MEMORY_MB = env_int("SYNTHHUB_RECORDS_INDEX_MEMORY_MB", 256)

# Throttling and the cache it counts in (tenancy and throttling). Rates are "<count>/<second|minute|hour|day>";
# an empty value turns that limit off. `anon` limits unauthenticated requests per client IP, `user` each
# signed-in user, `auth_failure` failed token attempts per client IP: past it, token requests from that IP get
# 429 until the window ends. Counters live in the default cache: SYNTHHUB_CACHE_URL (redis://...) shares them
# between every worker and machine; without it each process counts on its own (local memory).
SYNTHHUB_CACHE_URL = os.environ.get("SYNTHHUB_CACHE_URL", "").strip()
if SYNTHHUB_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": SYNTHHUB_CACHE_URL, "KEY_PREFIX": "synthhub"}}
elif SYNTHHUB_CACHE_URL:
    raise ImproperlyConfigured("SYNTHHUB_CACHE_URL must be a redis://, rediss:// or unix:// URL")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "synthhub"}}


def env_rate(name: str, default: str) -> str | None:
    value = os.environ.get(name, default).strip()
    count, _, period = value.partition("/")
    if value and not (count.isdigit() and period[:1] in ("s", "m", "h", "d")):
        raise ImproperlyConfigured(f"{name} must look like 60/minute, got {value!r}")
    return value or None


SYNTHHUB_THROTTLE_RATES = {
    "anon": env_rate("SYNTHHUB_THROTTLE_ANON", "60/minute"),
    "user": env_rate("SYNTHHUB_THROTTLE_USER", "600/minute"),
    "auth_failure": env_rate("SYNTHHUB_THROTTLE_AUTH_FAILURES", "10/minute"),
}
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "apps.core.throttling.AnonIPThrottle",
    "apps.core.throttling.UserThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = SYNTHHUB_THROTTLE_RATES

# Audit trail that cannot be forged (docs/architecture.md, audit). SYNTHHUB_AUDIT_KEYS: comma-separated secrets
# of 32+ characters; the first signs events and checkpoints, all verify (rotation). Empty derives one from
# SECRET_KEY (and SECRET_KEY_FALLBACKS) with a salt of its own; the entry `derived` adds those to a list.
# A signed checkpoint of the chain's head is written every SYNTHHUB_AUDIT_CHECKPOINT_EVERY events (0: only by
# `manage.py audit_checkpoint`): removing the newest events is detected back to the last checkpoint.
SYNTHHUB_AUDIT_KEYS = os.environ.get("SYNTHHUB_AUDIT_KEYS", "").strip()
SYNTHHUB_AUDIT_CHECKPOINT_EVERY = env_int("SYNTHHUB_AUDIT_CHECKPOINT_EVERY", 100)

# HTTP input limits (API input hardening). A request body over SYNTHHUB_MAX_REQUEST_BYTES is refused with 413
# before it is parsed; JSON nested deeper than SYNTHHUB_MAX_JSON_DEPTH is refused with 400.
SYNTHHUB_MAX_REQUEST_BYTES = env_int("SYNTHHUB_MAX_REQUEST_BYTES", 5 * 1024 * 1024)
# Sample uploads (POST .../samples/, multipart) take files up to SYNTHHUB_SAMPLE_MAX_BYTES instead.
SYNTHHUB_SAMPLE_MAX_BYTES = env_int("SYNTHHUB_SAMPLE_MAX_BYTES", 200 * 1024 * 1024)
SYNTHHUB_MAX_JSON_DEPTH = env_int("SYNTHHUB_MAX_JSON_DEPTH", 64)

# Reliability of the queue (docs/jobs.md): the outbox dispatcher, fairness, heartbeats, the stall probe.
# A task enqueued this long ago whose chunk, export or push is still pending is enqueued again (lost by the
# broker or by a dead cluster); keep it above the time a task waits on a busy broker.
SYNTHHUB_DISPATCH_REDELIVER_SECONDS = env_int("SYNTHHUB_DISPATCH_REDELIVER_SECONDS", 120)
# Chunks of one tenant running or waiting on the broker at a time (0: no cap, and no round-robin either).
SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS = env_int("SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS", 4)
# A worker running a task writes its heartbeat this often; /health/ready answers 503 (and synthhub_worker
# restarts its cluster) when a task has waited on the broker longer than SYNTHHUB_QUEUE_STALL_SECONDS and no
# worker has been seen for as long.
SYNTHHUB_WORKER_HEARTBEAT_SECONDS = env_int("SYNTHHUB_WORKER_HEARTBEAT_SECONDS", 10)
SYNTHHUB_QUEUE_STALL_SECONDS = env_int("SYNTHHUB_QUEUE_STALL_SECONDS", 120)
# How often synthhub_scheduler dispatches and reaps.
SYNTHHUB_SCHEDULER_INTERVAL_SECONDS = env_int("SYNTHHUB_SCHEDULER_INTERVAL_SECONDS", 1)
# An export or a push is claimed under this lease, renewed by its worker every third of it.
SYNTHHUB_EXPORT_LEASE_SECONDS = env_int("SYNTHHUB_EXPORT_LEASE_SECONDS", 120)
# How long a request's Idempotency-Key and its first answer are kept.
SYNTHHUB_IDEMPOTENCY_TTL_HOURS = env_int("SYNTHHUB_IDEMPOTENCY_TTL_HOURS", 24)

# Scheduled generation (docs/operations.md, schedules): schedules per tenant (0: no limit), and the shortest
# time between two firings of one schedule, cron or interval.
SYNTHHUB_TENANT_MAX_SCHEDULES = env_int("SYNTHHUB_TENANT_MAX_SCHEDULES", 20)
SYNTHHUB_SCHEDULE_MIN_INTERVAL_SECONDS = env_int("SYNTHHUB_SCHEDULE_MIN_INTERVAL_SECONDS", 300)

# Webhooks (docs/operations.md, webhooks). Endpoints must resolve to public addresses unless their host or
# network is listed here (comma-separated host names and CIDRs, as SYNTHHUB_TARGET_ALLOWED_HOSTS); plain
# http:// is taken only for listed hosts.
SYNTHHUB_WEBHOOK_ALLOWED_HOSTS = env_list("SYNTHHUB_WEBHOOK_ALLOWED_HOSTS")
SYNTHHUB_TENANT_MAX_WEBHOOKS = env_int("SYNTHHUB_TENANT_MAX_WEBHOOKS", 10)
# A delivery is attempted at most this many times; after the nth failure the next attempt waits
# base * 2^(n-1) seconds, at most the cap.
SYNTHHUB_WEBHOOK_MAX_ATTEMPTS = env_int("SYNTHHUB_WEBHOOK_MAX_ATTEMPTS", 8)
SYNTHHUB_WEBHOOK_RETRY_BASE_SECONDS = env_int("SYNTHHUB_WEBHOOK_RETRY_BASE_SECONDS", 30)
SYNTHHUB_WEBHOOK_RETRY_CAP_SECONDS = env_int("SYNTHHUB_WEBHOOK_RETRY_CAP_SECONDS", 3600)
# Finished deliveries (and their attempt log) are removed after this many days.
SYNTHHUB_WEBHOOK_LOG_DAYS = env_int("SYNTHHUB_WEBHOOK_LOG_DAYS", 30)
