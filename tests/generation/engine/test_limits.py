"""Bounded work: inputs that once exhausted or crashed the server are refused by validation, with a path."""

import time

import pytest

from apps.generation.engine import leaves, limits, parse_spec, plan, validate_spec
from apps.generation.engine.patterns import PatternError, compile_pattern, pattern_cost

from .helpers import column, doc_with, generate_table, problem_strings


def problems_at(doc, **kwargs) -> dict[str, str]:
    return {p.path: p.message for p in validate_spec(doc, **kwargs)}


def single(spec: dict, rows=5) -> dict:
    return doc_with({"c": spec}, rows=rows)


# ----------------------------------------------------------------------------- patterns
def test_exploding_pattern_is_refused_from_its_tree_before_any_expansion():
    started = time.process_time()
    found = problems_at(single({"type": "string", "pattern": "(a{0,9}|b{0,9}){0,1000}"}))
    assert time.process_time() - started < 1.0
    assert list(found) == ["tables.t.columns.c.pattern"]
    assert "too complex" in found["tables.t.columns.c.pattern"] or "too large" in found["tables.t.columns.c.pattern"]


@pytest.mark.parametrize("pattern", [
    r"(\w{1000}){10}",  # 660,000 transitions: 2.5 GB of automaton before the cost model
    r"([a-z]{1,1000}){3}",  # variable-length items repeated: every iteration active at once
    r"(a{0,9}|b{0,9}){0,100}",  # under the estimate; the construction's step budget stops it
    "(" * 60 + "a" + ")" * 60,  # the parser recursed once per group
    "[\u0100-\U0010ffff]{2}",  # a class of a million characters
])
def test_costly_patterns_are_refused_quickly(pattern):
    started = time.process_time()
    found = problems_at(single({"type": "string", "pattern": pattern}))
    assert time.process_time() - started < 1.5
    assert "tables.t.columns.c.pattern" in found, found


def test_the_cost_model_reads_the_tree():
    cost = pattern_cost(r"[A-Z]{2}\d{2}[A-Z0-9]{1,30}")
    assert (cost.min_length, cost.max_length) == (5, 34)
    assert cost.size < 2000
    with pytest.raises(PatternError, match="too complex"):
        pattern_cost("(a{0,9}|b{0,9}){0,1000}")


def test_a_document_of_many_costly_patterns_is_bounded_as_a_whole():
    columns = {f"c{i}": {"type": "string", "pattern": f"(a{{0,9}}|b{{0,9}}){{0,{40 + i}}}"} for i in range(30)}
    started = time.process_time()
    found = problems_at(doc_with(columns, rows=5))
    assert time.process_time() - started < 2.0
    assert any("together are too complex" in message for message in found.values()), found


def test_the_pattern_cache_is_bounded_by_size_not_only_count():
    cache = leaves.SizedCache(max_bytes=1000, max_entries=100, size_of=len)
    for i in range(50):
        cache.get_or_make(i, lambda i=i: "x" * 300)
    assert cache.bytes <= 1000 and len(cache.items) == 3
    cache.get_or_make("big", lambda: "x" * 5000)  # larger than the whole cache: returned, never kept
    assert "big" not in cache.items
    pattern = compile_pattern("[a-z]{1000}")
    assert 1_000_000 < pattern.approx_bytes < limits.PATTERN_CACHE_BYTES


def test_long_patterns_still_generate():
    rows = column(single({"type": "string", "pattern": "[a-z]{1000}" * 3, "unique": True}, rows=20), "c")
    assert len(set(rows)) == 20 and all(len(v) == 3000 for v in rows)


# ----------------------------------------------------------------------------- Faker
@pytest.mark.parametrize(("spec", "path", "message"), [
    ({"provider": "pylist", "args": {"nb_elements": 2_000_000, "variable_nb_elements": False}},
     "args.nb_elements", "must be at most 100"),
    ({"provider": "pystr", "args": {"min_chars": 60_000_000, "max_chars": 60_000_000}},
     "args.max_chars", "must be at most 10000"),
    ({"provider": "pystr_format", "args": {"string_format": "{{seed_instance}}"}},
     "provider", "expands format strings"),
    ({"provider": "parse", "args": {"text": "{{__class__}}"}}, "provider", "expands format strings"),
    ({"provider": "binary"}, "provider", "is not one of the allowed providers"),
    ({"provider": "__class__"}, "provider", "is not one of the allowed providers"),
    ({"provider": "sentence", "args": {"ext_word_list": ["a"] * 5}}, "args.ext_word_list", "unknown argument"),
    ({"provider": "pyint", "args": {"min_value": 10**400}}, "args.min_value", "must be at most"),
    ({"provider": "pyint", "args": {"min_value": "1"}}, "args.min_value", "must be an integer"),
    ({"provider": "bothify", "args": {"text": "#" * 5000}}, "args.text", "must have at most 1000 characters"),
])
def test_faker_providers_are_an_allow_list_with_bounded_arguments(spec, path, message):
    found = problems_at(single({"type": "faker", **spec}))
    assert message in found.get(f"tables.t.columns.c.{path}", ""), found


def test_allowed_faker_providers_with_arguments_generate():
    doc = doc_with({"code": {"type": "faker", "provider": "bothify", "args": {"text": "??-####"}},
                    "n": {"type": "faker", "provider": "pyint", "args": {"min_value": 3, "max_value": 5}},
                    "s": {"type": "faker", "provider": "pystr", "args": {"max_chars": 40}},
                    "l": {"type": "faker", "provider": "pylist", "args": {"nb_elements": 3}}}, rows=20)
    rows = generate_table(doc)
    assert all(len(r["code"]) == 7 and 3 <= r["n"] <= 5 and len(r["s"]) <= 40 for r in rows)
    assert all(isinstance(r["l"], list) for r in rows)


def test_every_allowed_provider_works_without_arguments():
    from apps.generation.engine.faker_providers import PROVIDERS

    names = sorted(PROVIDERS)
    for start in range(0, len(names), 4):  # a row of every provider at once would be over the row bound
        doc = doc_with({name: {"type": "faker", "provider": name} for name in names[start:start + 4]}, rows=3)
        # Providers a locale does not have are reported as unknown there, never as a crash.
        found = problems_at(doc)
        assert all("unknown Faker provider" in message for message in found.values()), found
        for path in found:
            del doc["tables"]["t"]["columns"][path.split(".")[3]]
        assert len(generate_table(doc)) == 3


def test_a_document_uses_a_bounded_number_of_faker_locales():
    locales = ["en_US", "de_DE", "fr_FR", "nl_NL", "it_IT", "es_ES", "pt_BR", "ja_JP", "pl_PL", "sv_SE", "da_DK"]
    doc = doc_with({f"c{i}": {"type": "faker", "provider": "city", "locale": locale}
                    for i, locale in enumerate(locales)}, rows=2)
    assert problems_at(doc) == {"tables.t.columns.c10.locale": "a document may use at most 10 Faker locales"}
    del doc["tables"]["t"]["columns"]["c10"]
    assert len(generate_table(doc)) == 2


# ----------------------------------------------------------------------------- templates and sizes
def test_templates_of_templates_are_sized_before_they_expand():
    columns = {"a": {"type": "string", "length": {"min": 100, "max": 100}},
               "b": {"type": "template", "template": "{a}" * 50},
               "c": {"type": "template", "template": "{b}" * 50}}
    found = problems_at(doc_with(columns, rows=5))
    assert "values can be up to" in found.get("tables.t.columns.c", ""), found


def test_nested_arrays_are_sized():
    spec = {"type": "array", "max_length": 1000,
            "of": {"type": "array", "max_length": 1000, "of": {"type": "uuid"}}}
    found = problems_at(single(spec))
    assert "values can be up to" in found["tables.t.columns.c"]


def test_wide_rows_are_refused():
    columns = {f"c{i}": {"type": "string", "length": {"min": 1, "max": 10_000}} for i in range(10)}
    assert "rows can be up to" in problems_at(doc_with(columns, rows=5))["tables.t"]


def test_a_hundred_thousand_columns_are_refused_without_reading_them():
    import json

    columns = {f"c{i}": {"type": "uuid"} for i in range(100_000)}
    started = time.process_time()
    found = problems_at(json.dumps(doc_with(columns, rows=1)))
    assert time.process_time() - started < 2.0
    assert found


def test_shape_limits():
    columns = {f"c{i}": {"type": "uuid"} for i in range(limits.MAX_COLUMNS_PER_TABLE + 1)}
    assert "at most 500" in problems_at(doc_with(columns))["tables.t.columns"]
    tables = {f"t{i}": {"rows": 1, "columns": {"c": {"type": "uuid"}}} for i in range(limits.MAX_TABLES + 1)}
    assert "at most 100" in problems_at({"version": 1, "name": "x", "tables": tables})["tables"]
    yaml_text = "version: 1\nname: x\ntables:\n  t:\n    rows: 1\n    columns:\n      c: {type: choice, values: [" \
        + ", ".join(["a"] * 70_000) + "]}\n"
    started = time.process_time()
    assert "more than 60,000 values" in problems_at(yaml_text)[""]
    assert time.process_time() - started < 1.0


# ----------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(("spec", "path"), [
    ({"type": "float", "min": -1e308, "max": 1e308}, "min"),
    ({"type": "integer", "distribution": {"poisson": {"lam": 1e300}}}, "distribution.poisson.lam"),
    ({"type": "integer", "min": 10**400}, "min"),
    ({"type": "constant", "value": 10**400}, "value"),
    ({"type": "constant", "value": {"deep": [1, 2, 10**30]}}, "value"),
    ({"type": "choice", "values": [1, 10**400]}, "values[1]"),
    ({"type": "choice", "values": ["a", "b"], "weights": [1, 1e300]}, "weights"),
    ({"type": "float", "distribution": {"zipf": {"a": 1.0000001}}}, "distribution.zipf.a"),
    ({"type": "timeseries", "seasonality": {"period": 1e-300}}, "seasonality.period"),
    ({"type": "timeseries", "trend": 1e300}, "trend"),
])
def test_numbers_beyond_what_generation_can_draw_are_refused(spec, path):
    assert f"tables.t.columns.c.{path}" in problems_at(single(spec))


def test_number_bounds_at_the_limit_generate():
    doc = doc_with({"f": {"type": "float", "min": -limits.FLOAT_LIMIT, "max": limits.FLOAT_LIMIT},
                    "p": {"type": "float", "min": 0, "max": limits.FLOAT_LIMIT, "distribution": "poisson"},
                    "i": {"type": "integer", "min": -limits.INT_LIMIT, "max": limits.INT_LIMIT,
                          "distribution": "poisson"},
                    "k": {"type": "constant", "value": limits.INT64_MAX}}, rows=20)
    rows = generate_table(doc)
    assert all(abs(r["f"]) <= limits.FLOAT_LIMIT and r["k"] == limits.INT64_MAX for r in rows)


def test_a_condition_value_beyond_64_bits_is_refused():
    doc = doc_with({"a": {"type": "integer"},
                    "c": {"type": "integer", "when": [{"if": {"column": "a", "op": ">", "value": 10**400},
                                                       "then": {"max": 5}}]}})
    assert "tables.t.columns.c.when[0].if.value" in problems_at(doc)


# ----------------------------------------------------------------------------- when, NUL
def test_a_when_clause_cannot_change_the_kind_of_values():
    doc = doc_with({"a": {"type": "integer"},
                    "c": {"type": "choice", "values": ["x", "y"],
                          "when": [{"if": {"column": "a", "op": ">", "value": 5}, "then": {"values": [1, 2]}}]}})
    assert "cannot change the kind" in problems_at(doc)["tables.t.columns.c.when[0].then"]
    doc["tables"]["t"]["columns"]["c"]["when"][0]["then"]["values"] = ["p", "q"]
    assert {r["c"] for r in generate_table(doc)} <= {"x", "y", "p", "q"}


@pytest.mark.parametrize(("spec", "path"), [
    ({"type": "constant", "value": "a\x00b"}, "tables.t.columns.c.value"),
    ({"type": "choice", "values": ["ok", "n\x00l"]}, "tables.t.columns.c.values[1]"),
    ({"type": "string", "pattern": "a\x00b"}, "tables.t.columns.c.pattern"),
    ({"type": "string", "alphabet": "ab\x00"}, "tables.t.columns.c.alphabet"),
    ({"type": "template", "template": "x\x00{a}"}, "tables.t.columns.c.template"),
    ({"type": "faker", "provider": "bothify", "args": {"text": "#\x00"}}, "tables.t.columns.c.args.text"),
    ({"type": "uuid", "description": "\x00"}, "tables.t.columns.c.description"),
    ({"type": "constant", "value": "\ud800"}, "tables.t.columns.c.value"),
])
def test_nul_characters_and_lone_surrogates_are_refused_where_text_enters(spec, path):
    found = problems_at(doc_with({"a": {"type": "integer"}, "c": spec}))
    assert path in found and ("NUL" in found[path] or "surrogate" in found[path]), found


def test_nul_in_a_key_is_refused():
    doc = doc_with({"a": {"type": "integer"}})
    doc["tables"]["t"]["columns"]["a\x00"] = {"type": "uuid"}
    assert any("NUL" in message for message in problems_at(doc).values())


# ----------------------------------------------------------------------------- rows and time
def test_per_parent_counts_count_against_the_quota_before_generation():
    doc = {"version": 1, "name": "q", "tables": {
        "a": {"rows": 10, "primary_key": "id", "columns": {"id": {"type": "sequence"}}},
        "b": {"rows": {"per": "a_id", "min": 1000, "max": 1000},
              "columns": {"a_id": {"type": "reference", "table": "a"}}}}}
    found = problems_at(doc, max_rows=5000)
    assert "above the limit of 5000" in found["tables.b.rows"]
    assert validate_spec(doc, max_rows=10_010) == []
    doc["tables"]["b"]["rows"]["max"] = 10**30
    assert "tables.b.rows.max" in problems_at(doc)


def test_series_time_stays_before_year_10000():
    found = problems_at(single({"type": "series_time", "start": "9999-12-31T00:00:00", "step": "1d"}))
    assert "outside the supported range" in found["tables.t.columns.c.start"]
    found = problems_at(single({"type": "series_time", "start": "9999-01-01T00:00:00", "step": "1w"}, rows=100))
    assert "the series passes 9999-12-30T23:59:59Z" in found["tables.t.columns.c"]
    doc = single({"type": "series_time", "start": "9999-01-01T00:00:00", "step": "1w"}, rows=50)
    assert column(doc, "c")[-1] < "9999-12-31"
    with pytest.raises(Exception, match="the series passes"):
        plan(parse_spec(doc), rows_scale=2)


@pytest.mark.parametrize(("spec", "path"), [
    ({"type": "datetime", "start": "9999-12-31T23:00:00", "end": "9999-12-31T23:59:59"}, "start"),
    ({"type": "datetime", "start": "0001-01-01T05:00:00+10:00"}, "start"),
    ({"type": "datetime", "end": "+999999y"}, "end"),
    ({"type": "date", "end": "+9000y"}, "end"),
])
def test_dates_stay_within_years_1_to_9999_after_every_offset(spec, path):
    assert f"tables.t.columns.c.{path}" in problems_at(single(spec))


def test_datetimes_at_the_edges_generate_in_any_time_zone():
    doc = doc_with({"c": {"type": "datetime", "start": "9999-12-29T00:00:00Z", "end": "9999-12-30T23:59:59Z",
                          "timezone": "Pacific/Kiritimati"},
                    "d": {"type": "datetime", "start": "0001-01-02T00:00:00Z", "end": "0001-01-03T00:00:00Z",
                          "timezone": "America/Adak"}}, rows=50)
    assert len(generate_table(doc)) == 50


def test_problem_strings_never_report_a_validator_crash():
    for spec in ({"type": "float", "min": 10**400}, {"type": "integer", "max": 10**400},
                 {"type": "choice", "values": [10**400]}):
        assert not any("could not be validated" in p for p in problem_strings(single(spec)))
