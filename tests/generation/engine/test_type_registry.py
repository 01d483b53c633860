"""The column-type registry: one module per type, each entry consistent with what the engine does with it."""

import pkgutil

import pytest

from apps.exports.writers.columns import SCALAR_KINDS
from apps.generation.engine import types
from apps.generation.engine.types import registry

from .helpers import doc_with, generate_table, problem_strings

VALUE_KINDS = {"int", "float", "number", "bool", "str", "date", "datetime", "time", "json"}


def test_every_type_module_declares_the_type_it_is_named_after():
    modules = {m.name for m in pkgutil.iter_modules(types.__path__)
               if not m.name.startswith("_") and m.name not in ("base", "registry")}
    assert modules == set(registry.names())
    for name in registry.names():
        assert registry.get(name).name == name


def test_registry_lists_the_types_in_the_documented_order():
    assert registry.names()[:3] == ("sequence", "integer", "float")
    assert len(registry.names()) == 34
    assert registry.get("quaternion") is None
    assert registry.get(None) is None


@pytest.mark.parametrize("name", registry.names())
def test_entry_fields_are_consistent(name):
    entry = registry.get(name)
    assert entry.value_kind is None or entry.value_kind in VALUE_KINDS
    assert entry.export_kind is None or entry.export_kind in SCALAR_KINDS
    assert set(entry.structural_keys) <= set(entry.keys)
    assert entry.text_chars is None or entry.text_chars > 0
    assert not entry.quoted or entry.text_chars is not None


def test_unknown_type_lists_every_registered_type():
    problems = problem_strings(doc_with({"c": {"type": "quaternion"}}))
    assert problems == [f"tables.t.columns.c.type: unknown type 'quaternion' (expected one of "
                        f"{', '.join(registry.names())})"]


def test_a_type_key_of_another_type_is_refused_with_its_path():
    problems = problem_strings(doc_with({"c": {"type": "integer", "pattern": "[a-z]"}}))
    assert problems == ["tables.t.columns.c.pattern: unknown key for type integer"]


def test_no_unique_reason_reaches_the_user():
    problems = problem_strings(doc_with({"c": {"type": "timeseries", "unique": True}}))
    assert any("timeseries values cannot be made unique" in p for p in problems)


def test_row_bound_types_are_refused_inside_arrays():
    problems = problem_strings(doc_with({"c": {"type": "array", "of": {"type": "expression", "expr": "1"}}}))
    assert any("expression reads the row and cannot be nested" in p for p in problems)


def test_sampler_of_the_entry_makes_the_values():
    rows = generate_table(doc_with({"c": {"type": "integer", "min": 3, "max": 3}}, rows=5))
    assert [r["c"] for r in rows] == [3] * 5
