"""The built-in templates: each parses, generates every table, and the relations it describes hold."""

from __future__ import annotations

import base64
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from apps.documents import verify
from apps.generation.engine import SpecError, generate_chunk, parse_spec, plan
from apps.generation.engine.builtin_templates import (
    UnknownTemplate,
    list_templates,
    load_template,
    template_names,
    template_source,
)
from tests.generation.templates.domain_facts import is_latin, mrz_name_pattern

EXPECTED_TEMPLATES = {
    "content-platform", "ecommerce", "hr-basic", "persons-vehicles", "tailings-monitoring", "travel-documents",
}
REFERENCE_TIME = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

_generated: dict[str, tuple] = {}


def generated(name: str):
    """(plan, {table: [row dicts]}) for a template at its own seed, made once per test session."""
    if name not in _generated:
        spec = load_template(name)
        the_plan = plan(spec, reference_time=REFERENCE_TIME)
        tables = {table: list(generate_chunk(the_plan, table, 0, the_plan.row_counts[table]).rows())
                  for table in the_plan.table_order}
        _generated[name] = (the_plan, tables)
    return _generated[name]


def key_of(doc: dict, column_spec: dict) -> str:
    parent = doc["tables"][column_spec["table"]]
    return column_spec["column"] or parent["primary_key"]


def index_by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


# ------------------------------------------------------------------------------------------ catalogue
def test_every_template_is_listed_with_its_tables_and_row_counts():
    assert set(template_names()) == EXPECTED_TEMPLATES
    listing = {entry["name"]: entry for entry in list_templates()}
    assert set(listing) == EXPECTED_TEMPLATES
    for name, entry in listing.items():
        spec = load_template(name)
        assert entry["description"] == spec.doc["description"] and entry["description"]
        assert list(entry["tables"]) == spec.table_names
        counts = plan(spec).row_counts
        for table_name, table in entry["tables"].items():
            assert table["rows"] == counts[table_name] > 0
            rows = spec.table(table_name)["rows"]
            if isinstance(rows, int):
                assert table["per"] is None and table["rows"] == rows
            else:
                assert table["per"] == {"table": spec.table(table_name)["columns"][rows["per"]]["table"],
                                        "column": rows["per"], "min": rows["min"], "max": rows["max"]}


def test_listing_results_are_independent_copies():
    first = list_templates()
    first[0]["tables"].clear()
    assert list_templates()[0]["tables"]
    orders = next(entry for entry in list_templates() if entry["name"] == "ecommerce")["tables"]["orders"]
    orders["per"]["min"] = -1
    again = next(entry for entry in list_templates() if entry["name"] == "ecommerce")["tables"]["orders"]
    assert again["per"]["min"] == 0


def test_template_source_is_the_yaml_text_and_parses_to_the_same_spec():
    for name in EXPECTED_TEMPLATES:
        text = template_source(name)
        assert f"name: {name}" in text
        assert parse_spec(text).hash == load_template(name).hash


def test_unknown_template_is_a_key_error_naming_the_available_templates():
    for call in (template_source, load_template):
        with pytest.raises(KeyError) as caught:
            call("no-such-template")
        assert isinstance(caught.value, UnknownTemplate)
        message = str(caught.value)
        assert "no-such-template" in message
        assert all(name in message for name in EXPECTED_TEMPLATES)


# ------------------------------------------------------------------------------------------ every template
@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_template_generates_every_table_with_its_columns_and_keys(name):
    the_plan, tables = generated(name)
    doc = the_plan.spec.doc
    assert the_plan.spec.name == name
    assert set(tables) == set(doc["tables"])
    for table_name, rows in tables.items():
        table = doc["tables"][table_name]
        assert len(rows) == the_plan.row_counts[table_name] > 0, table_name
        assert all(list(row) == list(table["columns"]) for row in rows), table_name
        if table["primary_key"] is not None:
            keys = [row[table["primary_key"]] for row in rows]
            assert None not in keys and len(set(keys)) == len(keys), table_name
        for column, spec in table["columns"].items():
            if spec["unique"]:
                values = [row[column] for row in rows if row[column] is not None]
                assert len(set(values)) == len(values), (table_name, column)


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_template_marks_personal_columns_as_pii(name):
    doc = load_template(name).doc
    flagged = {(t, c) for t, table in doc["tables"].items() for c, spec in table["columns"].items() if spec["pii"]}
    personal = re.compile(r"(first|last|given|family|display)_name|^surname$|^email$|birth_date|^phone$")
    for table_name, table in doc["tables"].items():
        for column in table["columns"]:
            if personal.search(column):
                assert (table_name, column) in flagged, (table_name, column)
    assert flagged


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_every_reference_points_at_an_existing_parent_key(name):
    the_plan, tables = generated(name)
    doc = the_plan.spec.doc
    checked = 0
    for table_name, table in doc["tables"].items():
        for column, spec in table["columns"].items():
            if spec["type"] != "reference":
                continue
            parent_keys = {row[key_of(doc, spec)] for row in tables[spec["table"]]}
            values = [row[column] for row in tables[table_name]]
            missing = {value for value in values if value is not None and value not in parent_keys}
            assert not missing, (table_name, column, sorted(missing)[:5])
            if spec["null_ratio"] == 0:
                assert None not in values, (table_name, column)
            checked += 1
    assert checked


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_every_lookup_copies_the_referenced_rows_value(name):
    the_plan, tables = generated(name)
    doc = the_plan.spec.doc
    for table_name, table in doc["tables"].items():
        for column, spec in table["columns"].items():
            if spec["type"] != "lookup":
                continue
            reference = table["columns"][spec["reference"]]
            parents = index_by(tables[reference["table"]], key_of(doc, reference))
            for row in tables[table_name]:
                parent = row[spec["reference"]]
                expected = None if parent is None else parents[parent][spec["column"]]
                if row[column] is None and spec["when"]:
                    continue  # a when clause may null the copy (a second driver drawn as the owner)
                assert row[column] == expected, (table_name, column, row)


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_rows_per_parent_stay_within_bounds_and_are_consecutive(name):
    the_plan, tables = generated(name)
    doc = the_plan.spec.doc
    for table_name, table in doc["tables"].items():
        rows_spec = table["rows"]
        if isinstance(rows_spec, int):
            continue
        reference = table["columns"][rows_spec["per"]]
        parent_keys = [row[key_of(doc, reference)] for row in tables[reference["table"]]]
        children = [row[rows_spec["per"]] for row in tables[table_name]]
        counts = Counter(children)
        for key in parent_keys:
            assert rows_spec["min"] <= counts.get(key, 0) <= rows_spec["max"], (table_name, key, counts.get(key))
        # Children of one parent form one run, in parent order.
        runs = [key for i, key in enumerate(children) if i == 0 or children[i - 1] != key]
        assert len(runs) == len(set(runs))
        order = {key: i for i, key in enumerate(parent_keys)}
        assert runs == sorted(runs, key=order.__getitem__)


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_small_rows_scale_still_generates_every_table(name):
    spec = load_template(name)
    the_plan = plan(spec, reference_time=REFERENCE_TIME, rows_scale=0.05)
    for table_name in the_plan.table_order:
        count = the_plan.row_counts[table_name]
        assert len(generate_chunk(the_plan, table_name, 0, count)) == count


# ------------------------------------------------------------------------------------------ persons-vehicles
def test_persons_vehicles_marks_every_row_of_every_table_as_synthetic():
    the_plan, tables = generated("persons-vehicles")
    for table_name, rows in tables.items():
        assert rows
        assert {row["synthetic_source"] for row in rows} == {"synthhub/persons-vehicles"}, table_name
    emails = [row["email"] for row in tables["persons"]]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[^@\s]+\.\d+@example\.com", email) for email in emails)


def test_persons_vehicles_profiles_link_a_vehicle_to_its_owner():
    _, tables = generated("persons-vehicles")
    vehicles = index_by(tables["vehicles"], "vehicle_id")
    assert len(tables["profiles"]) == len(tables["vehicles"])
    for profile in tables["profiles"]:
        vehicle = vehicles[profile["vehicle_id"]]
        assert profile["person_id"] == vehicle["owner_id"]
        assert profile["vin"] == vehicle["vin"]
        assert profile["vehicle_label"] == f"{vehicle['make']} {vehicle['model']} ({vehicle['plate']})"
    assert all(re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", vehicle["vin"]) for vehicle in tables["vehicles"])
    teslas = [v for v in tables["vehicles"] if v["make"] == "Tesla"]
    assert teslas and {v["fuel"] for v in teslas} == {"electric"}
    fords = [v for v in tables["vehicles"] if v["make"] == "Ford"]
    assert fords and {v["model"] for v in fords} <= {"F-150", "Escape", "Explorer", "Mustang"}


# ------------------------------------------------------------------------------------------ hr-basic
def test_hr_managers_are_earlier_employees_and_some_have_none():
    _, tables = generated("hr-basic")
    employees = tables["employees"]
    position = {row["emp_id"]: i for i, row in enumerate(employees)}
    managed = [row for row in employees if row["manager_id"] is not None]
    assert employees[0]["manager_id"] is None
    assert any(row["manager_id"] is None for row in employees[1:])
    assert len(managed) > 0.9 * len(employees)
    for row in managed:
        assert position[row["manager_id"]] < position[row["emp_id"]], row
    # The zipf skew gives the first hires many reports each.
    reports = Counter(row["manager_id"] for row in managed)
    assert reports.most_common(1)[0][1] > 50


def test_hr_salary_depends_on_the_department():
    _, tables = generated("hr-basic")
    by_department: dict[str, list[float]] = {}
    for row in tables["employees"]:
        by_department.setdefault(row["department"], []).append(row["salary"])
    assert all(45000 <= s <= 140000 for s in by_department["Engineering"])
    assert all(22000 <= s <= 38000 for s in by_department["Customer Support"])
    assert all(24000 <= s <= 65000 for s in by_department["Marketing"])

    def mean(values):
        return sum(values) / len(values)

    assert mean(by_department["Engineering"]) > mean(by_department["Marketing"]) + 20000
    interns = [row for row in tables["employees"] if row["employment_type"] in ("contractor", "intern")]
    assert interns and all(row["bonus_pct"] == 0 for row in interns)


# ------------------------------------------------------------------------------------------ travel-documents
_MRZ_VALUES = {**{str(d): d for d in range(10)}, **{chr(ord("A") + i): 10 + i for i in range(26)}, "<": 0}


def mrz_check_digit(field: str) -> int:
    """ICAO 9303 part 3: weights 7, 3, 1 repeating over the character values, modulo 10."""
    return sum(_MRZ_VALUES[char] * (7, 3, 1)[i % 3] for i, char in enumerate(field)) % 10


def test_mrz_check_digit_function_matches_the_icao_specimen():
    # ICAO 9303 part 4 specimen (Utopia): L898902C3 6, 740812 2, 120415 9, composite 0.
    line2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    assert mrz_check_digit("L898902C3") == 6
    assert mrz_check_digit("740812") == 2
    assert mrz_check_digit("120415") == 9
    assert mrz_check_digit("ZE184226B<<<<<") == 1
    assert mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43]) == 0


def test_passport_mrz_has_valid_check_digits_and_names_the_holder():
    _, tables = generated("travel-documents")
    for row in tables["passports"]:
        line1, line2 = row["mrz"].split("\n")
        assert len(line1) == len(line2) == 44
        assert re.fullmatch(r"[A-Z0-9<]{44}", line1) and re.fullmatch(r"[A-Z0-9<]{44}", line2)
        state = "D<<" if row["issuing_state"] == "DEU" else row["issuing_state"]
        assert line1.startswith("P<" + state)
        # Latin names in their ICAO forms (Ö as O or OE, ...); romanised ones are checked in
        # tests/generation/templates.
        if is_latin(row["surname"]):
            assert mrz_name_pattern(row["surname"] + "<").match(line1[5:]), (line1, row["surname"])
        assert line2[0:9] == row["document_number"]
        assert int(line2[9]) == mrz_check_digit(line2[0:9])
        nationality = "D<<" if row["nationality"] == "DEU" else row["nationality"]
        assert line2[10:13] == nationality
        birth = row["birth_date"]
        assert line2[13:19] == birth[2:4] + birth[5:7] + birth[8:10]
        assert int(line2[19]) == mrz_check_digit(line2[13:19])
        assert line2[20] == {"F": "F", "M": "M"}.get(row["sex"], "<")
        expiry = row["expiry_date"]
        assert line2[21:27] == expiry[2:4] + expiry[5:7] + expiry[8:10]
        assert int(line2[27]) == mrz_check_digit(line2[21:27])
        assert line2[42] in ("<", "0") if line2[28:42] == "<" * 14 else int(line2[42]) == mrz_check_digit(
            line2[28:42])
        assert int(line2[43]) == mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43])


def test_travel_documents_certificate_chain_stays_within_one_country():
    _, tables = generated("travel-documents")
    countries = index_by(tables["countries"], "country_id")
    assert len({row["icao_code"] for row in tables["countries"]}) == len(tables["countries"])
    assert all(re.fullmatch(r"[A-Z]{3}", row["icao_code"]) for row in tables["countries"])
    cscas = index_by(tables["csca_certificates"], "csca_id")
    for csca in cscas.values():
        assert csca["country_code"] == countries[csca["country_id"]]["icao_code"]
    ds_by_id = index_by(tables["ds_certificates"], "ds_id")
    for ds in ds_by_id.values():
        issuer = cscas[ds["csca_id"]]
        assert ds["country_id"] == issuer["country_id"]
        assert ds["country_code"] == issuer["country_code"]
        assert ds["issuer_dn"] == issuer["subject_dn"]
    for passport in tables["passports"]:
        signer = ds_by_id[passport["ds_id"]]
        assert passport["issuing_state"] == passport["nationality"] == signer["country_code"]
    # CRLs are per CSCA, so a CRL names its own country's CSCA and lists only that CSCA's signers.
    serials = {}
    for signer in ds_by_id.values():
        serials.setdefault(signer["csca_id"], set()).add(signer["serial_number"])
    for crl in tables["crls"]:
        assert crl["country_code"] == cscas[crl["csca_id"]]["country_code"]
        listed = {entry.serial_number for entry in x509.load_der_x509_crl(base64.b64decode(crl["crl"]))}
        assert listed <= serials[crl["csca_id"]]


def test_travel_documents_take_up_to_200_countries_from_the_request():
    # rows: {"countries": N} sizes every table that follows countries; certificates name the alpha-2 code.
    the_plan = plan(load_template("travel-documents"), reference_time=REFERENCE_TIME, rows={"countries": 200},
                    tables=["countries", "previous_cscas", "csca_certificates"])
    assert the_plan.row_counts["previous_cscas"] == the_plan.row_counts["csca_certificates"] == 200
    assert the_plan.row_counts["ds_certificates"] >= 200 * 12
    rows = {table: list(generate_chunk(the_plan, table, 0, 200).rows()) for table in the_plan.table_order
            if table in ("countries", "previous_cscas", "csca_certificates")}
    countries = rows["countries"]
    for column in ("icao_code", "alpha2_code", "name"):
        assert len({c[column] for c in countries}) == 200, column
    assert [c["icao_code"] for c in countries[:10]] == [c["icao_code"] for c in generated("travel-documents")[1][
        "countries"]]
    # At most ten Faker locales a document: every country names its holders in one of ten.
    assert len({c["naming_locale"] for c in countries}) == 10
    alpha2 = {c["country_id"]: c["alpha2_code"] for c in countries}
    previous = {r["previous_csca_id"]: r for r in rows["previous_cscas"]}
    for csca in rows["csca_certificates"]:
        cert = x509.load_der_x509_certificate(base64.b64decode(csca["certificate"]))
        link = x509.load_der_x509_certificate(base64.b64decode(csca["link_certificate"]))
        country = cert.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)[0].value
        assert country == alpha2[csca["country_id"]]
        old = x509.load_der_x509_certificate(base64.b64decode(previous[csca["previous_csca_id"]]["certificate"]))
        assert verify.issued_by(link, [old]) is old and link.public_key() == cert.public_key()


def test_travel_documents_refuse_more_countries_than_they_know():
    with pytest.raises(SpecError) as caught:
        plan(load_template("travel-documents"), reference_time=REFERENCE_TIME, rows={"countries": 201})
    assert "tables.countries.columns.icao_code: unique column can hold only 200 distinct values" in str(caught.value)


def test_mdl_credentials_carry_a_licence_with_its_categories():
    _, tables = generated("travel-documents")
    countries = index_by(tables["countries"], "country_id")
    all_categories = {"AM", "A1", "A2", "A", "B1", "B", "BE", "C1", "C1E", "C", "CE", "D1", "D1E", "D", "DE"}
    licences = Counter()
    for row in tables["mdl_credentials"]:
        assert row["issuing_country"] == countries[row["country_id"]]["icao_code"]
        assert row["family_name"] and row["given_name"]
        assert row["issue_date"] < row["expiry_date"]
        categories = row["categories"]
        # The licence names exactly its categories, in any order; the vehicle category is one of them.
        assert sorted(categories) == sorted(row["licence"].split("+")), row
        assert set(categories) <= all_categories and row["vehicle_category"] in categories
        assert len(set(row["restrictions"])) == len(row["restrictions"]) <= 2
        licences[row["licence"]] += 1
    assert len(licences) == 8 and licences.most_common(1)[0][0] == "B"


# ------------------------------------------------------------------------------------------ tailings
def test_tailings_readings_are_hourly_series_per_sensor():
    _, tables = generated("tailings-monitoring")
    series: dict[int, list[dict]] = {}
    for row in tables["readings"]:
        series.setdefault(row["sensor_id"], []).append(row)
    assert set(series) == {row["sensor_id"] for row in tables["sensors"]}
    start = REFERENCE_TIME - timedelta(days=7)
    for rows in series.values():
        assert len(rows) == 168
        times = [datetime.fromisoformat(row["measured_at"].replace("Z", "+00:00")) for row in rows]
        assert times == [start + timedelta(hours=i) for i in range(168)]
    values = [row["pore_pressure_kpa"] for row in tables["readings"]]
    assert 140 < sum(values) / len(values) < 260


def test_tailings_reading_status_follows_the_published_levels():
    _, tables = generated("tailings-monitoring")
    sensors = index_by(tables["sensors"], "sensor_id")
    statuses = Counter()
    for sensor in sensors.values():
        # The warning and alarm levels are 2 m and 4 m of water above the station's normal head.
        assert sensor["warning_kpa"] == round(9.81 * (sensor["head_m"] + 2), 1)
        assert sensor["alarm_kpa"] == round(9.81 * (sensor["head_m"] + 4), 1)
    for row in tables["readings"]:
        sensor = sensors[row["sensor_id"]]
        pressure = row["pore_pressure_kpa"]
        expected = "alarm" if pressure >= sensor["alarm_kpa"] else \
            "warning" if pressure >= sensor["warning_kpa"] else "ok"
        assert row["status"] == expected, (row, sensor)
        statuses[row["status"]] += 1
    assert statuses["ok"] > statuses["warning"] > 0


def test_tailings_compliance_findings_follow_the_outcome():
    _, tables = generated("tailings-monitoring")
    for row in tables["compliance_records"]:
        if row["outcome"] == "compliant":
            assert row["findings"] == 0 and row["corrective_action_due"] is None
        else:
            assert row["findings"] >= 1 and row["corrective_action_due"] is not None


# ------------------------------------------------------------------------------------------ content-platform
def test_content_jobs_are_98_percent_completed():
    _, tables = generated("content-platform")
    jobs = tables["generation_jobs"]
    completed = sum(row["status"] == "completed" for row in jobs) / len(jobs)
    # 5000 jobs: the standard error of the share is 0.2 points, so one point is five of them.
    assert abs(completed - 0.98) <= 0.01, completed
    for row in jobs:
        assert (row["error"] is None) == (row["status"] in ("completed", "cancelled")), row
        if row["status"] != "completed":
            assert row["output_tokens"] == 0


def test_content_items_have_0_to_200_unique_tags_from_the_pool():
    the_plan, tables = generated("content-platform")
    pool = set(the_plan.spec.table("content_items")["columns"]["tags"]["of"]["values"])
    assert len(pool) >= 200
    lengths = []
    for row in tables["content_items"]:
        tags = row["tags"]
        assert isinstance(tags, list) and 0 <= len(tags) <= 200
        assert len(set(tags)) == len(tags)
        assert set(tags) <= pool
        lengths.append(len(tags))
    assert min(lengths) < 20 and max(lengths) > 180


def test_content_user_handles_are_unique():
    _, tables = generated("content-platform")
    handles = [row["handle"] for row in tables["users"]]
    assert len(set(handles)) == len(handles)
    assert all(handle == handle.lower() for handle in handles)


def test_content_prompts_are_built_from_their_parts():
    _, tables = generated("content-platform")
    for row in tables["prompts"]:
        assert row["text"] == (f"Write a {row['tone']} {row['format']} about {row['subject']} for {row['audience']}"
                               f"{row['angle']}.")


# ------------------------------------------------------------------------------------------ ecommerce
def luhn_valid(number: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def test_ecommerce_order_item_totals_are_quantity_times_product_price():
    _, tables = generated("ecommerce")
    products = index_by(tables["products"], "product_id")
    for item in tables["order_items"]:
        assert item["unit_price"] == products[item["product_id"]]["price"]
        assert item["line_total"] == round(item["quantity"] * item["unit_price"], 2), item
        assert 1 <= item["quantity"] <= 10


def test_ecommerce_orders_carry_card_numbers_only_for_card_payments():
    _, tables = generated("ecommerce")
    customers = index_by(tables["customers"], "customer_id")
    for order in tables["orders"]:
        assert order["ship_to_country"] == customers[order["customer_id"]]["country"]
        if order["payment_method"] == "card":
            assert order["card_number"].isdigit() and luhn_valid(order["card_number"])
        else:
            assert order["card_number"] is None
    per_customer = Counter(order["customer_id"] for order in tables["orders"])
    assert 0 < len(per_customer) < len(tables["customers"])
