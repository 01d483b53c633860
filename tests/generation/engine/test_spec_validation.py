"""Parsing and validation: normalised documents, and every problem reported as `path: reason`."""

import copy
import json
import random

import pytest
import yaml

from apps.generation.engine import Problem, SpecError, parse_spec, validate_spec

from .all_types import ALL_TYPES
from .helpers import doc_with, problem_strings

HR_YAML = """
version: 1
name: hr-basic
description: Departments and their employees
locale: en_US
seed: 42
tables:
  departments:
    rows: 4
    primary_key: dept_id
    columns:
      dept_id:   {type: sequence, start: 1}
      dept_name: {type: choice, values: [Engineering, Marketing, Sales, HR], unique: true}
  employees:
    rows: 1000
    primary_key: emp_id
    columns:
      emp_id:     {type: sequence, start: 1000}
      dept_id:    {type: reference, table: departments}
      first_name: {type: faker, provider: first_name}
      last_name:  {type: faker, provider: last_name}
      email:      {type: template, template: "{first_name}.{last_name}@example.com", lower: true, unique: true}
      salary:
        type: float
        min: 30000
        max: 90000
        precision: 2
        when:
          - if: {column: dept_id, op: "==", value: 1}
            then: {min: 80000, max: 150000}
      hired_at:   {type: date, start: "2020-01-01", end: "2025-12-31"}
      manager_id: {type: reference, table: employees, null_ratio: 0.1}
"""


def test_yaml_json_bytes_and_mapping_give_the_same_spec():
    from_yaml = parse_spec(HR_YAML)
    raw = yaml.safe_load(HR_YAML)
    from_json = parse_spec(json.dumps(raw))
    from_bytes = parse_spec(HR_YAML.encode())
    from_mapping = parse_spec(raw)
    assert from_yaml.hash == from_json.hash == from_bytes.hash == from_mapping.hash
    assert len(from_yaml.hash) == 64
    assert from_yaml.name == "hr-basic"
    assert from_yaml.table_names == ["departments", "employees"]


def test_normalised_document_fills_every_default():
    spec = parse_spec(HR_YAML)
    emp = spec.doc["tables"]["employees"]
    assert emp["columns"]["emp_id"] == {"type": "sequence", "start": 1000, "step": 1, "null_ratio": 0.0,
                                        "unique": True, "pii": False, "description": "", "when": []}
    assert emp["columns"]["dept_id"]["column"] is None
    assert emp["columns"]["dept_id"]["distribution"] == {"uniform": {}}
    assert emp["columns"]["salary"]["when"][0] == {"if": {"column": "dept_id", "op": "==", "value": 1},
                                                  "then": {"min": 80000.0, "max": 150000.0}}
    assert spec.doc["seed"] == 42
    # The normalised document is itself a valid document with the same normal form.
    assert parse_spec(spec.doc).hash == spec.hash


def test_hash_changes_with_content_and_not_with_formatting():
    spec = parse_spec(HR_YAML)
    assert parse_spec(HR_YAML.replace("rows: 4", "rows:    4")).hash == spec.hash
    assert parse_spec(HR_YAML.replace("rows: 1000", "rows: 999")).hash != spec.hash


def test_yaml_scalars_stay_strings():
    # YAML 1.1 would read NO as false, 12:30:00 as 45000 and dates as date objects.
    doc = doc_with({"c": {"type": "iban", "country": "NO"}, "t": {"type": "time", "start": "06:00:00",
                                                                  "end": "12:30:00"}})
    text = yaml.safe_dump(doc).replace("'NO'", "NO").replace("'06:00:00'", "06:00:00").replace(
        "'12:30:00'", "12:30:00")
    spec = parse_spec(text)
    assert spec.doc["tables"]["t"]["columns"]["c"]["country"] == "NO"
    assert spec.doc["tables"]["t"]["columns"]["t"]["end"] == "12:30:00"


def test_all_types_document_is_valid():
    assert validate_spec(ALL_TYPES) == []


def test_spec_error_lists_problems():
    with pytest.raises(SpecError) as caught:
        parse_spec({"version": 2})
    assert Problem("version", "unsupported version 2 (the versions are 1 and 1.1)") in caught.value.problems
    assert str(Problem("a.b", "bad")) == "a.b: bad"
    assert "name: is required" in [str(p) for p in caught.value.problems]


def _hr(mutate) -> list[str]:
    doc = yaml.safe_load(HR_YAML)
    mutate(doc)
    return problem_strings(doc)


def _emp(doc):
    return doc["tables"]["employees"]["columns"]


def test_examples_of_the_language_contract():
    def swap(doc):
        _emp(doc)["salary"].update(min=90000, max=30000)
        _emp(doc)["dept_id"]["table"] = "department"

    problems = _hr(swap)
    assert "tables.employees.columns.salary: min (90000) is greater than max (30000)" in problems
    assert "tables.employees.columns.dept_id: references unknown table 'department'" in problems


def test_every_problem_is_listed_at_once():
    def many(doc):
        _emp(doc)["salary"]["precision"] = -1
        _emp(doc)["hired_at"]["start"] = "yesterday"
        _emp(doc)["first_name"]["provider"] = "no_such_provider"
        doc["tables"]["departments"]["colour"] = "red"

    problems = _hr(many)
    assert problems == [
        "tables.departments.colour: unknown key for a table",
        "tables.employees.columns.first_name.provider: Faker provider 'no_such_provider' is not one of the allowed "
        "providers (docs/schema-language.md lists them)",
        "tables.employees.columns.salary.precision: must be at least 0, got -1",
        "tables.employees.columns.hired_at.start: invalid date 'yesterday' (ISO YYYY-MM-DD or relative like today, "
        "-2y, +30d)",
    ]


BAD_COLUMNS = [
    ({"type": "integer", "min": 5, "max": 1}, "tables.t.columns.c: min (5) is greater than max (1)"),
    ({"type": "integer", "min": 1.5}, "tables.t.columns.c.min: must be an integer, got a number"),
    ({"type": "integer", "colour": 1}, "tables.t.columns.c.colour: unknown key for type integer"),
    ({"type": "integer", "distribution": "gauss"},
     "tables.t.columns.c.distribution: unknown distribution 'gauss' (expected one of uniform, normal, lognormal, "
     "exponential, poisson, zipf)"),
    ({"type": "integer", "distribution": {"normal": {"std": -1}}},
     "tables.t.columns.c.distribution.normal.std: must be at least 0, got -1"),
    ({"type": "integer", "distribution": {"zipf": {"a": 1}}},
     "tables.t.columns.c.distribution.zipf.a: must be at least 1.01, got 1"),
    ({"type": "integer", "distribution": {"poisson": {"mu": 1}}},
     "tables.t.columns.c.distribution.poisson.mu: unknown key for distribution poisson"),
    ({"type": "float", "precision": 13}, "tables.t.columns.c.precision: must be at most 12, got 13"),
    ({"type": "boolean", "probability": 2}, "tables.t.columns.c.probability: must be at most 1, got 2"),
    ({"type": "choice"}, "tables.t.columns.c.values: is required"),
    ({"type": "choice", "values": []}, "tables.t.columns.c.values: must be a non-empty list"),
    ({"type": "choice", "values": ["a", {"b": 1}]}, "tables.t.columns.c.values[1]: must be a string, number or "
                                                    "boolean, got a mapping"),
    ({"type": "choice", "values": ["a", "b"], "weights": [1]},
     "tables.t.columns.c.weights: has 1 weights for 2 values"),
    ({"type": "choice", "values": ["a"], "weights": [0]}, "tables.t.columns.c.weights: must not all be zero"),
    ({"type": "string", "pattern": "[A-Z]{3}"}, None),
    ({"type": "string", "pattern": "a", "length": {"min": 1, "max": 2}},
     "tables.t.columns.c.length: cannot be combined with pattern"),
    ({"type": "string", "length": {"min": 5, "max": 2}}, "tables.t.columns.c.length: min (5) is greater than max (2)"),
    ({"type": "string", "alphabet": ""}, "tables.t.columns.c.alphabet: must not be empty"),
    ({"type": "date", "start": "2025-01-01", "end": "2020-01-01"},
     "tables.t.columns.c: start (2025-01-01) is after end (2020-01-01)"),
    ({"type": "date", "start": "-2q"}, "tables.t.columns.c.start: invalid date '-2q' (ISO YYYY-MM-DD or relative "
                                       "like today, -2y, +30d)"),
    ({"type": "datetime", "end": "soon"}, "tables.t.columns.c.end: invalid datetime 'soon' (ISO 8601 or relative "
                                          "like now, today, -6h, +30d)"),
    ({"type": "time", "start": "25:00"}, "tables.t.columns.c.start: invalid time '25:00' (HH:MM[:SS] or relative "
                                         "like now, -6h)"),
    ({"type": "datetime", "timezone": "Mars/Olympus"}, "tables.t.columns.c.timezone: unknown timezone "
                                                       "'Mars/Olympus'"),
    ({"type": "faker", "provider": "nope"}, "tables.t.columns.c.provider: Faker provider 'nope' is not one of the "
                                            "allowed providers"),
    ({"type": "faker", "provider": "seed_instance"}, "tables.t.columns.c.provider: Faker provider "
                                                     "'seed_instance' is not one of the allowed providers"),
    ({"type": "faker", "provider": "name", "locale": "xx_XX"}, "tables.t.columns.c.locale: unknown locale 'xx_XX'"),
    ({"type": "faker", "provider": "pyint", "args": {"bogus": 1}},
     "tables.t.columns.c.args.bogus: unknown argument for Faker provider 'pyint' (allowed: min_value, max_value, "
     "step)"),
    ({"type": "faker"}, "tables.t.columns.c.provider: is required"),
    ({"type": "template", "template": "{nope}"}, "tables.t.columns.c.template: placeholder {nope} names unknown "
                                                 "column 'nope'"),
    ({"type": "template", "template": "{a"}, "tables.t.columns.c.template: unclosed '{' at position 0"),
    ({"type": "template", "template": "{c}"}, "tables.t.columns.c.template: placeholder {c} names the template's "
                                              "own column"),
    ({"type": "template", "template": "{a.b}"}, "tables.t.columns.c.template: placeholder {a.b}: 'a' is not a "
                                                "reference column of this table"),
    ({"type": "template", "template": "x", "lower": True, "upper": True},
     "tables.t.columns.c: lower and upper cannot both be true"),
    ({"type": "expression", "expr": "a + nope"}, "tables.t.columns.c.expr: names unknown column 'nope'"),
    ({"type": "expression", "expr": "__import__('os')"}, "tables.t.columns.c.expr: only round(), min(), max() and "
                                                         "abs() may be called"),
    ({"type": "expression", "expr": "s * 2"}, "tables.t.columns.c.expr: column 's' holds str values, not numbers"),
    ({"type": "reference", "table": "nope"}, "tables.t.columns.c: references unknown table 'nope'"),
    ({"type": "reference", "table": "t"}, "tables.t.columns.c: table 't' has no primary_key; name the referenced "
                                          "column"),
    ({"type": "reference", "table": "t", "column": "zz"}, "tables.t.columns.c.column: table 't' has no column 'zz'"),
    ({"type": "reference", "table": "t", "column": "a"}, "tables.t.columns.c.column: t.a is neither the primary key "
                                                         "nor unique"),
    ({"type": "reference", "table": "t", "column": "a", "distribution": "normal"},
     "tables.t.columns.c.distribution: unknown distribution 'normal' (expected one of uniform, zipf)"),
    ({"type": "lookup", "reference": "a", "column": "s"}, "tables.t.columns.c.reference: column 'a' is a integer, "
                                                          "not a reference"),
    ({"type": "lookup", "reference": "zz", "column": "s"}, "tables.t.columns.c.reference: names unknown column 'zz'"),
    ({"type": "array"}, "tables.t.columns.c.of: is required"),
    ({"type": "array", "of": {"type": "integer"}, "min_length": 3, "max_length": 2},
     "tables.t.columns.c: min_length (3) is greater than max_length (2)"),
    ({"type": "array", "of": {"type": "choice", "values": [1, 2]}, "max_length": 3, "unique_items": True},
     "tables.t.columns.c.unique_items: the items can take only 2 distinct values but max_length is 3"),
    ({"type": "array", "of": {"type": "template", "template": "x"}},
     "tables.t.columns.c.of.type: template reads the row and cannot be nested in an array or object"),
    ({"type": "array", "of": {"type": "integer", "unique": True}},
     "tables.t.columns.c.of.unique: unique is not supported inside an array or object"),
    ({"type": "object"}, "tables.t.columns.c.fields: is required: a non-empty mapping of field names to column specs"),
    ({"type": "object", "fields": {"Bad": {"type": "uuid"}}},
     "tables.t.columns.c.fields.Bad: field names must match ^[a-z_][a-z0-9_]*$ (at most 63 characters)"),
    ({"type": "object", "fields": {"x": {"type": "integer", "min": 3, "max": 1}}},
     "tables.t.columns.c.fields.x: min (3) is greater than max (1)"),
    ({"type": "timeseries", "seasonality": {"amplitude": 1}}, "tables.t.columns.c.seasonality.period: is required"),
    ({"type": "timeseries", "noise": -1}, "tables.t.columns.c.noise: must be at least 0, got -1"),
    ({"type": "series_time", "step": "1y"}, "tables.t.columns.c.step: invalid step '1y' (expected a positive number "
                                            "and a unit w, d, h, m or s)"),
    ({"type": "constant"}, "tables.t.columns.c.value: is required"),
    ({"type": "credit_card", "brand": "dinersclubx"}, "tables.t.columns.c.brand: unknown credit card brand "
                                                      "'dinersclubx'"),
    ({"type": "iban", "country": "ZZ"}, "tables.t.columns.c.country: unknown IBAN country 'ZZ'"),
    ({"type": "mrz_td3", "fields": {"surname": "nope"}}, "tables.t.columns.c.fields.surname: names unknown column "
                                                         "'nope'"),
    ({"type": "mrz_td3", "fields": {"shoe_size": "s"}}, "tables.t.columns.c.fields.shoe_size: unknown key for "
                                                        "mrz_td3 fields"),
    ({"type": "vin", "null_ratio": 1.5}, "tables.t.columns.c.null_ratio: must be at most 1, got 1.5"),
    ({"type": "uuid", "unique": "yes"}, "tables.t.columns.c.unique: must be true or false, got a string"),
    ({"type": "quaternion"}, "tables.t.columns.c.type: unknown type 'quaternion' (expected one of "),
    ({"min": 1}, "tables.t.columns.c.type: is required"),
    ("integer", "tables.t.columns.c: must be a mapping with a type, got a string"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "~", "value": 1}, "then": {"max": 1}}]},
     "tables.t.columns.c.when[0].if.op: unknown operator '~' (expected one of == != < <= > >= in not_in)"),
    ({"type": "integer", "when": [{"if": {"column": "zz", "op": "==", "value": 1}, "then": {"max": 1}}]},
     "tables.t.columns.c.when[0].if.column: names unknown column 'zz'"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "in", "value": 1}, "then": {"max": 1}}]},
     "tables.t.columns.c.when[0].if.value: must be a list of values for in"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "==", "value": "x"}, "then": {"max": 1}}]},
     "tables.t.columns.c.when[0].if.value: must be a number to compare with a int column"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "==", "value": 1}, "then": {"min": 10, "max": 1}}]},
     "tables.t.columns.c.when[0].then: min (10) is greater than max (1)"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "==", "value": 1}, "then": {"type": "float"}}]},
     "tables.t.columns.c.when[0].then.type: unknown key for type integer"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "==", "value": 1}, "then": {"pattern": "x"}}]},
     "tables.t.columns.c.when[0].then.pattern: unknown key for type integer"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "==", "value": 1}}]},
     "tables.t.columns.c.when[0].then: is required: a mapping of the keys to override"),
    ({"type": "integer", "when": {"if": 1}}, "tables.t.columns.c.when: must be a list of {if, then} clauses, got a "
                                             "mapping"),
    ({"type": "integer", "unique": True, "min": 1, "max": 10}, "tables.t.columns.c: unique column can hold only 10 "
                                                               "distinct values but the table has up to 50 rows"),
    ({"type": "sequence", "step": 0, "unique": True}, "tables.t.columns.c: unique column can hold only 1 distinct "
                                                      "values but the table has up to 50 rows"),
    ({"type": "choice", "values": ["a", "b", "a"], "unique": True},
     "tables.t.columns.c: unique column can hold only 2 distinct values but the table has up to 50 rows"),
    ({"type": "boolean", "unique": True}, "tables.t.columns.c: unique column can hold only 2 distinct values but the "
                                          "table has up to 50 rows"),
    ({"type": "string", "pattern": "[AB]\\d", "unique": True},
     "tables.t.columns.c: unique column can hold only 20 distinct values but the table has up to 50 rows"),
    ({"type": "string", "length": {"min": 1, "max": 1}, "alphabet": "xyz", "unique": True},
     "tables.t.columns.c: unique column can hold only 3 distinct values but the table has up to 50 rows"),
    ({"type": "faker", "provider": "first_name", "unique": True, "locale": "en_US"}, None),
    ({"type": "date", "start": "2020-01-01", "end": "2020-01-31", "unique": True},
     "tables.t.columns.c: unique column can hold only 31 distinct values but the table has up to 50 rows"),
    ({"type": "float", "min": 0, "max": 1, "precision": 1, "unique": True},
     "tables.t.columns.c: unique column can hold only 11 distinct values but the table has up to 50 rows"),
    ({"type": "integer", "unique": True, "distribution": "normal"},
     "tables.t.columns.c: a unique integer column must use the uniform distribution"),
    ({"type": "faker", "provider": "pyint", "unique": True},
     "tables.t.columns.c: Faker provider 'pyint' returns int values, which cannot be made unique"),
    ({"type": "integer", "unique": True, "when": [{"if": {"column": "a", "op": "==", "value": 1},
                                                  "then": {"max": 5}}]},
     "tables.t.columns.c: a unique column cannot have when clauses (overridden values could repeat)"),
    ({"type": "integer", "distribution": {"normal": {}, "zipf": {}}},
     "tables.t.columns.c.distribution: must be a distribution name or a mapping with one key {name: {parameters}}"),
    ({"type": "integer", "distribution": {"normal": 3}},
     "tables.t.columns.c.distribution.normal: parameters must be a mapping, got an integer"),
    ({"type": "faker", "provider": "name", "args": [1]},
     "tables.t.columns.c.args: must be a mapping of argument names to values, got a list"),
    ({"type": "faker", "provider": 5}, "tables.t.columns.c.provider: must be a string, got an integer"),
    ({"type": "string", "length": 5}, "tables.t.columns.c.length: must be a mapping {min, max}, got an integer"),
    ({"type": "string", "length": {"min": 1, "max": 20000}}, "tables.t.columns.c.length.max: must be at most 10000"),
    ({"type": "timeseries", "seasonality": 3}, "tables.t.columns.c.seasonality: must be a mapping {amplitude, "
                                               "period}, got an integer"),
    ({"type": "timeseries", "seasonality": {"period": 0}}, "tables.t.columns.c.seasonality.period: must be at "
                                                           "least 1e-09, got 0"),
    ({"type": "series_time", "start": "later"}, "tables.t.columns.c.start: invalid datetime 'later'"),
    ({"type": "series_time", "start": 5}, "tables.t.columns.c.start: must be an ISO datetime or a relative time, "
                                          "got an integer"),
    ({"type": "date", "start": 20200101}, "tables.t.columns.c.start: must be an ISO date or a relative time, got "
                                          "an integer"),
    ({"type": "mrz_td3", "fields": ["a"]}, "tables.t.columns.c.fields: must be a mapping of MRZ fields to column "
                                           "names, got a list"),
    ({"type": "mrz_td3", "fields": {"surname": 3}}, "tables.t.columns.c.fields.surname: must be a column name, got "
                                                    "an integer"),
    ({"type": "mrz_td3", "fields": {"surname": "c"}}, "tables.t.columns.c.fields.surname: cannot name the mrz_td3 "
                                                      "column itself"),
    ({"type": "array", "of": {"type": "integer"}, "max_length": 5000},
     "tables.t.columns.c.max_length: must be at most 1000, got 5000"),
    ({"type": "array", "of": {"type": "faker", "provider": "bothify", "args": {"text": "??"}}, "unique_items": True},
     "tables.t.columns.c.unique_items: faker items have no countable domain to draw distinct items from"),
    ({"type": "object", "fields": {"x": {"type": "reference", "table": "t", "column": "u"}}},
     "tables.t.columns.c.fields.x: a reference inside an array or object cannot point at its own table"),
    ({"type": "object", "fields": []}, "tables.t.columns.c.fields: must be a non-empty mapping, got a list"),
    ({"type": "integer", "description": 5}, "tables.t.columns.c.description: must be a string, got an integer"),
    ({"type": "integer", "when": ["x"]}, "tables.t.columns.c.when[0]: must be a mapping {if, then}, got a string"),
    ({"type": "integer", "when": [{"if": "a == 1", "then": {"max": 1}}]},
     "tables.t.columns.c.when[0].if: must be a mapping {column, op, value}, got a string"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "=="}, "then": {"max": 1}}]},
     "tables.t.columns.c.when[0].if.value: is required"),
    ({"type": "integer", "when": [{"if": {"column": "c", "op": "==", "value": 1}, "then": {"max": 1}}]},
     "tables.t.columns.c.when[0].if.column: a condition cannot test the column it belongs to"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "==", "value": [1]}, "then": {"max": 1}}]},
     "tables.t.columns.c.when[0].if.value: must be a string, number, boolean or null, got a list"),
    ({"type": "integer", "when": [{"if": {"column": "s", "op": "<", "value": 1}, "then": {"max": 1}}]},
     "tables.t.columns.c.when[0].if.value: must be a string to compare with a string column"),
    ({"type": "integer", "when": [{"if": {"column": "a", "op": "==", "value": 1}, "then": {"unique": True}}]},
     "tables.t.columns.c.when[0].then.unique: unknown key for type integer"),
    ({"type": "reference", "table": "t", "column": "u", "when": [
        {"if": {"column": "a", "op": "==", "value": 1}, "then": {"table": "t"}}]},
     "tables.t.columns.c.when[0].then.table: table cannot be overridden by a when clause"),
    ({"type": "datetime", "when": [{"if": {"column": "a", "op": "==", "value": 1}, "then": {"timezone": "UTC"}}]},
     "tables.t.columns.c.when[0].then.timezone: timezone cannot be overridden by a when clause"),
    ({"type": "expression", "expr": "c + 1"}, "tables.t.columns.c.expr: an expression cannot read its own column"),
    ({"type": "lookup", "reference": "r", "column": "zz"}, "tables.t.columns.c.column: table 't' has no column "
                                                           "'zz'"),
    ({"type": "vin", "unique": True}, "tables.t.columns.c: vin values are random and cannot be guaranteed unique"),
    ({"type": "expression", "expr": "a", "unique": True}, "tables.t.columns.c: expression values cannot be made "
                                                          "unique"),
]


@pytest.mark.parametrize(("spec", "expected"), BAD_COLUMNS, ids=[str(i) for i in range(len(BAD_COLUMNS))])
def test_bad_column_reports_exact_path(spec, expected):
    doc = doc_with({"a": {"type": "integer"}, "s": {"type": "string"}, "u": {"type": "uuid", "unique": True},
                    "r": {"type": "reference", "table": "t", "column": "u"}, "c": spec})
    problems = problem_strings(doc)
    if expected is None:
        # first_name has 690 distinct values in en_US: 50 rows fit; a pattern without bad syntax is fine.
        assert problems == []
        return
    assert any(p.startswith(expected) for p in problems), problems


def test_bulk_faker_domain_too_small_for_unique():
    doc = doc_with({"c": {"type": "faker", "provider": "first_name", "unique": True}}, rows=5000)
    problems = problem_strings(doc)
    assert len(problems) == 1
    assert problems[0].startswith("tables.t.columns.c: unique column can hold only ")


def test_bad_pattern_reports_reason():
    problems = problem_strings(doc_with({"c": {"type": "string", "pattern": "[A-Z]+"}}))
    assert len(problems) == 1 and problems[0].startswith("tables.t.columns.c.pattern: invalid pattern: ")


DOCUMENT_PROBLEMS = [
    (lambda d: d.update(version="1"), "version: unsupported version '1' (the versions are 1 and 1.1)"),
    (lambda d: d.pop("version"), "version: is required (1 or 1.1)"),
    (lambda d: d.update(name="Not A Slug!"), "name: must be slug-like"),
    (lambda d: d.update(locale="klingon"), "locale: unknown locale 'klingon'"),
    (lambda d: d.update(seed=-1), "seed: must be an integer from 0 to "),
    (lambda d: d.update(extra=1), "extra: unknown key for the document"),
    (lambda d: d.update(tables={}), "tables: must be a non-empty mapping of table names to tables"),
    (lambda d: d.update(tables={"Bad-Name": {"rows": 1, "columns": {"a": {"type": "uuid"}}}}),
     "tables.Bad-Name: table names must match ^[a-z_][a-z0-9_]*$ (at most 63 characters)"),
    (lambda d: d["tables"]["t"].update(rows=-1), "tables.t.rows: must be at least 0, got -1"),
    (lambda d: d["tables"]["t"].update(rows="many"), "tables.t.rows: must be an integer or a mapping"),
    (lambda d: d["tables"]["t"].pop("rows"), "tables.t.rows: is required"),
    (lambda d: d["tables"]["t"].update(columns={}), "tables.t.columns: must be a non-empty mapping"),
    (lambda d: d["tables"]["t"]["columns"].update({"1bad": {"type": "uuid"}}),
     "tables.t.columns.1bad: column names must match ^[a-z_][a-z0-9_]*$ (at most 63 characters)"),
    (lambda d: d["tables"]["t"]["columns"].update({"x" * 64: {"type": "uuid"}}),
     "tables.t.columns." + "x" * 64 + ": column names must match"),
    (lambda d: d["tables"]["t"].update(primary_key="nope"), "tables.t.primary_key: names unknown column 'nope'"),
    (lambda d: d["tables"]["t"].update(primary_key="a") or d["tables"]["t"]["columns"]["a"].update(null_ratio=0.1),
     "tables.t.columns.a: null_ratio must be 0 on a primary key"),
    (lambda d: d["tables"]["t"].update(primary_key="a") or d["tables"]["t"]["columns"]["a"].update(pii=True),
     "tables.t.columns.a: a primary key cannot be pii"),
    (lambda d: d.update(description=3), "description: must be a string, got an integer"),
    (lambda d: d.pop("name"), "name: is required"),
    (lambda d: d.pop("tables"), "tables: is required: a mapping of table names to tables"),
    (lambda d: d.update(tables={"t": []}), "tables.t: must be a mapping with rows and columns, got a list"),
    (lambda d: d["tables"]["t"].update(primary_key=["a"]), "tables.t.primary_key: must be a column name, got a list"),
    (lambda d: d["tables"]["t"].update(description=1), "tables.t.description: must be a string, got an integer"),
    (lambda d: d["tables"]["t"].pop("columns"), "tables.t.columns: is required"),
    (lambda d: d["tables"]["t"].update(rows=True), "tables.t.rows: must be an integer or a mapping"),
    (lambda d: d["tables"]["t"]["columns"].update({3: {"type": "uuid"}}),
     "tables.t.columns.3: column names must match"),
    (lambda d: d["tables"]["t"].update(primary_key="b"),
     "tables.t.columns.b: unique column can hold only 2 distinct values but the table has up to 50 rows"),
]


@pytest.mark.parametrize(("mutate", "expected"), DOCUMENT_PROBLEMS, ids=[str(i) for i in range(len(DOCUMENT_PROBLEMS))])
def test_bad_document_reports_exact_path(mutate, expected):
    doc = doc_with({"a": {"type": "uuid"}, "b": {"type": "boolean"}})
    mutate(doc)
    problems = problem_strings(doc)
    assert any(p.startswith(expected) for p in problems), problems


def _two_tables(parent_columns: dict, child_columns: dict, child_rows=10) -> dict:
    return {"version": 1, "name": "two", "tables": {
        "parent": {"rows": 5, "primary_key": "id", "columns": {"id": {"type": "sequence"}, **parent_columns}},
        "child": {"rows": child_rows, "columns": child_columns}}}


def test_reference_cycle_between_tables_is_rejected_and_self_reference_allowed():
    doc = _two_tables({"c": {"type": "reference", "table": "child", "column": "cid"}},
                      {"cid": {"type": "sequence"}, "p": {"type": "reference", "table": "parent"}})
    doc["tables"]["child"]["primary_key"] = "cid"
    assert problem_strings(doc) == ["tables.parent: reference cycle between tables: parent -> child -> parent"]
    ok = _two_tables({"boss": {"type": "reference", "table": "parent"}}, {"p": {"type": "reference",
                                                                                "table": "parent"}})
    assert problem_strings(ok) == []


def test_column_cycle_is_rejected():
    doc = doc_with({"a": {"type": "expression", "expr": "b + 1"}, "b": {"type": "expression", "expr": "a * 2"}})
    assert problem_strings(doc) == ["tables.t.columns.a: columns depend on each other in a cycle: a -> b -> a"]


def test_lookup_and_template_through_references_name_existing_columns():
    doc = _two_tables({"name": {"type": "faker", "provider": "name"}},
                      {"p": {"type": "reference", "table": "parent"},
                       "n": {"type": "lookup", "reference": "p", "column": "nam"},
                       "t": {"type": "template", "template": "{p.nme}"}})
    assert problem_strings(doc) == [
        "tables.child.columns.n.column: table 'parent' has no column 'nam'",
        "tables.child.columns.t.template: placeholder {p.nme}: table 'parent' has no column 'nme'",
    ]


def test_rows_per_problems():
    base = _two_tables({}, {"p": {"type": "reference", "table": "parent"}, "q": {"type": "integer"}})
    cases = [
        ({"per": "q", "min": 0, "max": 2}, "tables.child.rows.per: column 'q' is a integer, not a reference"),
        ({"per": "zz", "min": 0, "max": 2}, "tables.child.rows.per: names unknown column 'zz'"),
        ({"per": "p", "min": 3, "max": 2}, "tables.child.rows: min (3) is greater than max (2)"),
        ({"per": "p", "min": 0}, "tables.child.rows.max: is required"),
        ({"per": "p", "min": 0, "max": 2, "distribution": "cauchy"}, "tables.child.rows.distribution: unknown "
                                                                     "distribution 'cauchy'"),
        ({"min": 0, "max": 2}, "tables.child.rows.per: is required: the name of a reference column of this table"),
    ]
    for rows, expected in cases:
        doc = copy.deepcopy(base)
        doc["tables"]["child"]["rows"] = rows
        problems = problem_strings(doc)
        assert any(p.startswith(expected) for p in problems), (rows, problems)
    doc = copy.deepcopy(base)
    doc["tables"]["child"]["rows"] = {"per": "p", "min": 0, "max": 2}
    doc["tables"]["child"]["columns"]["p"]["null_ratio"] = 0.5
    assert problem_strings(doc) == ["tables.child.rows.per: column 'p' must not have null_ratio or when (every row "
                                    "belongs to a parent)"]


def test_rows_above_quota_per_table_and_in_total():
    doc = _two_tables({}, {"p": {"type": "reference", "table": "parent"}}, child_rows=8)
    assert problem_strings(doc, max_rows=7) == ["tables.child.rows: 8 rows is above the limit of 7"]
    assert problem_strings(doc, max_rows=12) == ["tables: the tables plan 13 rows in total, above the limit of 12"]
    assert problem_strings(doc, max_rows=13) == []


def test_unique_reference_needs_enough_parent_rows():
    doc = _two_tables({}, {"p": {"type": "reference", "table": "parent", "unique": True}}, child_rows=6)
    assert problem_strings(doc) == ["tables.child.columns.p: unique column can hold only 5 distinct values but the "
                                    "table has up to 6 rows"]
    doc["tables"]["child"]["rows"] = 5
    assert problem_strings(doc) == []


def test_unreadable_documents():
    cases = [
        ("", "the document is empty"),
        ("{not json", "invalid JSON"),
        ("a: [1, 2", "invalid YAML"),
        ("- 1\n- 2", "the document must be a mapping, got a list"),
        (b"\xff\xfe", "the document is not UTF-8 text"),
        ("a: &x [1]\nb: *x", "YAML anchors and aliases are not supported"),
        (12, "expected YAML or JSON text or a mapping, got int"),
        ({"version": 1, "name": "x", "tables": {"t": {"rows": 1, "columns": {"a": {"type": "constant",
                                                                                     "value": {1, 2}}}}}},
         "tables.t.columns.a.value: a set has no JSON form"),
    ]
    for source, expected in cases:
        problems = [str(p) for p in validate_spec(source)]
        assert problems and expected in problems[0], (source, problems)
        with pytest.raises(SpecError):
            parse_spec(source)


def _mutations(value, rng: random.Random, depth=0):
    """Randomly damaged copies of a document: wrong types, removed keys, odd values."""
    garbage = [None, -1, 0, 1.5, "x", "", [], {}, [1, "a"], {"type": 3}, True, 10**30, "{", "-2q", float("nan")]
    if isinstance(value, dict) and value:
        out = dict(value)
        key = rng.choice(list(out))
        roll = rng.random()
        if roll < 0.25:
            out.pop(key)
        elif roll < 0.5:
            out[key] = rng.choice(garbage)
        elif roll < 0.6:
            out[rng.choice(["type", "min", "when", "per", "of", "zz"])] = rng.choice(garbage)
        else:
            out[key] = _mutations(out[key], rng, depth + 1)
        return out
    if isinstance(value, list) and value:
        out = list(value)
        i = rng.randrange(len(out))
        out[i] = _mutations(out[i], rng, depth + 1) if rng.random() < 0.7 else rng.choice(garbage)
        return out
    return rng.choice(garbage)


def test_fuzzed_documents_only_ever_raise_spec_error():
    rng = random.Random(1234)
    for _ in range(300):
        doc = copy.deepcopy(ALL_TYPES)
        for _ in range(rng.randint(1, 4)):
            doc = _mutations(doc, rng)
        try:
            parse_spec(doc)
        except SpecError as exc:
            assert exc.problems
            assert not any("could not be validated" in str(p) for p in exc.problems), exc.problems
        problems = validate_spec(doc)
        assert not any("could not be validated" in str(p) for p in problems), problems


def test_fuzzed_text_only_ever_raises_spec_error():
    rng = random.Random(99)
    text = yaml.safe_dump(ALL_TYPES)
    for _ in range(200):
        chars = list(text)
        for _ in range(rng.randint(1, 10)):
            chars[rng.randrange(len(chars))] = rng.choice("{}[]:,-'\"\n #&*!|>%@`\t\\x0")
        try:
            parse_spec("".join(chars))
        except SpecError as exc:
            assert not any("could not be validated" in str(p) for p in exc.problems), exc.problems


def test_pattern_longer_than_the_string_limit_is_refused():
    from apps.generation.engine import validate_spec

    doc = {"version": 1, "name": "long", "tables": {"t": {"rows": 1, "columns": {
        "s": {"type": "string", "pattern": "[a-z]{1000}" * 10 + "[0-9]"}}}}}
    problems = validate_spec(doc)
    assert [(p.path, p.message) for p in problems] == [(
        "tables.t.columns.s.pattern",
        "matches strings of up to 10,001 characters; the most a string column allows is 10,000",
    )]
    doc["tables"]["t"]["columns"]["s"]["pattern"] = "[a-z]{1000}" * 10
    assert validate_spec(doc) == []
