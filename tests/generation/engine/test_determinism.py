"""Same document, seed and reference time: the same bytes whatever the chunking and the process."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.generation.engine import generate_chunk, parse_spec, plan, runtime

from .all_types import ALL_TYPES, REFERENCE_TIME

ROOT = Path(__file__).resolve().parents[3]


def _table_bytes(the_plan, table: str, chunk_size: int, *, fresh_cache: bool = False) -> bytes:
    out = []
    count = the_plan.row_counts[table]
    for start in range(0, count, chunk_size):
        if fresh_cache:
            runtime._RUNTIMES.clear()
        out.extend(generate_chunk(the_plan, table, start, min(start + chunk_size, count)).json_rows())
    return b"\n".join(out)


@pytest.fixture(scope="module")
def all_types_plan():
    return plan(parse_spec(ALL_TYPES), reference_time=REFERENCE_TIME)


@pytest.fixture(scope="module")
def whole(all_types_plan):
    runtime._RUNTIMES.clear()
    return {table: _table_bytes(all_types_plan, table, all_types_plan.row_counts[table])
            for table in all_types_plan.table_order}


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_chunk_size_does_not_change_bytes(all_types_plan, whole, chunk_size):
    for table in all_types_plan.table_order:
        runtime._RUNTIMES.clear()
        assert _table_bytes(all_types_plan, table, chunk_size) == whole[table], (table, chunk_size)


def test_chunks_computed_without_any_cache_give_the_same_bytes(all_types_plan, whole):
    for table in all_types_plan.table_order:
        assert _table_bytes(all_types_plan, table, 97, fresh_cache=True) == whole[table], table


def test_chunks_in_any_order_give_the_same_bytes(all_types_plan, whole):
    runtime._RUNTIMES.clear()
    table = "orders"
    count = all_types_plan.row_counts[table]
    ranges = [(start, min(start + 50, count)) for start in range(0, count, 50)]
    pieces = {r: generate_chunk(all_types_plan, table, *r).json_rows() for r in reversed(ranges)}
    assert b"\n".join(row for r in ranges for row in pieces[r]) == whole[table]


def test_seed_and_reference_time_change_the_rows(all_types_plan, whole):
    spec = all_types_plan.spec
    other_seed = plan(spec, seed=8, reference_time=REFERENCE_TIME)
    assert _table_bytes(other_seed, "customers", 300) != whole["customers"]
    later = plan(spec, reference_time=REFERENCE_TIME.replace(year=2026))
    assert _table_bytes(later, "customers", 300) != whole["customers"]
    assert _table_bytes(plan(spec, seed=7, reference_time=REFERENCE_TIME), "customers", 300) == whole["customers"]


SCRIPT = """
import hashlib, sys
sys.path.insert(0, {root!r})
from apps.generation.engine import generate_chunk, parse_spec, plan
from tests.generation.engine.all_types import ALL_TYPES, REFERENCE_TIME
p = plan(parse_spec(ALL_TYPES), reference_time=REFERENCE_TIME, chunk_size={chunk})
digest = hashlib.sha256()
for table in p.table_order:
    for chunk in p.chunks:
        if chunk.table == table:
            for row in generate_chunk(p, table, chunk.start, chunk.stop).json_rows():
                digest.update(row + b"\\n")
print(digest.hexdigest())
"""


def _digest_in_subprocess(hash_seed: str, chunk: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(ROOT), chunk=chunk)], env=env,
                            capture_output=True, text=True, check=True, cwd=ROOT, timeout=300)
    return result.stdout.strip()


def test_separate_processes_with_different_hash_seeds_agree(whole):
    first = _digest_in_subprocess("0", 64)
    second = _digest_in_subprocess("12345", 500)
    digest = hashlib.sha256()
    for table in ("countries", "customers", "orders"):
        for row in whole[table].split(b"\n"):
            digest.update(row + b"\n")
    assert first == second == digest.hexdigest()
