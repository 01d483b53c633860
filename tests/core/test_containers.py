"""docker/: no container engine runs here, so the compose file, the Dockerfile and .dockerignore are read and
checked against what the settings and the commands need."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "scheduler")
DEFAULTED = re.compile(r"\$\{\w+:-([^}]*)\}")
REQUIRED = re.compile(r"\$\{\w+:\?[^}]*\}")


def resolved(value: str) -> str:
    """A compose value as it runs when nothing is set: ${NAME:-default} is its default, ${NAME:?...} empty."""
    return REQUIRED.sub("", DEFAULTED.sub(lambda match: match.group(1), str(value)))


def app_env(service: str) -> dict[str, str]:
    return {name: resolved(value) for name, value in SERVICES[service]["environment"].items()}


def mounts(service: str) -> dict[str, str]:
    return dict(reversed(volume.split(":")[:2]) for volume in SERVICES[service].get("volumes", []))


def test_every_service_is_there_with_a_healthcheck():
    assert set(SERVICES) == {"db", "redis", *APP_SERVICES}
    for name, service in SERVICES.items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), name
    for name in ("web", "worker", "scheduler"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert SERVICES[name]["restart"] == "unless-stopped"
    assert SERVICES["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"},
                                                 "redis": {"condition": "service_healthy"}}
    assert SERVICES["web"]["ports"] == ["8000:8000"]


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_get_every_variable_and_volume_the_settings_need(service):
    env = app_env(service)
    db = SERVICES["db"]["environment"]
    assert env["DATABASE_URL"] == (f"postgres://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:5432/"
                                   f"{db['POSTGRES_DB']}")
    assert env["SYNTHHUB_BROKER_URL"].startswith("redis://redis:6379/")
    assert env["SYNTHHUB_CACHE_URL"].startswith("redis://redis:6379/")
    assert env["SYNTHHUB_CACHE_URL"] != env["SYNTHHUB_BROKER_URL"]
    assert SERVICES[service]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")  # refused when unset
    assert {"localhost", "127.0.0.1"} <= set(env["ALLOWED_HOSTS"].split(","))
    volumes = mounts(service)
    for variable in ("MEDIA_ROOT", "PROMETHEUS_MULTIPROC_DIR"):
        assert env[variable] in volumes, (service, variable)
        assert volumes[env[variable]] in COMPOSE["volumes"]


def test_the_production_settings_load_from_the_compose_environment(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "SYNTHHUB_"))}
    env.update(app_env("web"))
    env.update({"SECRET_KEY": "s" * 60, "MEDIA_ROOT": str(tmp_path / "media"),
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
                "DJANGO_SETTINGS_MODULE": "synthhub.settings.production"})
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['HOST'], s.Q_CLUSTER.get('redis'), s.CACHES['default']['BACKEND'], "
            "'127.0.0.1' in s.ALLOWED_HOSTS, s.SECURE_SSL_REDIRECT, s.LOG_FORMAT, s.SYNTHHUB_METRICS_REQUIRE_TOKEN)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["db", "redis://redis:6379/0", "django.core.cache.backends.redis.RedisCache",
                                     "True", "False", "json", "True"]


def test_the_commands_the_services_run_exist():
    from django.core.management import get_commands

    commands = get_commands()
    for name in ("migrate", "metrics_reset", "synthhub_worker", "synthhub_scheduler"):
        assert name in commands, name
    assert "synthhub/gunicorn.conf.py" in SERVICES["web"]["command"]


def test_the_image_owns_its_volume_directories_and_runs_as_its_user():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    targets = {target for service in APP_SERVICES for target in mounts(service)}
    assert targets == {"/data/media", "/data/metrics"}
    for target in targets:
        assert target in dockerfile.split("mkdir -p", 1)[1].split("\n", 1)[0]
    assert "chown -R synthhub:synthhub /data" in dockerfile
    assert dockerfile.index("chown -R synthhub") < dockerfile.index("USER synthhub")
    assert "COPY docker/healthcheck.py" in dockerfile


def test_dockerignore_keeps_the_context_small_but_not_what_the_image_copies():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    assert {".git", ".venv", "var", "tests", "**/__pycache__"} <= set(ignored)
    copied = re.findall(r"^COPY (\S+)", (ROOT / "docker" / "Dockerfile").read_text(), flags=re.M)
    for source in copied:
        assert source.split("/")[0] not in ignored and source not in ignored, source


def test_the_process_healthcheck_finds_a_running_command_and_not_a_missing_one():
    script = str(ROOT / "docker" / "healthcheck.py")
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "marker-4c1f"])
    try:
        assert subprocess.run([sys.executable, script, "process", "marker-4c1f"], timeout=30).returncode == 0
    finally:
        running.kill()
        running.wait()
    assert subprocess.run([sys.executable, script, "process", "no-such-command-xyz"], timeout=30,
                          capture_output=True).returncode == 1
