"""Batch output: JSON-ready values per SCHEMA_DSL "Values" and json_rows equal to dumping each row."""

import json
import re

import orjson

from apps.generation.engine import generate_chunk, parse_spec, plan

from .all_types import ALL_TYPES, REFERENCE_TIME
from .helpers import doc_with


def _batches(doc):
    the_plan = plan(parse_spec(doc), reference_time=REFERENCE_TIME, chunk_size=128)
    for chunk in the_plan.chunks:
        yield generate_chunk(the_plan, chunk.table, chunk.start, chunk.stop)


def test_json_rows_are_the_rows_dumped_with_orjson():
    for batch in _batches(ALL_TYPES):
        rows = list(batch.rows())
        encoded = batch.json_rows()
        assert len(rows) == len(encoded) == len(batch)
        for row, line in zip(rows, encoded, strict=True):
            assert line == orjson.dumps(row)
            assert list(json.loads(line)) == batch.column_names


def test_strings_that_need_escaping():
    doc = doc_with({"s": {"type": "choice", "values": ['say "hi"', "back\\slash", "new\nline", "tab\t", "ünï ✓",
                                                       "\x01", "plain"]},
                    "n": {"type": "string", "pattern": "[a-c]{2}", "null_ratio": 0.5},
                    "f": {"type": "faker", "provider": "address"}}, rows=300)
    for batch in _batches(doc):
        for row, line in zip(batch.rows(), batch.json_rows(), strict=True):
            assert line == orjson.dumps(row)
            assert json.loads(line) == row


def test_values_follow_the_language():
    batch = next(_batches(ALL_TYPES))
    assert batch.table == "countries"
    customers = next(b for b in _batches(ALL_TYPES) if b.table == "customers")
    columns = customers.columns
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in columns["born"] if v is not None)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v) for v in columns["seen"])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", v) for v in columns["joined"])
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", v) for v in columns["wake"])
    assert all(isinstance(v, bool) for v in columns["vip"])
    assert all(isinstance(v, list) for v in columns["tags"])
    assert all(isinstance(v, dict) for v in columns["address"])
    assert customers.kinds["age"] == "int" and customers.kinds["spend"] == "float"


def test_floats_of_every_magnitude_are_written_like_orjson():
    doc = doc_with({"tiny": {"type": "float", "min": 0, "max": 0.001, "precision": 8},
                    "huge": {"type": "float", "min": 1e15, "max": 1e18, "precision": 0},
                    "neg": {"type": "float", "min": -1, "max": 0, "precision": 12}}, rows=400)
    for batch in _batches(doc):
        for row, line in zip(batch.rows(), batch.json_rows(), strict=True):
            assert line == orjson.dumps(row)
