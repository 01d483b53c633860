"""Anything validation accepts, preview and the worker can generate and the database can store.

Hypothesis builds documents from every column type with parameters drawn from ordinary, extreme and
hostile values (limits and just past them, 400-digit numbers, +-1e308, NaN, NUL, lone surrogates,
exploding patterns and templates, Faker arguments and format strings). For each one validation either
lists problems (never a validator crash), or the rows of every table are generated as preview does,
serialised as strict JSON (as the API renders them), and written to the records table through the
persistence service on the current database (JSONB on PostgreSQL).
"""

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from apps.generation.engine import Problem, generate_chunk, limits, parse_spec, plan, validate_spec

pytestmark = [pytest.mark.properties, pytest.mark.django_db]

PREVIEW_ROWS = 5



# How hostile one document is, shared by all its draws: a document has many parameters and one extreme value
# is enough to refuse it, so some documents are mostly ordinary (and reach generation) and others are not.
HOSTILITY = st.shared(st.sampled_from([1, 3, 10, 100]), key="hostility")


def mostly(ordinary, extreme, one_in: int = 1):
    """`ordinary` values, and about one time in (`one_in` x the document's hostility) an `extreme` one."""
    # An interior value marks the extreme draw: Hypothesis favours the ends of an integer range.
    return HOSTILITY.flatmap(lambda h: st.integers(0, 2 + 2 * one_in * h).flatmap(
        lambda k: extreme if k == 1 + one_in * h else ordinary))


# -- scalar values: ordinary ones, the limits, just past them, and values that broke generation once
INTS = mostly(
    st.integers(-1000, 1000),
    st.sampled_from([0, 1, -1, 2**31, limits.INT_LIMIT, -limits.INT_LIMIT, limits.INT_LIMIT + 1, limits.INT64_MAX,
                     2**63, -(2**63) - 1, 10**400, limits.MAX_TABLE_ROWS + 1]),
)
FLOATS = mostly(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([0.0, 1e-300, -1e-300, 1e-9, 1e15, limits.FLOAT_LIMIT, -limits.FLOAT_LIMIT, 1e19, 1e300,
                     -1e308, 1e308, float("inf"), float("-inf"), float("nan"), 1.0000001]),
)
NUMBERS = st.one_of(INTS, FLOATS)
TEXTS = mostly(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["", "a\x00b", "\ud800", "x" * (limits.MAX_STRING_LENGTH + 1), "{{seed_instance}}",
                     "{{__class__}}", "\n\t\"\\\v", "é€𝄞ﷺ", "##-??", "%d %s {0}"]),
)
LITERALS = st.recursive(st.one_of(st.none(), st.booleans(), NUMBERS, TEXTS),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                     max_size=3),
                        max_leaves=8)
PATTERNS = mostly(st.sampled_from([
    "[A-Z]{2}\\d{4}", "(ab|a)b?", "[a-z]{1,8}@[a-z]{2,5}\\.(com|org)", "[a-z]{1000}" * 3, "\\v\\t[\x01-\x1f]{3}",
    "\"[\\\\]{2}", "(x|y){0,40}",
]), st.sampled_from([
    "(a{0,9}|b{0,9}){0,1000}", "(a{0,9}|b{0,9}){0,100}", "(\\w{1000}){10}", "x{0,1001}", "a\x00",
    "[\\u0100-\\U0010ffff]{3}", "(" * 60 + "a" + ")" * 60, "a*", ".", "[b-a]",
]), one_in=1)
MOMENTS = mostly(st.sampled_from([
    "today", "now", "-2y", "+30d", "-6h", "2020-01-01", "2020-01-01T10:00:00", "9999-12-30T00:00:00Z",
    "0001-01-02T00:00:00Z", "12:30:00",
]), st.sampled_from([
    "+999999d", "-999999y", "+9000y", "9999-12-31", "9999-12-31T23:59:59", "0001-01-01",
    "0001-01-01T05:00:00+10:00", "25:00", "soon",
]))
PARAMETERS = {"normal": ["mean", "std"], "lognormal": ["mean", "sigma"], "exponential": ["scale"],
              "poisson": ["lam"], "zipf": ["a"]}
DISTRIBUTIONS = st.one_of(
    st.sampled_from([None, "uniform", "normal", "lognormal", "exponential", "poisson", "zipf"]),
    st.sampled_from(sorted(PARAMETERS)).flatmap(lambda name: st.dictionaries(
        mostly(st.sampled_from(PARAMETERS[name]), st.just("bogus"), one_in=10), NUMBERS, max_size=2).map(
        lambda params: {name: params})),
)
SMALL = mostly(st.integers(0, 6), INTS, one_in=2)
PROBABILITY = mostly(st.floats(0, 1), NUMBERS, one_in=2)
FAKER_PROVIDERS = mostly(st.sampled_from([
    "name", "first_name", "email", "city", "company", "pyint", "pyfloat", "pystr", "pylist", "pydict", "bothify",
    "numerify", "sentence", "paragraphs", "text", "password", "date_time", "date_of_birth", "random_number",
    "uuid4", "md5", "user_name", "address",
]), st.sampled_from(["pystr_format", "parse", "format", "binary", "seed_instance", "__class__", "nope"]))
FAKER_ARGS = st.dictionaries(
    st.sampled_from(["min_value", "max_value", "step", "max_chars", "min_chars", "prefix", "nb_elements", "text",
                     "letters", "nb", "nb_words", "max_nb_chars", "length", "digits", "left_digits",
                     "right_digits", "value_types", "string_format", "bogus"]),
    st.one_of(INTS, TEXTS, st.booleans()), max_size=2)


def _common(draw, spec: dict) -> dict:
    if draw(st.integers(0, 5)) == 0:
        spec["null_ratio"] = draw(PROBABILITY)
    return spec


@st.composite
def leaf_spec(draw, row_columns: tuple[str, ...] = ()) -> dict:
    """A column spec that does not read the row (usable in arrays and objects too)."""
    kind = draw(st.sampled_from(["sequence", "integer", "float", "boolean", "choice", "string", "uuid", "date",
                                 "datetime", "time", "faker", "constant", "vin", "credit_card", "iban"]))
    spec: dict = {"type": kind}
    if kind == "sequence":
        spec.update(start=draw(INTS), step=draw(INTS))
    elif kind in ("integer", "float"):
        reader = INTS if kind == "integer" else NUMBERS
        if draw(st.booleans()):
            spec["min"] = draw(reader)
        if draw(st.booleans()):
            spec["max"] = draw(reader)
        spec["distribution"] = draw(DISTRIBUTIONS)
        if kind == "float" and draw(st.booleans()):
            spec["precision"] = draw(st.integers(-1, 13))
    elif kind == "boolean":
        spec["probability"] = draw(PROBABILITY)
    elif kind == "choice":
        spec["values"] = draw(st.lists(st.one_of(NUMBERS, TEXTS, st.booleans()), min_size=1, max_size=4))
        if draw(st.booleans()):
            spec["weights"] = draw(st.lists(NUMBERS, min_size=len(spec["values"]), max_size=len(spec["values"])))
    elif kind == "string":
        if draw(st.booleans()):
            spec["pattern"] = draw(PATTERNS)
        else:
            spec["length"] = {"min": draw(SMALL), "max": draw(SMALL.map(lambda n: n * 5))}
            if draw(st.booleans()):
                spec["alphabet"] = draw(TEXTS)
    elif kind in ("date", "datetime", "time"):
        if draw(st.booleans()):
            spec["start"] = draw(MOMENTS)
        if draw(st.booleans()):
            spec["end"] = draw(MOMENTS)
        if draw(st.booleans()):
            spec["timezone"] = draw(st.sampled_from(["UTC", "Pacific/Kiritimati", "America/Adak", "Mars/Olympus"]))
        spec["distribution"] = draw(DISTRIBUTIONS)
    elif kind == "faker":
        spec["provider"] = draw(FAKER_PROVIDERS)
        spec["args"] = draw(FAKER_ARGS)
    elif kind == "constant":
        spec["value"] = draw(LITERALS)
    return _common(draw, spec)


@st.composite
def column_spec(draw, others: tuple[str, ...], depth: int = 0) -> dict:
    row_bound = ["template", "expression", "timeseries", "series_time"]
    kind = draw(st.sampled_from(["leaf", "leaf", "leaf", "array", "object"] + (row_bound if depth == 0 else [])))
    if depth and draw(st.integers(0, 9)) == 0:
        kind = draw(st.sampled_from(row_bound))  # refused inside arrays and objects
    if kind == "leaf" or depth > 2 and kind in ("array", "object"):
        spec = draw(leaf_spec())
    elif kind == "array":
        spec = {"type": "array", "of": draw(column_spec(others, depth + 1)),
                "min_length": draw(SMALL.map(lambda n: n // 2)), "max_length": draw(SMALL),
                "unique_items": draw(st.booleans())}
    elif kind == "object":
        spec = {"type": "object", "fields": {f"f{i}": draw(column_spec(others, depth + 1))
                                             for i in range(draw(st.integers(1, 3)))}}
    elif kind == "template":
        pieces = draw(st.lists(st.one_of(TEXTS.map(lambda t: t.replace("{", "{{").replace("}", "}}")),
                                         st.sampled_from(others).map(lambda c: "{" + c + "}") if others else TEXTS),
                               min_size=1, max_size=4))
        repeat = draw(st.sampled_from([1, 1, 2, 300]))
        spec = {"type": "template", "template": "".join(pieces) * repeat,
                "upper": draw(st.booleans()), "slug": draw(st.booleans())}
    elif kind == "expression":
        names = [n for n in others if n.startswith("n")] or ["1"]
        spec = {"type": "expression", "expr": draw(st.sampled_from([f"{names[0]} * 2 + 1", f"{names[0]} / 0",
                                                                   f"{names[0]} ** 400", "1e308 * 10"]))}
    elif kind == "timeseries":
        spread = mostly(st.floats(0, 100), NUMBERS, one_in=2)
        spec = {"type": "timeseries", "base": draw(NUMBERS), "trend": draw(NUMBERS), "noise": draw(spread),
                "walk": draw(spread)}
        if draw(st.booleans()):
            spec["seasonality"] = {"amplitude": draw(NUMBERS), "period": draw(NUMBERS)}
    else:
        step = mostly(st.sampled_from(["1s", "1h", "1d", "1w"]), st.sampled_from(["999999999w", "0s", "1y"]))
        spec = {"type": "series_time", "start": draw(MOMENTS), "step": draw(step)}
    if depth == 0 and draw(st.integers(0, 4)) == 0 and others:
        then_keys = {"integer": ("max", INTS), "float": ("max", NUMBERS), "choice": ("values", st.lists(
            st.one_of(NUMBERS, TEXTS), min_size=1, max_size=2)), "faker": ("provider", FAKER_PROVIDERS),
            "string": ("pattern", PATTERNS), "constant": ("value", LITERALS)}.get(spec["type"])
        if then_keys:
            key, values = then_keys
            spec["when"] = [{"if": {"column": others[0], "op": draw(st.sampled_from(["==", ">", "in"])),
                                    "value": draw(st.one_of(NUMBERS, st.lists(NUMBERS, max_size=2)))},
                             "then": {key: draw(values)}}]
    return spec


# Version 1.1: bounds from other columns, typed expressions and national ids, ordinary and hostile (huge
# durations, dates pushed past 9999, deep nesting, type mismatches, reads of unknown columns and of themselves).
BOUND_TEXTS = mostly(st.sampled_from([
    "d0", "d0 + 16y", "d0 + 1mo - 1d", "max(d0 + 1y, -2y)", "min(today, d0 + 10y)", "d0 + 6h", "p0.d0 + 1d",
]), st.sampled_from([
    "d0 + 999999y", "d0 - 999999y", "d0 + 1000000y", "max(" * 60 + "d0" + ", d0)" * 60, "n0", "nope + 1d",
    "b0 + 1d", "d0 +", "__import__('os')", "d0 * 2", "2020-13-45",
]))
NUMBER_BOUND_TEXTS = mostly(st.sampled_from(["n0", "n0 + 10", "n0 * 3", "max(n0, 5)"]),
                            st.sampled_from(["n0 * 4611686018427387904", "d0", "n0 / 0", "1e308 * 10", "b0"]))
TYPED_EXPRESSIONS = mostly(st.sampled_from([
    "years_between(d0, today)", "d0 + 30", "add_months(d0, n0)", "d0 < today and n0 > 5", "where(n0 > 50, d0, today)",
    "n0 + normal(0, 1)", "randint(0, n0)", "bernoulli(0.3)", "year(d0) - 2000",
]), st.sampled_from([
    "add_months(d0, n0 * 4611686018427387904)", "d0 + n0 * 99999999", "normal(0, -1)", "randint(n0, 0)",
    "d0 - 999999y", "d0 + d0", "year(n0)", "uniform(1e308, -1e308)",
]))


NATIONAL_ID_SCHEMES = mostly(st.sampled_from([
    "nl_bsn", "de_steuer_id", "fr_nir", "es_dni", "it_codice_fiscale", "se_personnummer", "fi_hetu", "us_ssn",
    "uk_nino", "dk_cpr",
]), st.sampled_from(["xx_id", "", 7, None, "NL_BSN"]), one_in=4)


@st.composite
def version_1_1_columns(draw) -> dict:
    kind = draw(st.sampled_from(["date", "datetime", "integer", "float"]))
    texts = BOUND_TEXTS if kind in ("date", "datetime") else NUMBER_BOUND_TEXTS
    low, high = ("start", "end") if kind in ("date", "datetime") else ("min", "max")
    bounded = {"type": kind, low: draw(texts), high: draw(texts),
               "on_empty": draw(mostly(st.sampled_from(["clamp", "null"]), st.sampled_from(["skip", 5])))}
    if draw(st.booleans()):
        bounded["distribution"] = draw(DISTRIBUTIONS)
    national = {"type": "national_id", "scheme": draw(NATIONAL_ID_SCHEMES), "unique": draw(st.booleans())}
    if draw(st.booleans()):
        national["birth_date"] = draw(mostly(st.just("d0"), st.sampled_from(["n0", "s0", "nope", "i0", 5]), one_in=4))
    if draw(st.booleans()):
        national["sex"] = draw(mostly(st.just("s0"), st.sampled_from(["n0", "d0", "nope", "i0"]), one_in=4))
    if draw(st.booleans()):
        national["invalid_ratio"] = draw(PROBABILITY)
    return {"d0": {"type": "date", "start": "-80y", "end": "today"}, "b0": _common(draw, bounded),
            "e0": {"type": "expression", "expr": draw(TYPED_EXPRESSIONS)},
            "s0": {"type": "choice", "values": draw(mostly(st.just(["F", "M"]), st.just(["F", "X"]), one_in=4))},
            "i0": _common(draw, national)}


@st.composite
def documents(draw) -> tuple[dict, int | None]:
    columns: dict = {"n0": {"type": "integer", "min": 0, "max": 100}}
    for i in range(draw(st.integers(1, 5))):
        columns[f"c{i}"] = draw(column_spec(tuple(columns)))
    version = draw(st.sampled_from([1, 1, 1.1]))
    if version == 1.1:
        columns.update(draw(version_1_1_columns()))
    child_columns = {"p": {"type": "reference", "table": "parent"},
                     "v": draw(column_spec(("p",)))}
    rows = draw(mostly(st.integers(0, 30), st.sampled_from([limits.MAX_TABLE_ROWS + 1, 10**400, -1]), one_in=3))
    child_rows = draw(st.one_of(
        st.integers(0, 20),
        st.builds(lambda low, high: {"per": "p", "min": low, "max": high},
                  st.integers(0, 3), mostly(st.integers(3, 5), st.sampled_from([10**6, 10**12, 10**30])))))
    doc = {"version": version, "name": "prop", "seed": draw(st.integers(0, 2**63 - 1)), "tables": {
        "parent": {"rows": rows, "primary_key": "id", "columns": {"id": {"type": "sequence"}, **columns}},
        "child": {"rows": child_rows, "columns": child_columns}}}
    return doc, draw(st.sampled_from([None, 1000, 100_000]))


def _issue_case(spec: dict, rows=5, quota=None, extra=None, **tables) -> tuple[dict, int | None]:
    doc = {"version": 1, "name": "issue", "seed": 3, "tables": {
        "parent": {"rows": rows, "primary_key": "id", "columns": {"id": {"type": "sequence"},
                                                                  "n0": {"type": "integer"}, **(extra or {}),
                                                                  "c": spec}},
        **tables}}
    return doc, quota


# The inputs that validated and then crashed preview or the worker, always run before the drawn ones.
ISSUE_CASES = [
    _issue_case({"type": "float", "min": -1e308, "max": 1e308}),
    _issue_case({"type": "integer", "distribution": {"poisson": {"lam": 1e300}}}),
    _issue_case({"type": "constant", "value": int("9" * 400)}),
    _issue_case({"type": "choice", "values": ["x", "y"], "when": [
        {"if": {"column": "n0", "op": ">", "value": 500}, "then": {"values": [1, 2]}}]}),
    _issue_case({"type": "constant", "value": "nul\x00here"}),
    _issue_case({"type": "choice", "values": ["a\x00", "b"]}),
    _issue_case({"type": "template", "template": "x\x00{n0}"}),
    _issue_case({"type": "series_time", "start": "9999-12-25T00:00:00", "step": "1d"}, rows=30),
    _issue_case({"type": "uuid"}, rows=100, quota=1000, child={
        "rows": {"per": "p", "min": 50, "max": 50}, "columns": {"p": {"type": "reference", "table": "parent"}}}),
    _issue_case({"type": "template", "template": "{t}" * 300, "upper": True},
                extra={"t": {"type": "template", "template": "{n0}" * 300}}),
    _issue_case({"type": "faker", "provider": "pystr_format", "args": {"string_format": "{{seed_instance}}"}}),
    _issue_case({"type": "datetime", "start": "9999-12-31T00:00:00", "end": "9999-12-31T23:59:59",
                 "timezone": "Pacific/Kiritimati"}),
    # Accepted near the limits (from REFUSED_ISSUE_CASES on): these must generate and store.
    _issue_case({"type": "float", "min": -limits.FLOAT_LIMIT, "max": limits.FLOAT_LIMIT, "distribution": "poisson"}),
    _issue_case({"type": "series_time", "start": "9999-12-25T00:00:00", "step": "1h"}, rows=30),
    _issue_case({"type": "constant", "value": {"max": limits.INT64_MAX, "text": "\t\"é€𝄞\v"}}),
]

REFUSED_ISSUE_CASES = 12


@pytest.fixture
def version_id(make_tenant, make_dataset):
    from apps.datasets import services

    tenant, users = make_tenant("props")
    version, _ = services.version_create(dataset=make_dataset(tenant, users["owner"]), actor=None)
    return version.pk


@settings(max_examples=200, deadline=5000, derandomize=True, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(documents())
def test_what_validation_accepts_generates_and_stores(version_id, case):
    event("accepted" if _check(version_id, case) else "refused")


@pytest.mark.parametrize("index", range(len(ISSUE_CASES)))
def test_the_reported_inputs_are_refused_or_stored(version_id, index):
    assert _check(version_id, ISSUE_CASES[index]) == (index >= REFUSED_ISSUE_CASES)


def _check(version_id, case) -> bool:
    """True when the document was accepted (and its rows generated and stored), False when refused."""
    from apps.datasets.persistence import records_write_chunk

    doc, quota = case
    problems = validate_spec(doc, max_rows=quota)
    assert all(isinstance(p, Problem) for p in problems)
    assert not any("could not be validated" in p.message for p in problems), problems
    if problems:
        return False
    engine_plan = plan(parse_spec(doc, max_rows=quota), seed=doc["seed"])
    for table in engine_plan.table_order:
        stop = min(PREVIEW_ROWS, engine_plan.row_counts[table])
        batch = generate_chunk(engine_plan, table, 0, stop)
        # Preview: the API renders rows as strict JSON (no NaN or infinity).
        json.dumps(list(batch.rows()), allow_nan=False)
        # Worker: the rows' JSON goes into the records table through the persistence service.
        assert records_write_chunk(version_id=version_id, table=table, start=0, stop=stop,
                                   batches=[batch.json_rows()]) == stop
    return True
