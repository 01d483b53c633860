"""SynthHub's synthetic-data engine (pure Python, no Django): schema documents in, rows out.

    spec = parse_spec(text, max_rows=quota)           # SpecError lists every problem
    the_plan = plan(spec, seed=7, reference_time=t)   # table order, row counts, chunks
    batch = generate_chunk(the_plan, "employees", 0, 50_000)
    batch.json_rows()                                 # one compact JSON object per row
"""

from .errors import Problem, SpecError
from .generate import Batch, generate_chunk, iter_batches
from .planner import Chunk, Plan, plan
from .spec import Spec, parse_spec, validate_spec

__all__ = [
    "Batch",
    "Chunk",
    "Plan",
    "Problem",
    "Spec",
    "SpecError",
    "generate_chunk",
    "iter_batches",
    "parse_spec",
    "plan",
    "validate_spec",
]
