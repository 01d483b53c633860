"""The masking engine's promises: deterministic per key, formats and check digits kept, joins and uniqueness
kept, and no original value anywhere in what it gives back."""

from __future__ import annotations

import datetime
import json
import logging
import re

import pytest

from apps.masking.engine import MaskingError, MaskingRun, RulesError, parse_rules

from . import data


def mask_all(rules_text=data.RULES, key=data.KEY, chunk=None, tables=None):
    rules = parse_rules(rules_text)
    tables = tables or source()
    run = MaskingRun(rules, key)
    out = {}
    for name in rules.table_order():
        table = tables[name]
        masker = run.table(name, list(table))
        rows = len(next(iter(table.values())))
        size = chunk or rows
        parts = [masker.mask({c: v[i:i + size] for c, v in table.items()}) for i in range(0, rows, size)]
        out[name] = {c: [x for p in parts for x in p[c]] for c in table}
    return out


def source():
    customers = data.customers()
    return {"customers": customers, "orders": data.orders(customers["id"])}


# ---------------------------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_same_input_same_output_whatever_the_chunks(chunk):
    assert mask_all(chunk=chunk) == mask_all()


def test_same_input_same_output_across_runs_and_tables():
    first, second = mask_all(), mask_all()
    assert first == second
    # The same rule in another table masks the same value alike (the column name is not part of the function).
    rules = parse_rules("""
tables:
  a: {columns: {v: {rule: format_preserving, format: iban}, n: {rule: fake, provider: name},
                h: {rule: hash, length: 20}, d: {type: date, rule: shift_date, days: 9}}}
  b: {columns: {w: {rule: format_preserving, format: iban}, m: {rule: fake, provider: name},
                g: {rule: hash, length: 20}, e: {type: date, rule: shift_date, days: 9}}}
""")
    run = MaskingRun(rules, data.KEY)
    values = ["NL91ABNA0417164300"], ["Jan Jansen"], ["x"], ["2020-02-02"]
    a = run.table("a", ["v", "n", "h", "d"]).mask(dict(zip(["v", "n", "h", "d"], values, strict=True)))
    b = run.table("b", ["w", "m", "g", "e"]).mask(dict(zip(["w", "m", "g", "e"], values, strict=True)))
    assert list(a.values()) == list(b.values())


def test_a_different_key_gives_different_outputs():
    one, two = mask_all(), mask_all(key=data.OTHER_KEY)
    for column in ("id", "name", "phone", "iban", "card", "vin", "bsn", "born", "code", "note"):
        same = sum(a == b for a, b in zip(one["customers"][column], two["customers"][column], strict=True))
        assert same < len(one["customers"][column]) * 0.1, column


def test_equal_inputs_in_one_column_get_equal_outputs():
    table = source()
    customers = table["customers"]
    customers["iban"][1] = customers["iban"][0]
    customers["name"][1] = customers["name"][0]
    out = mask_all(tables=table)["customers"]
    assert out["iban"][0] == out["iban"][1]
    assert out["name"][0] == out["name"][1]


# ---------------------------------------------------------------------------------------------- formats
def test_formats_and_check_digits_are_valid():
    src = source()["customers"]
    out = mask_all()["customers"]
    for before, after in zip(src["iban"], out["iban"], strict=True):
        assert data.iban_ok(after) and after[:2] == before[:2]
        assert [c == " " for c in after] == [c == " " for c in before]
    for before, after in zip(src["card"], out["card"], strict=True):
        assert data.luhn_ok(after) and len(after) == len(before) and after[0] == before[0]
        assert re.sub(r"\d", "9", after) == re.sub(r"\d", "9", before)
    assert all(data.vin_ok(v) for v in out["vin"])
    assert all(data.bsn_ok(v) for v in out["bsn"])
    for before, after in zip(src["phone"], out["phone"], strict=True):
        assert re.sub(r"\d", "9", after) == re.sub(r"\d", "9", before)
    for before, after in zip(src["id"], out["id"], strict=True):
        assert len(str(after)) == len(before)
    assert all(re.fullmatch(r"[a-z0-9.]+@example\.com", e) for e in out["email"])
    assert all(len(c) == 12 and re.fullmatch(r"[0-9a-f]+", c) for c in out["code"])
    assert all(s % 1000 == 0 for s in out["salary"])


def test_letters_stay_letters_in_their_case_and_separators_stay():
    rules = parse_rules("tables: {t: {columns: {v: {rule: format_preserving}}}}")
    value = "AB-12/cd ef.9 Ünïcode"
    [masked] = MaskingRun(rules, data.KEY).table("t", ["v"]).mask({"v": [value]})["v"]
    assert len(masked) == len(value)
    for a, b in zip(value, masked, strict=True):
        assert a.isdigit() == b.isdigit() and a.isalpha() == b.isalpha()
        if a.isascii() and a.isalpha():
            assert a.isupper() == b.isupper()
        if not a.isalnum():
            assert a == b


def test_dates_of_one_entity_move_together_within_the_bound():
    src = source()
    out = mask_all()
    born = dict(zip(src["customers"]["id"], src["customers"]["born"], strict=True))
    shifts_by_customer: dict[str, set] = {}
    for cid, before, after in zip(src["orders"]["customer_id"], src["orders"]["placed"], out["orders"]["placed"],
                                  strict=True):
        shift = (after - datetime.date.fromisoformat(before)).days
        assert 1 <= abs(shift) <= 60
        shifts_by_customer.setdefault(cid, set()).add(shift)
    for cid, shifts in shifts_by_customer.items():
        assert len(shifts) == 1
        index = src["customers"]["id"].index(cid)
        birth_shift = (out["customers"]["born"][index] - datetime.date.fromisoformat(born[cid])).days
        assert shifts == {birth_shift}, "the customer's birth date and orders move by the same days"


def test_generalise_dates_to_month_and_year():
    rules = parse_rules("tables: {t: {columns: {m: {type: date, rule: generalise, to: month},"
                        " y: {type: datetime, rule: generalise, to: year}}}}")
    out = MaskingRun(rules, data.KEY).table("t", ["m", "y"]).mask(
        {"m": ["2021-07-19", None], "y": ["2021-07-19T10:11:12", "1999-12-31T23:59:59"]})
    assert out["m"] == [datetime.date(2021, 7, 1), None]
    assert out["y"] == [datetime.datetime(2021, 1, 1), datetime.datetime(1999, 1, 1)]


def test_keep_null_constant_and_hash_formats():
    rules = parse_rules("""
tables: {t: {columns: {k: keep, n: "null", c: {rule: constant, value: REDACTED},
  d: {rule: hash, format: digits, length: 8}, b: {rule: hash, format: base32, length: 10, prefix: "u-"},
  i: {type: integer, rule: hash, format: digits, length: 6}}}}""")
    out = MaskingRun(rules, data.KEY).table("t", list("kncdbi")).mask(
        {"k": ["a"], "n": ["b"], "c": ["c"], "d": ["d"], "b": ["e"], "i": ["42"]})
    assert out["k"] == ["a"] and out["n"] == [None] and out["c"] == ["REDACTED"]
    assert re.fullmatch(r"\d{8}", out["d"][0]) and re.fullmatch(r"u-[a-z2-7]{10}", out["b"][0])
    assert isinstance(out["i"][0], int) and out["i"][0] < 10**6


def test_nulls_stay_null():
    table = source()
    for column in ("name", "iban", "phone", "born", "note"):
        table["customers"][column][3] = None
    out = mask_all(tables=table)["customers"]
    assert all(out[column][3] is None for column in ("name", "iban", "phone", "born", "note", "email"))


def test_redact_text_replaces_pii_in_place_and_keeps_the_rest():
    src = source()["customers"]
    out = mask_all()["customers"]
    for before, after in zip(src["note"], out["note"], strict=True):
        assert after.startswith("Called +") and ", wrote to " in after and "; refund to " in after
        iban = after.rsplit(" ", 1)[1]
        assert data.iban_ok(iban) and iban != before.rsplit(" ", 1)[1]


# ---------------------------------------------------------------------------------------------- keys, unique
def test_foreign_keys_still_join_after_masking():
    src, out = source(), mask_all()
    original_row = {cid: i for i, cid in enumerate(src["customers"]["id"])}
    masked_row = {cid: i for i, cid in enumerate(out["customers"]["id"])}
    assert len(masked_row) == len(original_row)
    for before, after in zip(src["orders"]["customer_id"], out["orders"]["customer_id"], strict=True):
        assert masked_row[after] == original_row[before]


def test_unique_columns_stay_unique_with_collisions_resolved_deterministically():
    rules_text = """
tables:
  people:
    columns:
      code: {rule: hash, length: 4, unique: true}
      pin: {rule: format_preserving, unique: true}
      name: {rule: fake, provider: last_name}
      email: {rule: derive, template: "{name}@example.com", slug: true, unique: true}
  visits:
    columns:
      person: {references: people.code}
"""
    people = {"code": [f"p{i}" for i in range(3000)], "pin": [f"{i:04d}" for i in range(3000)],
              "name": [f"n{i}" for i in range(3000)], "email": ["x"] * 3000}
    visits = {"person": [f"p{i}" for i in range(0, 3000, 3)]}
    out = mask_all(rules_text, tables={"people": people, "visits": visits})
    chunked = mask_all(rules_text, tables={"people": people, "visits": visits}, chunk=250)
    assert out == chunked
    for column in ("code", "pin", "email"):
        assert len(set(out["people"][column])) == 3000, column
    # Hash length 4 over 3,000 values collides: the re-masked ones are still followed by the foreign key.
    masked_code = dict(zip(people["code"], out["people"]["code"], strict=True))
    assert out["visits"]["person"] == [masked_code[p] for p in visits["person"]]
    assert all(re.fullmatch(r"\d{4}", pin) for pin in out["people"]["pin"])


# ---------------------------------------------------------------------------------------------- no leaks
def test_no_original_pii_value_anywhere_in_the_output_or_logs(caplog):
    src = source()
    with caplog.at_level(logging.DEBUG):
        out = mask_all()
    text = json.dumps(out, default=str)
    originals = data.pii_values(src["customers"])
    leaked = [value for value in originals if value in text]
    assert leaked == []
    assert not [value for value in originals if value in caplog.text]


def test_an_unmaskable_value_names_row_and_column_but_not_the_value():
    rules = parse_rules("tables: {t: {columns: {v: {type: integer, rule: format_preserving}}}}")
    with pytest.raises(MaskingError) as caught:
        MaskingRun(rules, data.KEY).table("t", ["v"]).mask({"v": ["12", "secret-4711"]})
    assert "secret" not in str(caught.value) and "4711" not in str(caught.value)
    assert caught.value.problems[0].path == "tables.t.columns.v" and "row 2" in str(caught.value)


# ---------------------------------------------------------------------------------------------- validation
def paths(text, source_columns=None):
    with pytest.raises(RulesError) as caught:
        rules = parse_rules(text)
        if source_columns is not None:
            rules.check_source(source_columns)
    return {problem.path: problem.message for problem in caught.value.problems}


def test_bad_rules_are_refused_with_paths():
    found = paths("""
tables:
  t:
    columns:
      a: {rule: shift_date, days: 3}
      b: {type: integer, rule: fake, provider: name}
      c: {rule: teleport}
      d: {rule: hash, length: 1000}
      e: {rule: fake, provider: nope}
      f: {rule: derive, template: "{missing}"}
      g: {rule: generalise}
      h: {rule: keep, unique: true}
""")
    assert "cannot mask a string column" in found["tables.t.columns.a.rule"]
    assert "cannot mask a integer column" in found["tables.t.columns.b.rule"]
    assert "tables.t.columns.c.rule" in found
    assert "tables.t.columns.d.length" in found
    assert "tables.t.columns.e.provider" in found
    assert "no such column" in found["tables.t.columns.f.template"]
    assert "tables.t.columns.g.rule" in found
    assert "tables.t.columns.h.unique" in found


def test_a_kept_key_with_a_masked_foreign_key_is_refused():
    found = paths("""
tables:
  customers: {columns: {id: {type: integer, rule: keep}}}
  orders: {columns: {customer_id: {type: integer, rule: hash, format: digits, length: 10,
                                   references: customers.id}}}
""")
    message = found["tables.customers.columns.id.rule"]
    assert "left unmasked while its foreign key orders.customer_id is masked" in message


def test_a_foreign_key_with_another_rule_than_its_key_is_refused():
    found = paths("""
tables:
  customers: {columns: {id: {type: integer, rule: format_preserving}}}
  orders: {columns: {customer_id: {type: integer, rule: hash, format: digits, length: 10,
                                   references: customers.id}, x: {references: nowhere.id}}}
""")
    assert "tables.orders.columns.customer_id.rule" in found
    assert "tables.orders.columns.x.references" in found


def test_unknown_columns_and_tables_against_the_source():
    found = paths("tables: {t: {columns: {a: keep, ghost: keep}}, u: {columns: {b: keep}}}",
                  {"t": ["a", "unruled"], "v": ["c"]})
    assert found["tables.t.columns.ghost"].startswith("unknown column")
    assert "tables.u" not in found  # the document may cover more tables than this source has
    assert "no rule" in found["tables.t.columns.unruled"]
    assert "no rules" in found["tables.v"]
    # `unlisted: keep` lets unlisted columns and tables through (kept as they are).
    parse_rules("unlisted: keep\ntables: {t: {columns: {a: keep}}}").check_source({"t": ["a", "b"], "v": ["c"]})


@pytest.mark.parametrize("text", ["", "[1, 2]", "tables: 3", "{tables: {t: {columns: {a: keep}}}, extra: 1}",
                                  "tables: {t: {columns: {a: keep}}}\nversion: '9'", "a: [unclosed"])
def test_malformed_documents_are_refused(text):
    with pytest.raises(RulesError):
        parse_rules(text)


def test_values_hash_by_their_text_so_equal_python_keys_of_other_kinds_stay_apart():
    from apps.masking.engine import keyed

    # 1, True and 1.0 are one dict key in Python, but "1", "True" and "1.0" as text: three digests. An integer
    # and its decimal text hash alike, so a key read from a database and its foreign key read from a CSV agree.
    rows = [row.tobytes() for row in keyed.digests(data.KEY, [1, True, 1.0, "1", 1, "1.0"])]
    assert len(set(rows)) == 3
    assert rows[0] == rows[3] == rows[4] and rows[2] == rows[5] and rows[1] not in (rows[0], rows[2])
