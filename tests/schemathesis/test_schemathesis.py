"""Schemathesis against a live server on PostgreSQL: examples, coverage, fuzzing and stateful phases, every
check but those listed below with their reasons, and not one server error.

Run by `make test-schemathesis` (marker `schemathesis`, deselected from the ordinary runs). The server runs in
this process (pytest-django's `live_server`), so every unhandled exception it logs is caught here as well and
shown with its traceback; Schemathesis runs in a child process against the server's URL.

The run reads the API's own OpenAPI document, narrowed to the seeded world: each path parameter's schema
becomes the seeded object's id (or slug), so generated requests reach real code; everything else (bodies,
query parameters, headers) is generated from the document as served. Negative cases still violate the
narrowed schema (another id, a malformed slug) and must be refused.
"""

import json
import logging
import os
import re
import subprocess
import sys
import urllib.request

import pytest

from .seed import seed_world

pytestmark = [pytest.mark.schemathesis]

# Bounded work: this many cases per operation in the examples and fuzzing phases, a fixed seed so a run can be
# repeated, and a hard stop.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20251128"))
TIMEOUT_SECONDS = int(os.environ.get("SCHEMATHESIS_TIMEOUT", "290"))

# Operations left out of the run, each with its reason.
EXCLUDED_OPERATIONS = {
    # Revoking a token is tested in tests/tenants and tests/api; here it could revoke the token the run signs in
    # with, after which every later case is a 401 that tests nothing.
    ("delete", "/api/v1/auth/tokens/{token_key}/"): "would revoke the run's own token",
}

# Checks left out, each with its reason.
EXCLUDED_CHECKS = {
    # The API validates meaning the document cannot state (a spec must be valid, a template must exist, a
    # dataset name must be free, a version must be ready, a role change must keep an owner): schema-valid
    # requests are rightly refused with 400/404/409.
    "positive_data_acceptance": "semantic rules beyond the schema",
    # Other actors are not part of this run (one signed-in owner); tenant isolation for every route and role is
    # the route walker's job (tests/security).
    "object_level_authorization": "covered by the route walker",
}


class _ServerErrors(logging.Handler):
    """Collects what Django logs for an unhandled exception (the request logger's 5xx records)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def report(self) -> str:
        formatter = logging.Formatter()
        return "\n\n".join(
            f"{record.getMessage()}\n{formatter.formatException(record.exc_info) if record.exc_info else ''}"
            for record in self.records[:10]
        )


@pytest.fixture
def server_errors():
    handler = _ServerErrors()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def require_postgres(transactional_db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the Schemathesis run needs PostgreSQL (DATABASE_URL=postgres://...)")


def _path_values(world, path: str, method: str) -> dict:
    """The seeded values for the path parameters of one operation."""
    destructive = method == "delete" or path.endswith("/restore/")
    objects = world.spare if destructive else world.keep
    values = {"tenant": world.tenant_slug, "dataset_pk": world.keep["dataset"],
              "number": objects.get("version", world.keep["version"])}
    for segment, key in (("datasets", "dataset"), ("exports", "export"), ("jobs", "job"), ("targets", "target"),
                         ("pushes", "push"), ("members", "membership"), ("audit-events", "audit_event"),
                         ("schedules", "schedule"), ("webhooks", "webhook"), ("samples", "sample"),
                         ("profiles", "profile"), ("masking-rules", "masking_rules")):
        if re.search(rf"/{segment}/\{{id\}}/", path):
            object_id = objects.get(key, world.keep.get(key))
            if object_id is not None:
                values["id"] = object_id
    for variable, key in (("schedule_pk", "schedule"), ("webhook_pk", "webhook")):
        if world.keep.get(key) is not None:
            values[variable] = world.keep[key]
    if path.startswith("/api/v1/templates/"):
        from apps.generation.engine.builtin_templates import list_templates

        values["name"] = [template["name"] for template in list_templates()]
    return values


def narrowed_schema(document: dict, world) -> dict:
    """The served document with path parameters pinned to the seeded world and excluded operations removed."""
    for (method, path), _reason in EXCLUDED_OPERATIONS.items():
        document["paths"].get(path, {}).pop(method, None)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            values = _path_values(world, path, method)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] in values:
                    value = values[parameter["name"]]
                    choices = value if isinstance(value, list) else [value]
                    kind = "integer" if isinstance(choices[0], int) else "string"
                    parameter["schema"] = {"type": kind, "enum": choices}
                elif parameter.get("in") == "query" and parameter["name"] == "table":
                    parameter["schema"] = {"type": "string", "enum": ["customers", "orders"]}
    return document


def test_api_gives_no_server_error_and_passes_every_check(require_postgres, live_server, server_errors, settings,
                                                         tmp_path):
    # Throttling has its own tests; here it would only turn later cases into 429s that test nothing.
    settings.SYNTHHUB_THROTTLE_RATES = {"anon": None, "user": None, "auth_failure": None}
    world = seed_world()
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json", timeout=60) as response:  # noqa: S310
        document = json.loads(response.read())
    schema_path = tmp_path / "openapi.json"
    schema_path.write_text(json.dumps(narrowed_schema(document, world)))
    report_path = tmp_path / "schemathesis.json"
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(schema_path), "--url", live_server.url,
        "--checks", "all", "--exclude-checks", ",".join(EXCLUDED_CHECKS),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--workers", "2",
        "--request-timeout", "30",
        "--header", f"Authorization: Token {world.token}",
        "--suppress-health-check", "all",
        "--report", "json", "--report-json-path", str(report_path),
        "--output-truncate", "true",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
                               cwd=tmp_path)
    output = completed.stdout[-30000:] + completed.stderr[-4000:]
    assert not server_errors.records, (
        f"the server logged {len(server_errors.records)} errors:\n{server_errors.report()}\n\n{output}"
    )
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    assert report.get("complete"), output
    assert report["operations"]["tested"] > 40, output
    assert report["phases"]["stateful"]["status"] != "skipped", report["phases"]
    assert completed.returncode == 0 and not report["failures"] and not report["errors"], output
