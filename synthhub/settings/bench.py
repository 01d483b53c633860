"""Settings of the server that `manage.py bench api` starts, and of nothing else.

They are the settings of the process running the benchmark (SYNTHHUB_BENCH_SETTINGS names that module, so
the server shares its SECRET_KEY, audit keys and database), with two changes: DEBUG is off (with it on,
Django keeps every query of a request and the figures would measure that), and the URL conf adds the
ceiling view (synthhub.bench_urls). No deployment names this module; production URLs never hold the view.
"""

import importlib
import os

from django.core.exceptions import ImproperlyConfigured

_caller = importlib.import_module(os.environ.get("SYNTHHUB_BENCH_SETTINGS", "synthhub.settings.local"))
globals().update({name: value for name, value in vars(_caller).items() if name.isupper()})

DEBUG = False
ROOT_URLCONF = "synthhub.bench_urls"
# The ceiling view reads any version's records without a token: it answers only requests carrying this
# per-run random key (X-Bench-Key), which the benchmark makes and passes to the server it starts.
SYNTHHUB_BENCH_KEY = os.environ.get("SYNTHHUB_BENCH_KEY", "")
if len(SYNTHHUB_BENCH_KEY) < 32:
    raise ImproperlyConfigured("synthhub.settings.bench is for `manage.py bench api` only (SYNTHHUB_BENCH_KEY)")
