"""Column type `reference`: a value of a row of another (or the same) table.

Version 1.1: `where: {column, op, value}` draws only among the parent rows whose `column` matches (the same
conditions as `when`), e.g. the revoked signers for the documents of a revoked-signer scenario; a `when`
clause may set or clear it per row.
"""

from __future__ import annotations

from .. import analysis, limits
from ..column_types import (
    join,
    normalise_condition,
    normalise_distribution,
    read_str,
)
from ..generators import (
    reference_indices,
)
from .base import ColumnType


def normalise(raw, path, ctx, nested):
    table = read_str(raw, "table", path, ctx, None, required=True)
    column = read_str(raw, "column", path, ctx, None)
    dist = normalise_distribution(raw.get("distribution"), join(path, "distribution"), ctx,
                                  ("uniform", "zipf"), None, None)
    out = {"table": table, "column": column, "distribution": dist}
    if "where" in raw:
        # Only written when given, so a version 1 document's normalised form is unchanged.
        where = raw["where"]
        if where is not None and ctx.version < 1.1:
            ctx.add(join(path, "where"), "needs version: 1.1")
        out["where"] = None if where is None else normalise_condition(where, join(path, "where"), ctx)
    return out


def sample(spec, env):
    indices = reference_indices(spec, env)
    if env.ctx is not None:
        env.ctx.pending[(env.path, env.salt)] = indices
    return env.runtime.values_at(spec["table"], env.runtime.referenced_column(spec), indices)


def check_links(doc, table_name, table, name, spec, path, ctx):
    """A `where` tests a column of the parent table with a value of its kind, on a reference that draws."""
    from ..validation import condition_value_problem

    variants = [(spec, path)] + [({**spec, **clause["then"]}, f"{path}.when[{i}].then")
                                 for i, clause in enumerate(spec.get("when", []))]
    rows = table.get("rows")
    for variant, vpath in variants:
        where = variant.get("where")
        if not where:
            continue
        wpath = join(vpath, "where")
        parent = doc["tables"].get(variant["table"])
        if variant["table"] == table_name:
            ctx.add(wpath, "a reference to its own table cannot have where")
        elif isinstance(rows, dict) and rows.get("per") == name:
            ctx.add(wpath, "the per column of a table follows its parent row and cannot have where")
        elif spec["unique"]:
            ctx.add(wpath, "a unique reference cannot have where (each row takes its own parent row)")
        elif parent is None:
            continue
        elif where["column"] not in parent["columns"]:
            ctx.add(join(wpath, "column"), f"table {variant['table']!r} has no column {where['column']!r}")
        else:
            kind = analysis.column_kind(doc, parent, where["column"])
            values = where["value"] if where["op"] in ("in", "not_in") else [where["value"]]
            if kind in ("json", "bool") and where["op"] in ("<", "<=", ">", ">="):
                ctx.add(join(wpath, "op"), f"{where['op']} cannot compare {kind} values")
                continue
            for value in values:
                problem = condition_value_problem(kind, value, parent["columns"][where["column"]])
                if problem:
                    ctx.add(join(wpath, "value"), problem)
                    break


def plan_problems(doc, table_name, name, spec, path, counts):
    """Parent tables a `where` reads whole stay within MAX_WHERE_PARENT_ROWS rows."""
    out = []
    variants = [(spec, path)] + [({**spec, **clause["then"]}, f"{path}.when[{i}].then")
                                 for i, clause in enumerate(spec.get("when", []))]
    for variant, vpath in variants:
        if variant.get("where") and counts.get(variant["table"], 0) > limits.MAX_WHERE_PARENT_ROWS:
            out.append((join(vpath, "where"), f"table {variant['table']!r} has {counts[variant['table']]:,} rows; "
                                              f"a reference with where reads at most "
                                              f"{limits.MAX_WHERE_PARENT_ROWS:,}"))
    return out


ENTRY = ColumnType(
    name="reference",
    keys=("table", "column", "distribution", "where"),
    normalise=normalise,
    sample=sample,
    structural_keys=("table", "column"),
    always_valued=True,
    check_links=check_links,
)
