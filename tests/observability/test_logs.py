"""Structured logs: JSON lines carrying the request id, tenant and user of a request, and the job and chunk ids
of a queue task; a readable format for local work; LOG_FORMAT picks one."""

import json
import logging

import pytest

from apps.generation import services as generation
from apps.observability.logs import formatter, job_context, logging_config

pytestmark = pytest.mark.django_db


class Lines(logging.Handler):
    def __init__(self, fmt: str):
        super().__init__(level=logging.DEBUG)
        factory = formatter(fmt)  # the formatter entry LOGGING uses for LOG_FORMAT=fmt
        make = factory.pop("()")
        self.setFormatter(make(**factory))
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))

    def json(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def capture():
    handlers = []

    def attach(fmt="json", logger_name=""):
        handler = Lines(fmt)
        logger = logging.getLogger(logger_name)
        handlers.append((logger, handler, logger.level))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        return handler

    yield attach
    for logger, handler, level in handlers:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_request_log_line_carries_request_id_tenant_and_user(capture, tenant_a, api_client_for):
    lines = capture("json")
    user = tenant_a[1]["viewer"]
    response = api_client_for(user).get("/api/v1/tenants/alpha/jobs/999999/", HTTP_X_REQUEST_ID="req-abc-123")
    assert response.status_code == 404 and response["X-Request-ID"] == "req-abc-123"
    records = [line for line in lines.json() if line.get("logger") == "django.request"]
    assert records, lines.lines
    line = records[-1]
    assert line["request_id"] == "req-abc-123" and line["tenant"] == "alpha" and line["user_id"] == user.pk
    assert line["level"] == "warning" and "Not Found" in line["message"] and line["timestamp"].endswith("Z")


def test_lines_outside_a_request_carry_no_request_fields(capture, client):
    lines = capture("json")
    client.get("/health/live")
    logging.getLogger("apps.somewhere").info("between requests")
    line = lines.json()[-1]
    assert line["message"] == "between requests"
    assert not {"request_id", "tenant", "user_id"} & set(line)


def test_a_queue_task_logs_its_job_and_chunk(capture, tenant_a, make_dataset, django_capture_on_commit_callbacks):
    lines = capture("json")
    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        job = generation.job_start(dataset=dataset, actor=None, chunk_size=10)
    done = [line for line in lines.json() if line["message"].startswith("chunk ") and line["message"].endswith(" done")]
    assert len(done) == job.chunks_total
    chunk_ids = set(job.chunks.values_list("pk", flat=True))
    for line in done:
        assert line["job_id"] == job.pk and line["job_kind"] == "generation" and line["tenant"] == "alpha"
        assert line["chunk_id"] in chunk_ids and line["rows"] > 0 and "seconds" in line
    assert {line["chunk_id"] for line in done} == chunk_ids


def test_job_context_binds_and_unbinds(capture):
    lines = capture("json")
    log = logging.getLogger("apps.test")
    with job_context(job_kind="export", job_id=9, chunk_id=None):
        log.info("inside")
    log.info("outside")
    inside, outside = lines.json()[-2:]
    assert inside["job_id"] == 9 and inside["job_kind"] == "export" and "chunk_id" not in inside
    assert "job_id" not in outside


def test_the_console_format_is_readable_and_the_format_is_checked(capture):
    lines = capture("console")
    with job_context(job_id=5):
        logging.getLogger("apps.test").warning("something happened")
    text = lines.lines[-1]
    assert "something happened" in text and "job_id=5" in text and not text.startswith("{")
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(fmt="xml", level="INFO", q_level="WARNING")
    assert logging_config(fmt="json", level="INFO", q_level="WARNING")["root"]["handlers"] == ["console"]
