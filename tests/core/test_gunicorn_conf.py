"""synthhub/gunicorn.conf.py: the serving defaults (gthread, a process per core, persistent database
connections) and the environment variables that override them."""

import os
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "synthhub" / "gunicorn.conf.py"
NAMES = ("SYNTHHUB_WEB_WORKER_CLASS", "SYNTHHUB_WEB_WORKERS", "SYNTHHUB_WEB_THREADS", "SYNTHHUB_WEB_BIND",
         "DATABASE_CONN_MAX_AGE")


@pytest.fixture
def clean_env(monkeypatch):
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    yield
    os.environ.pop("DATABASE_CONN_MAX_AGE", None)  # the file sets it for the process that loads it


def test_defaults(clean_env):
    conf = runpy.run_path(str(CONF))
    assert conf["worker_class"] == "gthread" and conf["threads"] == 4
    assert conf["workers"] == len(os.sched_getaffinity(0))
    assert conf["bind"] == "0.0.0.0:8000" and conf["preload_app"] is True
    assert os.environ["DATABASE_CONN_MAX_AGE"] == "60"


def test_the_environment_overrides_it(clean_env, monkeypatch):
    monkeypatch.setenv("SYNTHHUB_WEB_WORKER_CLASS", "sync")
    monkeypatch.setenv("SYNTHHUB_WEB_WORKERS", "5")
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "0")
    conf = runpy.run_path(str(CONF))
    assert (conf["worker_class"], conf["workers"]) == ("sync", 5)
    assert os.environ["DATABASE_CONN_MAX_AGE"] == "0"
