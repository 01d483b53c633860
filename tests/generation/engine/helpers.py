"""Small helpers shared by the engine tests."""

import copy

import orjson

from apps.generation.engine import generate_chunk, parse_spec, plan, validate_spec

from .all_types import REFERENCE_TIME


def doc_with(columns: dict, rows=50, **table_extra) -> dict:
    """A one-table document with these columns."""
    return {"version": 1, "name": "t", "seed": 1,
            "tables": {"t": {"rows": rows, "columns": copy.deepcopy(columns), **table_extra}}}


def problem_strings(doc, **kwargs) -> list[str]:
    return [str(p) for p in validate_spec(doc, **kwargs)]


def generate_table(doc: dict, table: str = "t", *, seed=None, chunk_size: int = 100_000, **plan_kwargs) -> list[dict]:
    """Every row of one table, as JSON-decoded dicts."""
    the_plan = plan(parse_spec(doc), seed=seed, reference_time=REFERENCE_TIME, chunk_size=chunk_size, **plan_kwargs)
    rows = []
    for chunk in the_plan.chunks:
        if chunk.table == table:
            rows.extend(orjson.loads(r) for r in generate_chunk(the_plan, table, chunk.start, chunk.stop).json_rows())
    return rows


def column(doc: dict, name: str, table: str = "t", **kwargs) -> list:
    return [row[name] for row in generate_table(doc, table, **kwargs)]
