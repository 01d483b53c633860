"""Masking a table chunk by chunk under a rules document and a key.

`MaskingRun` holds what must outlive a chunk and a table in one run: per unique column, the outputs already
given (to detect collisions), and per keyed function, the inputs whose output a collision moved (so the
foreign keys of a key column, masked later with the same function, follow it). Tables are masked in
`rules.table_order()`, keys before the tables that reference them.

Collisions are resolved deterministically: the colliding input is masked again under the function's key for
attempt 1, 2, ... until its output is free. The first input (in source order) keeps its output, so the same
source read in the same order always gives the same result, whatever the chunk size.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from apps.generation.engine.errors import Problem

from . import keyed, limits, transforms
from .fake import ascii_slug
from .rules import ColumnRule, MaskingRules

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Rules whose output is a bijection of the input: no collision can happen, nothing to remember.
_BIJECTIVE = {("format_preserving", "integer")}
# Values already of their column's kind need no coercion (a reader such as Arrow parsed them).
_NATIVE = {"integer": (int, type(None)), "float": (float, int, type(None))}


class MaskingError(Exception):
    """A value cannot be masked as its rule says. The message names the table, column and row, never the value."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _coerce(value: object, column_type: str) -> object:
    if value is None or value == "" and column_type != "string":
        return None
    if not isinstance(value, str):
        return value
    if column_type == "integer":
        return int(value)
    if column_type == "float":
        return float(value)
    if column_type == "boolean":
        return value.strip().lower() in ("1", "true", "t", "yes", "y")
    if column_type == "date":
        return datetime.date.fromisoformat(value)
    if column_type == "datetime":
        return datetime.datetime.fromisoformat(value)
    return value


class MaskingRun:
    def __init__(self, rules: MaskingRules, key: bytes):
        self.rules = rules
        self.key = keyed.check_key(key)
        self._function_keys: dict[str, bytes] = {}
        self.seen: dict[tuple[str, str], dict[object, object]] = {}
        self.moved: dict[str, dict[object, object]] = {}

    def function_key(self, column: ColumnRule, attempt: int = 0) -> bytes:
        tag = column.function_tag()
        if attempt:
            return keyed.sub_key(self.key, tag, attempt)
        if tag not in self._function_keys:
            self._function_keys[tag] = keyed.sub_key(self.key, tag)
        return self._function_keys[tag]

    def table(self, table: str, source_columns: Sequence[str]) -> TableMasker:
        return TableMasker(self, table, list(source_columns))


class TableMasker:
    def __init__(self, run: MaskingRun, table: str, source_columns: list[str]):
        self.run = run
        self.table = table
        self.columns = run.rules.effective(table, source_columns)
        # Derived columns after the columns they are built from.
        self.order = [n for n, c in self.columns.items() if c.rule != "derive"] + [
            n for n, c in self.columns.items() if c.rule == "derive"]
        self.rows_done = 0

    def mask(self, chunk: dict[str, list]) -> dict[str, list]:
        """Mask one chunk: every source column's values in, the masked values out (same keys, same order)."""
        rows = len(next(iter(chunk.values()))) if chunk else 0
        originals: dict[str, list] = {}
        for name, column in self.columns.items():
            try:
                values = chunk[name]
                if column.type == "string" or column.rule in ("keep", "null") or (
                        column.type in _NATIVE and all(type(v) in _NATIVE[column.type] for v in values)):
                    originals[name] = values if isinstance(values, list) else list(values)
                else:
                    originals[name] = [_coerce(v, column.type) for v in values]
            except (TypeError, ValueError):
                bad = next(i for i, v in enumerate(chunk[name]) if not _coercible(v, column.type))
                raise MaskingError([Problem(
                    f"{column.path}", f"row {self.rows_done + bad + 1} is not a {column.type}")]) from None
        masked: dict[str, list] = {}
        for name in self.order:
            masked[name] = self._column(self.columns[name], originals, masked, rows)
        self.rows_done += rows
        return {name: masked[name] for name in chunk}

    # ---------------------------------------------------------------------------------------------
    def _column(self, column: ColumnRule, originals: dict, masked: dict, rows: int) -> list:
        values = originals[column.name]
        if column.rule == "keep":
            return values
        if column.rule == "null":
            return [None] * rows
        if column.rule == "constant":
            return [_coerce(column.options["value"], column.type)] * rows
        present = [i for i, v in enumerate(values) if v is not None]
        inputs = [values[i] for i in present]
        try:
            outputs = self._apply(column, inputs, present, originals, masked, attempt=0)
            if column.unique and (column.rule, column.type) not in _BIJECTIVE:
                outputs = self._resolve(column, inputs, outputs, present, originals, masked)
        except (ValueError, OverflowError) as exc:
            # The message of numpy/datetime errors can quote the value: say only what kind of problem it is.
            raise MaskingError([Problem(column.path, f"{column.rule} cannot mask a value of this column "
                                                     f"({type(exc).__name__})")]) from None
        out: list = [None] * rows
        for i, value in zip(present, outputs, strict=True):
            out[i] = value
        return out

    def _apply(self, column: ColumnRule, inputs: list, present: list[int], originals: dict, masked: dict,
               attempt: int) -> list:
        if not inputs:
            return []
        if column.rule == "derive":
            return self._derive(column, present, masked, attempt)
        key = self.run.function_key(column, attempt)
        if column.rule == "shift_date":
            entity = column.options.get("entity")
            entities = [originals[entity][i] for i in present] if entity else inputs
            return transforms.shift_dates(inputs, key, column, entities)
        outputs = transforms.FUNCTIONS[column.rule](inputs, key, column)
        moved = self.run.moved.get(column.function_tag()) if attempt == 0 else None
        if moved:
            outputs = [moved.get(v, o) for v, o in zip(inputs, outputs, strict=True)]
        return outputs

    def _derive(self, column: ColumnRule, present: list[int], masked: dict, attempt: int) -> list:
        """The template filled with the masked values of its columns, column-wise (each distinct value
        slugged once); null where one of them is null."""
        parts = _PLACEHOLDER.split(column.options["template"])
        literals, names = parts[0::2], parts[1::2]
        texts = []
        for name in names:
            values = [masked[name][i] for i in present]
            if column.options["slug"]:
                slugs = {value: ascii_slug(str(value)) for value in set(values) if value is not None}
                texts.append([slugs.get(value) for value in values])
            else:
                texts.append([None if value is None else str(value) for value in values])
        if len(names) == 1:
            head, tail = literals
            out = [None if text is None else head + text + tail for text in texts[0]]
        else:
            out = [None if None in row else "".join(p for pair in zip(literals, (*row, ""), strict=True) for p in pair)
                   for row in zip(*texts, strict=True)]
        if attempt:
            out = [value if value is None else _with_attempt(value, attempt) for value in out]
        return out

    def _resolve(self, column: ColumnRule, inputs: list, outputs: list, present: list[int], originals: dict,
                 masked: dict) -> list:
        """Rows claim their outputs in source order; a row whose output another input holds is re-masked at
        once (attempt 1, 2, ...). Row by row, so chunk boundaries cannot change who wins a collision."""
        seen = self.run.seen.setdefault((self.table, column.name), {})
        moved = self.run.moved.setdefault(column.function_tag(), {})
        derived = column.rule == "derive"
        outputs = list(outputs)
        for k, (i, value) in enumerate(zip(present, inputs, strict=True)):
            # Derived values are not functions of this column's input: their row identifies them.
            who = self.rows_done + i if derived else value
            output = outputs[k]
            if output is None:
                continue
            attempt = 0
            while seen.setdefault(output, who) != who:
                attempt += 1
                if attempt > limits.MAX_UNIQUE_ATTEMPTS:
                    raise MaskingError([Problem(column.path, "cannot keep the column unique: a value still "
                                                             f"collides after {limits.MAX_UNIQUE_ATTEMPTS} re-masks")])
                [output] = self._apply(column, [value], [i], originals, masked, attempt)
            if attempt:
                outputs[k] = output
                if not derived:
                    moved[value] = output
        return outputs


def _with_attempt(value: str, attempt: int) -> str:
    at = value.find("@")
    return f"{value[:at]}{attempt}{value[at:]}" if at > 0 else f"{value}{attempt}"


def _coercible(value: object, column_type: str) -> bool:
    try:
        _coerce(value, column_type)
    except (TypeError, ValueError):
        return False
    return True
