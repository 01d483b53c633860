"""Version-1 documents generate the same bytes as before the column-type registry (and after any later
refactoring of the engine): every built-in template as it was shipped then (frozen copies in golden/) and
the all-types document, at a fixed seed and reference time, hashed over the JSON rows of every table."""

import hashlib
from pathlib import Path

import pytest

from apps.generation.engine import generate_chunk, parse_spec, plan

from .all_types import ALL_TYPES, REFERENCE_TIME

GOLDEN = Path(__file__).parent / "golden"

# sha256 of the JSON rows of every table (in plan order), recorded from the engine before the registry.
EXPECTED = {
    "all-types": "1f252a033b4a077b0363df423a640098384ce1a289aeac9b1d90f51249a1c904",
    "content-platform": "61028b51d4dfc5cee3a04b25057e02e27a96e8a9e3956af880b5ac3f2822ece4",
    "ecommerce": "9202b7b53007d6779548abf89e6a65a1bbf2b93893cea2e903407ed96f2c72f4",
    "hr-basic": "eea08c85e8e650c213e07e706d71eb53ec2d63714bff0172668cac1e75c7fe2e",
    "persons-vehicles": "94103ec5431e1fd0dc92e8a2c1e8ab8bf7e57fadfc139711df7cf8ff45beae2e",
    "tailings-monitoring": "10669dac2ef4d16a9e5aaba251d171616f666f25ee74e86d0b075fa8550ba722",
    "travel-documents": "8cba900da730419403bdcfc42353606f15a657dc0e4375a5846e9d0f4ed3c881",
}


def rows_digest(document, seed: int, chunk_size: int = 50_000) -> str:
    the_plan = plan(parse_spec(document), seed=seed, reference_time=REFERENCE_TIME, chunk_size=chunk_size)
    digest = hashlib.sha256()
    for chunk in the_plan.chunks:
        digest.update(chunk.table.encode())
        for row in generate_chunk(the_plan, chunk.table, chunk.start, chunk.stop).json_rows():
            digest.update(row)
            digest.update(b"\n")
    return digest.hexdigest()


def document(name: str):
    if name == "all-types":
        return ALL_TYPES
    return (GOLDEN / f"{name}.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_version_1_documents_keep_their_bytes(name):
    assert rows_digest(document(name), seed=12345) == EXPECTED[name]
