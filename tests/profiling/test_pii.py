"""PII detection: national ids by their check digits, names of several locales, phones, addresses; confidence
from the share of matching values and the column name; bounded work; no value in a finding or a log."""

import json
import logging
import random

import pyarrow as pa
import pytest
from faker import Faker

from apps.generation.engine import generate_chunk, parse_spec, plan
from apps.profiling import national_ids, pii
from apps.profiling.infer import infer_spec
from apps.profiling.pii import findings_for
from apps.profiling.profiler import TableSource, profile_tables

# Published examples (tax offices, standards, the schemes' own documentation), each valid.
VALID = {
    "nl_bsn": ["111222333", "123456782", "1234.56.782"],
    "uk_nino": ["AB123456C", "AB 12 34 56 C", "JG103759A"],
    "de_steuer_id": ["36574261809", "36 574 261 809", "86095742719"],
    "fr_nir": ["295109912611193", "2 95 10 99 126 111 93", "1 84 12 2A 123 456 97"],
    "es_dni": ["12345678Z", "X1234567L", "00000000T"],
    "it_codice_fiscale": ["RSSMRA85T10A562S", "MRTMTT91D08F205J", "MRTMTT91D08F2L5U"],
    "se_personnummer": ["811218-9876", "19811218-9876", "8112189876"],
    "fi_hetu": ["131052-308T", "010101A123N", "131052+308T"],
    "us_ssn": ["536-22-1234", "078-05-1121", "321 45 6789"],
    "dk_cpr": ["070761-4285", "0707614285", "290200-1234"],
}
# The same shapes with a wrong check digit or letter, or against the format's rules.
INVALID = {
    "nl_bsn": ["111222334", "000000000", "12345678"],
    "uk_nino": ["GB123456A", "DA123456C", "AB123456E"],
    "de_steuer_id": ["36574261808", "01234567890", "12345678901"],
    "fr_nir": ["295109912611194", "595109912611193", "1 84 12 2A 123 456 70"],
    "es_dni": ["12345678A", "X1234567T", "W1234567L"],
    "it_codice_fiscale": ["RSSMRA85T10A562T", "RSSMRA85Z10A562S", "RSSMRA85T99A562S"],
    "se_personnummer": ["811218-9875", "811318-9876", "811200-9876"],
    "fi_hetu": ["131052-308U", "311352-308T", "131052-000T"],
    "us_ssn": ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "078-05-1120"],
    "dk_cpr": ["320761-4285", "071361-4285", "0707614"],
}


def test_every_scheme_has_valid_and_invalid_examples_that_its_validator_tells_apart():
    assert set(VALID) == set(INVALID) == set(national_ids.SCHEMES)
    for code in national_ids.SCHEMES:
        for value in VALID[code]:
            assert national_ids.is_valid(code, value), (code, value)
            assert code in national_ids.schemes_of(value)
        for value in INVALID[code]:
            assert not national_ids.is_valid(code, value), (code, value)
    assert national_ids.nl_bsn("111222333") and not national_ids.fi_hetu("131052-308U")
    with pytest.raises(KeyError):
        national_ids.is_valid("xx_nothing", "1")


def _random_of_shape(code: str, rng: random.Random) -> str:
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    letters = lambda n: "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))  # noqa: E731
    return {
        "nl_bsn": lambda: digits(9),
        "de_steuer_id": lambda: rng.choice("123456789") + digits(10),
        "fr_nir": lambda: rng.choice("12") + digits(2) + f"{rng.randint(1, 12):02d}" + digits(10),
        "es_dni": lambda: digits(8) + letters(1),
        "it_codice_fiscale": lambda: (
            letters(6)
            + digits(2)
            + rng.choice("ABCDEHLMPRST")
            + f"{rng.randint(1, 28):02d}"
            + letters(1)
            + digits(3)
            + letters(1)
        ),
        "se_personnummer": lambda: (
            f"{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-" + digits(4)
        ),
        "fi_hetu": lambda: (
            f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{digits(2)}-{rng.randint(2, 899):03d}"
            + rng.choice("0123456789ABCDEFHJKLMNPRSTUVWXY")
        ),
    }[code]()


CHECKED = ["nl_bsn", "de_steuer_id", "fr_nir", "es_dni", "it_codice_fiscale", "se_personnummer", "fi_hetu"]


@pytest.mark.parametrize("code", CHECKED)
def test_random_values_of_a_checked_shape_mostly_fail_and_give_no_finding(code):
    rng = random.Random(code)
    values = [_random_of_shape(code, rng) for _ in range(2000)]
    passing = sum(national_ids.is_valid(code, v) for v in values) / len(values)
    assert passing < 0.12, passing  # one check digit: about 1/10, 1/11, 1/23, 1/26, 1/31 or 1/97 pass
    assert not [f for f in findings_for("reference", "string", values) if f.kind == "national_id"]
    # Named like the scheme, values that fail its check lower the name's confidence.
    named = {
        "nl_bsn": "bsn",
        "de_steuer_id": "steuer_id",
        "fr_nir": "nir",
        "es_dni": "dni",
        "it_codice_fiscale": "codice_fiscale",
        "se_personnummer": "personnummer",
        "fi_hetu": "hetu",
    }[code]
    [finding] = findings_for(named, "string", values)
    assert finding.kind == "national_id" and finding.evidence == "name" and finding.confidence <= 0.2
    assert finding.scheme == code


def _faker_values(code: str, count: int = 400) -> list[str]:
    fake = Faker(
        {"es_dni": "es_ES", "de_steuer_id": "de_DE", "uk_nino": "en_GB", "dk_cpr": "da_DK"}.get(code)
        or national_ids.SCHEMES[code].faker_locale
    )
    fake.seed_instance(7)
    if code == "es_dni":
        return [fake.nif() if i % 2 else fake.nie() for i in range(count)]
    if code == "uk_nino":  # Faker writes the reserved ZZ prefix and a T suffix, neither a real NINO's
        return [f"{'ABCEJGPR'[i % 4 * 2 : i % 4 * 2 + 2]}{fake.ssn()[2:-1]}{'ABCD'[i % 4]}" for i in range(count)]
    if code == "de_steuer_id":
        ids, rng = [], random.Random(3)
        while len(ids) < count:
            candidate = _random_of_shape(code, rng)
            if national_ids.de_steuer_id(candidate):
                ids.append(candidate)
        return ids
    if code == "dk_cpr":
        rng = random.Random(5)
        return [
            f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(0, 99):02d}-{rng.randint(0, 9999):04d}"
            for _ in range(count)
        ]
    return [fake.ssn() for _ in range(count)]


@pytest.mark.parametrize("code", list(national_ids.SCHEMES))
def test_a_column_of_valid_ids_is_found_with_its_scheme(code):
    values = _faker_values(code)
    assert all(national_ids.is_valid(code, v) for v in values)
    [finding] = findings_for("ref", "string", values)
    assert finding.kind == "national_id" and finding.scheme == code and finding.evidence == "values"
    assert finding.share == 1.0
    if national_ids.SCHEMES[code].check_digit:
        assert finding.confidence >= 0.9
    else:  # a format only: a look-alike passes as easily, so the values alone say less
        assert 0.6 <= finding.confidence <= 0.8
    named = findings_for("national_id", "string", values)[0]
    assert named.evidence == "name and values" and named.confidence > finding.confidence


def test_ids_stored_as_numbers_are_checked_too():
    rng = random.Random(11)
    bsns = []
    while len(bsns) < 300:
        number = rng.randint(10_000_000, 999_999_999)
        if national_ids.nl_bsn(str(number)):
            bsns.append(number)
    [finding] = findings_for("ref", "int", bsns)
    assert (finding.kind, finding.scheme) == ("national_id", "nl_bsn") and finding.confidence >= 0.9
    assert findings_for("amount", "int", list(range(100_000_000, 100_003_000))) == []


def test_generators_of_the_inferred_spec_write_valid_ids_without_the_samples():
    columns = {"id": {"type": "sequence"}}
    for code in national_ids.SCHEMES:
        columns[code] = {**pii.generator_for("national_id", code), "pii": True}
    spec = {"version": 1.1, "name": "ids", "seed": 1, "tables": {"t": {"rows": 200, "columns": columns}}}
    rows = [json.loads(r) for r in generate_chunk(plan(parse_spec(spec), seed=1), "t", 0, 200).json_rows()]
    for code in national_ids.SCHEMES:
        assert columns[code] == {"type": "national_id", "scheme": code, "pii": True}
        values = [row[code] for row in rows]
        assert all(national_ids.is_valid(code, v) for v in values), code
        assert len(set(values)) > 190, code


def test_the_inferred_document_writes_valid_ids_of_every_scheme_and_no_sample_value():
    samples = {code: _faker_values(code, 300) for code in national_ids.SCHEMES}
    table = pa.table({"id": [str(i) for i in range(300)],
                      **{f"ref_{code}": values for code, values in samples.items()}})
    profile = profile_tables([TableSource("people", lambda: iter(table.to_batches(100)), 300)])
    spec = infer_spec(profile)
    columns = spec["tables"]["people"]["columns"]
    for code in national_ids.SCHEMES:
        assert columns[f"ref_{code}"] == {"type": "national_id", "scheme": code, "pii": True}, code
    text = json.dumps(spec)
    assert not any(value in text for values in samples.values() for value in values)
    rows = [json.loads(r) for r in generate_chunk(plan(parse_spec(spec), seed=3), "people", 0, 300).json_rows()]
    for code, values in samples.items():
        generated = [row[f"ref_{code}"] for row in rows]
        assert all(national_ids.is_valid(code, v) for v in generated), code
        assert not set(generated) & set(values), code


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["Hans", "Jürgen", "Ursula", "Wolfgang", "Sabine", "Friedrich"], "first_name"),
        (["Maximilian", "Giulia", "Sofía", "Lars", "Wiktoria", "Aino", "Joaquim", "Taro", "Anouk"], "first_name"),
        (["Jansen", "de Vries", "Rossi", "García", "Kowalski", "Müller", "Johansson", "Virtanen"], "last_name"),
        (
            [
                "Jan de Vries",
                "José García López",
                "Giulia Rossi",
                "Søren Jensen",
                "Yamada Taro",
                "Smith, John",
                "Hans Müller",
                "Marie Dubois",
            ],
            "name",
        ),
    ],
)
def test_names_of_several_locales(values, kind):
    [finding] = findings_for("person_ref", "string", values * 10)
    assert finding.kind == kind and finding.confidence >= 0.8


def test_name_lists_are_built_once_from_several_locales():
    assert pii.name_lists() is pii.name_lists()
    first, last = pii.name_lists()
    assert {"hans", "giulia", "sofia", "lars", "taro", "anouk", "joaquim"} <= first
    assert {"jansen", "rossi", "garcia", "kowalski", "muller", "johansson", "virtanen", "yamada"} <= last


@pytest.mark.parametrize(
    ("values", "found"),
    [
        (["+14155552671", "+442079460958", "+31612345678", "+4930123456"], "phone"),
        (["+1 415 555 2671", "+44 20 7946 0958", "0049 30 1234567", "+33 1 23 45 67 89"], "phone"),
        (["(030) 1234567", "020-123 4567", "06 12345678", "01 23 45 67 89", "(415) 555-2671"], "phone"),
        (["2020-01-01", "2021-12-31", "1999-07-04"], None),
        (["0012345678", "0098765432", "0011223344"], None),
        (["123456789", "987654321", "555444333"], None),
    ],
)
def test_phones_in_e164_and_national_forms(values, found):
    findings = findings_for("ref", "string", values * 10)
    assert [f.kind for f in findings] == ([found] if found else [])


@pytest.mark.parametrize(
    "values",
    [
        ["12 Main Street", "400 Oak Ave", "9 Elm Road", "221B Baker Street"],
        ["Hauptstraße 5", "Kerkstraat 12a", "Storgatan 3", "Mannerheimintie 10", "Nørregade 12"],
        ["12 rue de la Paix", "Calle Mayor, 5", "Via Roma 10", "Rua Augusta 25", "ul. Długa 5"],
    ],
)
def test_postal_addresses_of_several_countries(values):
    [finding] = findings_for("ref", "string", values * 10)
    assert finding.kind == "address" and finding.confidence >= 0.75


def test_categories_and_codes_are_no_pii():
    for values in (["retail", "pro", "public"], ["AB-12345", "CD-00001"], ["New York", "Los Angeles", "Chicago"]):
        assert findings_for("segment", "string", values * 50) == []


def test_the_work_per_column_is_bounded(monkeypatch):
    calls = {"rare": 0, "common": 0}

    def rare(value):
        calls["rare"] += 1
        return False

    def common(value):
        calls["common"] += 1
        return True

    monkeypatch.setattr(pii, "VALUE_DETECTORS", (pii.Detector("email", rare), pii.Detector("phone", common)))
    [finding] = findings_for("x", "string", [f"v{i}" for i in range(50_000)])
    assert calls["rare"] == pii.SCREEN_VALUES  # failed the screen: not run on the rest
    assert calls["common"] == pii.MAX_VALUES  # at most MAX_VALUES values of a column are read
    assert finding.kind == "phone" and finding.share == 1.0


def test_an_address_in_free_text_is_tried_only_where_a_run_starts():
    # Text runs with no `@` (a pasted blob, a base64 field): a search retried from every position of a run is
    # quadratic in the run's length (tens of seconds for a column of such values); tried only where a run starts,
    # it is linear. The search cannot start inside a run, so no position of one is tried twice.
    assert pii.EMAIL_IN.match("jan@example.org", 1) is None
    assert pii.EMAIL_IN.match("jan@example.org", 0)
    values = [("x" * 20_000) + f" note {i}" for i in range(100)]
    assert findings_for("notes", "string", values) == []
    assert pii.EMAIL_IN.search("write to jan.devries@example.org today")
    assert pii.EMAIL_IN.search("x" * 5000 + " jan@example.org")


def test_no_sample_value_in_findings_profile_spec_or_logs(caplog):
    values = _faker_values("nl_bsn", 300)
    names = ["Wiktoria Kowalska", "Jan de Vries", "Giulia Rossi"] * 100
    table = pa.table(
        {"id": [str(i) for i in range(300)], "bsn": values, "holder": names, "phone": ["+31 6 1234 5678"] * 300}
    )
    with caplog.at_level(logging.DEBUG):
        profile = profile_tables([TableSource("people", lambda: iter(table.to_batches(100)), 300)])
        spec = infer_spec(profile)
    findings = {(f["column"], f["kind"]): f for f in profile["pii"]}
    assert findings[("bsn", "national_id")]["scheme"] == "nl_bsn"
    assert ("holder", "name") in findings and ("phone", "phone") in findings
    text = json.dumps(profile["pii"]) + json.dumps(spec) + caplog.text
    for value in [*values[:50], "Kowalska", "Wiktoria", "1234 5678"]:
        assert value not in text
    assert spec["tables"]["people"]["columns"]["bsn"] == {"type": "national_id", "scheme": "nl_bsn", "pii": True}


def test_free_text_holding_a_checked_number_is_found():
    notes = [
        "customer asked to move the refund to DE89370400440532013000 before the end of the month",
        "the clerk wrote the BSN 111222333 on the form by mistake and sent it to the archive",
        "nothing personal in this note about the parcel that arrived late again last week",
    ]
    [finding] = findings_for("notes", "string", notes * 20)
    assert finding.kind == "free_text" and 0.6 <= finding.share <= 0.7
    random_numbers = ["the order 111222334 was shipped late to the warehouse in the north of the country"] * 20
    assert findings_for("notes", "string", random_numbers) == []


def test_the_pii_rich_bench_sample_is_found_by_the_profiler(tmp_path):
    import csv

    from apps.profiling.benchmarks import write_sample
    from apps.profiling.readers import convert_to_parquet, iter_stored

    path = tmp_path / "customers.csv"
    write_sample(path, 600, pii_rich=True)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 600 and len(rows[0]) == 20
    assert all(national_ids.nl_bsn(row["national_id"]) for row in rows)
    parquet = str(tmp_path / "sample.parquet")
    with open(path, "rb") as handle:
        result = convert_to_parquet(handle, "csv", parquet, max_bytes=1 << 30)
    profile = profile_tables([TableSource("customers", lambda: iter_stored(parquet), result.row_count)])
    kinds = {(f["column"], f["kind"], f.get("scheme")) for f in profile["pii"]}
    assert {
        ("holder", "name", None),
        ("national_id", "national_id", "nl_bsn"),
        ("street", "address", None),
        ("phone", "phone", None),
        ("note", "free_text", None),
        ("email", "email", None),
    } <= kinds


def test_national_id_findings_in_the_api_and_the_console_without_values(tenant_a, api_client_for, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.profiling import services

    tenant, users = tenant_a
    bsns = _faker_values("nl_bsn", 120)
    content = "id,bsn,holder\n" + "".join(f"{i},{b},Jan de Vries\n" for i, b in enumerate(bsns, 1))
    sample = services.sample_upload(
        tenant=tenant,
        actor=users["editor"],
        table_name="people",
        uploaded=SimpleUploadedFile("people.csv", content.encode()),
    )
    profile = services.profile_create(tenant=tenant, actor=users["editor"], samples=[sample])
    services.profile_run(profile_id=profile.pk)
    body = api_client_for(users["editor"]).get(f"/api/v1/tenants/alpha/profiles/{profile.pk}/").json()
    [finding] = body["result"]["tables"]["people"]["columns"]["bsn"]["pii"]
    assert finding["kind"] == "national_id" and finding["scheme"] == "nl_bsn" and finding["confidence"] >= 0.9
    assert body["spec"]["tables"]["people"]["columns"]["bsn"] == {"type": "national_id", "scheme": "nl_bsn",
                                                                  "pii": True}
    client.force_login(users["editor"])
    page = client.get(f"/console/profiling/profile/{profile.pk}/change/").content.decode()
    assert "national_id (nl_bsn)" in page and "name (" in page
    pii_part = json.dumps(body["result"]["pii"]) + json.dumps(body["spec"])
    assert not any(b in pii_part for b in bsns)


@pytest.mark.parametrize(
    "locale",
    ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "sv_SE", "da_DK", "fi_FI", "ja_JP"],
)
def test_faker_people_of_several_locales_are_found(locale):
    fake = Faker(locale)
    fake.seed_instance(21)
    names = [fake.name() for _ in range(300)]  # titles, degrees, double names and kanji included
    [name] = findings_for("ref", "string", names)
    assert name.kind == "name" and name.share >= 0.9
    if locale not in ("ja_JP", "da_DK"):  # Faker writes these without a trunk 0 or a country code
        [phone] = findings_for("ref", "string", [fake.phone_number() for _ in range(300)])
        assert phone.kind == "phone" and phone.share >= 0.75  # it_IT: bare mobile numbers are not counted
    if locale != "ja_JP":
        [address] = findings_for("ref", "string", [fake.street_address() for _ in range(300)])
        assert address.kind == "address" and address.share >= 0.8
    assert pii.street_words() is pii.street_words()


def test_dates_amounts_and_times_are_no_phones():
    for value in ("01.02.2020", "2020-01-01", "12:30:45", "1.234.567,89", "12345678", "1234 5678 9012 3456"):
        assert not pii.is_phone(value), value
