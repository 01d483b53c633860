"""The example travel-documents PKI spec (docs/examples/travel-documents-pki.yaml), planned for tests."""

import copy
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import yaml

from apps.generation.engine import generate_chunk, parse_spec, plan

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "travel-documents-pki.yaml"
REFERENCE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
SECRET = b"tenant-secret-for-tests"


@cache
def example_doc() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def example(passports: int = 300, **changes) -> dict:
    doc = copy.deepcopy(example_doc())
    doc["tables"]["passports"]["rows"] = passports
    doc.update(changes)
    return doc


def make_plan(doc: dict, *, seed=None, secret: bytes = SECRET, chunk_size: int = 50_000):
    return plan(parse_spec(doc), seed=seed, reference_time=REFERENCE_TIME, document_secret=secret,
                chunk_size=chunk_size)


def table_rows(the_plan, table: str) -> list[dict]:
    return list(generate_chunk(the_plan, table, 0, the_plan.row_counts[table]).rows())


def reader(the_plan):
    """A report row reader over freshly generated rows."""
    return lambda table, columns: table_rows(the_plan, table)
