"""The consistency rules of each built-in template: what a domain expert checks first in its rows.

Each checker takes a Report (generated rows by table) and the reference time of the generation, and records
every rule broken. Rules compare a row with its own columns, with the rows its references point at and with
published facts (domain_facts), never with the template's own settings.
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from cryptography import x509

from apps.documents import verify

from .domain_facts import (
    COUNTRY_BOXES,
    COUNTRY_CURRENCY,
    COUNTRY_LOCALES,
    LICENCE_MIN_AGE,
    LICENCE_REQUIRES,
    POSTCODE_PATTERNS,
    US_STATE_ZIPS,
    VIN_WMI,
    add_months,
    add_years,
    as_date,
    as_datetime,
    full_years,
    iban_valid,
    is_latin,
    locale_pools,
    luhn_valid,
    mrz_check_digit,
    mrz_name_pattern,
    ni_number_valid,
    place_follows_locale,
    vin_check_digit_valid,
    vin_model_year_code,
)
from .report import Report


def _correlation(xs, ys) -> float:
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


# ------------------------------------------------------------------------------------------ travel-documents
def _mrz_problem(row: dict) -> bool:
    """True when the MRZ breaks ICAO 9303 or disagrees with the row."""
    line1, line2 = row["mrz"].split("\n")
    if len(line1) != 44 or len(line2) != 44 or not re.fullmatch(r"[A-Z0-9<]{88}", line1 + line2):
        return True
    state = "D<<" if row["issuing_state"] == "DEU" else row["issuing_state"]
    nationality = "D<<" if row["nationality"] == "DEU" else row["nationality"]
    birth, expiry = row["birth_date"], row["expiry_date"]
    checks = [
        line1.startswith("P<" + state),
        line2[0:9] == row["document_number"], int(line2[9]) == mrz_check_digit(line2[0:9]),
        line2[10:13] == nationality,
        line2[13:19] == birth[2:4] + birth[5:7] + birth[8:10], int(line2[19]) == mrz_check_digit(line2[13:19]),
        line2[20] == {"F": "F", "M": "M"}.get(row["sex"], "<"),
        line2[21:27] == expiry[2:4] + expiry[5:7] + expiry[8:10], int(line2[27]) == mrz_check_digit(line2[21:27]),
        int(line2[43]) == mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43]),
    ]
    return not all(checks)


def _mrz_name_problem(row: dict) -> bool:
    """The MRZ name field holds the holder's surname and given names in their ICAO Latin form."""
    field = row["mrz"].split("\n")[0][5:]
    surname_part, _, given_part = field.partition("<<")
    if not surname_part or not re.fullmatch(r"[A-Z<]+", field):
        return True
    locales = COUNTRY_LOCALES[row["nationality"]]
    if is_latin(row["surname"]):
        # The field is cut at 39 characters: compare what fits.
        expected = mrz_name_pattern(row["surname"])
        if not expected.fullmatch(surname_part) and not (len(field) == 39 and expected.match(field)):
            return True
        return bool(given_part) and not mrz_name_pattern(row["given_names"]).match(given_part.replace("<", " ")
                                                                                    .strip().replace(" ", "<"))
    # Non-Latin names: the MRZ carries the locale's romanised form.
    romanised = set().union(*(locale_pools(locale)["last_latin"] for locale in locales))
    return not romanised or surname_part.replace("<", " ") not in {name.upper() for name in romanised}


def _name_follows_locale(name: str, locales: set[str], pool: str) -> bool:
    return any(name in locale_pools(locale).get(pool, ()) for locale in locales)


def _der(value: str) -> bytes:
    return base64.b64decode(value)


def _cert(value: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(_der(value))


def _noon(day: str) -> datetime:
    return datetime.combine(as_date(day), time(12), UTC)


def _certificate_problem(r: dict, column: str = "certificate") -> bool:
    """The certificate's subject, serial, validity and curve are the row's."""
    cert = _cert(r[column])
    return (cert.subject.rfc4514_string() != r["subject_dn"] if "subject_dn" in r else False) \
        or cert.serial_number != r["serial_number"] \
        or cert.not_valid_before_utc.date() != as_date(r["valid_from"]) \
        or cert.not_valid_after_utc.date() != as_date(r["valid_to"]) \
        or ("key_algorithm" in r and r["key_algorithm"] != "ecdsa-" + cert.public_key().curve.name)


# How many passports and mDLs the signature rules verify: every negative scenario up to the first number, and
# as many valid ones (verification costs a few milliseconds a document).
SIGNED_SAMPLE = 300


def _sample(rows: list[dict], negative) -> list[dict]:
    bad = [r for r in rows if negative(r)][:SIGNED_SAMPLE]
    step = max(1, len(rows) // SIGNED_SAMPLE)
    return bad + [r for r in rows[::step] if not negative(r)][:SIGNED_SAMPLE]


def check_travel_documents_pki(report: Report):
    """The certificates, CRLs, master lists, SODs, DTCs and mdocs verify with `cryptography`
    (apps/documents/verify) and say what their rows say: chains, rollover links, revocations, and each passport
    and its DTC refused exactly for its labelled scenario (valid ones accepted: signed by a DS valid and
    unrevoked on the issue date)."""
    previous = report.by_key("previous_cscas")
    cscas = report.by_key("csca_certificates")
    iacas = report.by_key("iaca_certificates")
    anchors = {i: _cert(r["certificate"]) for i, r in cscas.items()}
    previous_anchors = {i: _cert(r["certificate"]) for i, r in previous.items()}

    for table in ("previous_cscas", "csca_certificates", "iaca_certificates"):
        report.rule(table, "CSCA certificate self-signed, with the row's subject, serial, validity and curve",
                    lambda r: _certificate_problem(r) or verify.issued_by(_cert(r["certificate"]),
                                                                          [_cert(r["certificate"])]) is None)
    report.rule("csca_certificates", "rollover: the link certificate is the previous CSCA's signature on this "
                                     "CSCA's key, valid from the takeover while both are",
                lambda r: verify.issued_by(_cert(r["link_certificate"]), [previous_anchors[r["previous_csca_id"]]])
                is None
                or _cert(r["link_certificate"]).public_key() != anchors[r["csca_id"]].public_key()
                or _cert(r["link_certificate"]).serial_number != r["link_serial_number"]
                or _cert(r["link_certificate"]).not_valid_before_utc.date() != as_date(r["valid_from"])
                or _cert(r["link_certificate"]).not_valid_after_utc.date()
                > as_date(previous[r["previous_csca_id"]]["valid_to"]))
    report.rule("csca_certificates", "the CSCA took over when the previous CSCA's key stopped signing",
                lambda r: as_date(r["valid_from"]) != as_date(previous[r["previous_csca_id"]]["key_usage_end"])
                or r["country_id"] != previous[r["previous_csca_id"]]["country_id"])
    report.rule("ds_certificates", "DS certificate issued by its CSCA's key, with the row's subject, issuer, "
                                   "serial, validity and curve",
                lambda r: _certificate_problem(r)
                or verify.issued_by(_cert(r["certificate"]), [anchors[r["csca_id"]]]) is None
                or _cert(r["certificate"]).issuer.rfc4514_string() != r["issuer_dn"])
    report.rule("master_list_signers", "master-list signer issued by its CSCA",
                lambda r: _certificate_problem(r)
                or verify.issued_by(_cert(r["certificate"]), [anchors[r["csca_id"]]]) is None)
    report.rule("mdl_signers", "mDL document signer issued by its IACA",
                lambda r: _certificate_problem(r)
                or verify.issued_by(_cert(r["certificate"]), [_cert(iacas[r["iaca_id"]]["certificate"])]) is None)

    revoked_by_csca = defaultdict(dict)
    for r in report.rows("ds_certificates"):
        if r["revoked_at"] is not None:
            revoked_by_csca[r["csca_id"]][r["serial_number"]] = as_date(r["revoked_at"])

    def crl_problem(r):
        reason, crl, _ = verify.verify_crl(_der(r["crl"]), [anchors[r["csca_id"]]])
        this_update = as_date(r["this_update"])
        expected = {s for s, at in revoked_by_csca[r["csca_id"]].items() if at <= this_update}
        listed = {entry.serial_number for entry in crl} if crl is not None else None
        return reason is not None or listed != expected or crl.last_update_utc.date() != this_update \
            or crl.next_update_utc.date() != as_date(r["next_update"]) \
            or crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number != r["crl_number"]
    report.rule("crls", "CRL signed by its CSCA, listing exactly the CSCA's revocations up to its issue",
                crl_problem)
    every_csca = list(anchors.values()) + list(previous_anchors.values())
    list_signers = report.by_key("master_list_signers")
    report.rule("master_lists", "master list signed by a signer of a known CSCA, listing its CSCA and link",
                lambda r: verify.verify_master_list(_der(r["master_list"]), every_csca) != (None, 2)
                or _der(cscas[list_signers[r["master_list_signer_id"]]["csca_id"]]["certificate"])
                not in _der(r["master_list"]))

    # The CRLs as a relying party has them: a passport is checked against the CRL in force when it was signed.
    crl_entries = verify.RevocationLists()
    for r in report.rows("crls"):
        crl = x509.load_der_x509_crl(_der(r["crl"]))
        crl_entries.add(crl.issuer.public_bytes(), crl)

    def sod_reason(r):
        return verify.verify_sod(_der(r["sod"]), r["printed_mrz"], _noon(r["issue_date"]), list(anchors.values()),
                                 crl_entries)

    passports = report.rows("passports")
    report.rule("passports", "SOD verifies and the passport is refused exactly for its labelled scenario "
                             "(valid: signed by a DS valid and unrevoked on the issue date)",
                lambda r: sod_reason(r) != verify.EXPECTED_REASONS[r["scenario"]],
                rows=_sample(passports, lambda r: r["scenario"] != "valid"))
    report.rule("passports", "the printed MRZ is the issued one, but for a wrong check digit where labelled",
                lambda r: (r["printed_mrz"] == r["mrz"]) == (r["scenario"] == "bad_mrz_check_digit")
                or r["printed_mrz"][:54] + r["printed_mrz"][55:] != r["mrz"][:54] + r["mrz"][55:])
    def dtc_reason(r):
        return verify.verify_dtc(_der(r["dtc"]), _noon(r["dtc_signed_at"]), list(anchors.values()), crl_entries)

    with_dtc = [r for r in passports if r["has_dtc"]]
    report.rule("passports", "DTC verifies and is refused exactly for the passport's labelled scenario",
                lambda r: dtc_reason(r) != verify.EXPECTED_REASONS[r["scenario"]],
                rows=_sample(with_dtc, lambda r: r["scenario"] != "valid"))
    report.rule("passports", "a DTC exactly when has_dtc: signed on the issue date, carrying the printed MRZ",
                lambda r: (r["dtc"] is not None) != bool(r["has_dtc"]) or (r["dtc"] is not None and (
                    r["dtc_signed_at"] != r["issue_date"] or verify.dg1_of(r["printed_mrz"]) not in _der(r["dtc"]))))
    report.fact("passports", "about half of the passports have a DTC",
                lambda: None if 0.4 <= _share(len(with_dtc), len(passports)) <= 0.6
                else f"{len(with_dtc)} of {len(passports)} with a DTC")
    report.fact("passports", "negative scenarios are rare: at most 3 % of passports",
                lambda: None if _share(sum(r["scenario"] != "valid" for r in passports), len(passports)) <= 0.03
                else "too many negative scenarios")
    iaca_anchors = [_cert(r["certificate"]) for r in iacas.values()]
    mdl_signers = report.by_key("mdl_signers")
    report.rule("mdl_credentials", "mdoc issuer-signed by the credential's signer, valid on its issue date",
                lambda r: verify.verify_mdoc(_der(r["mdoc"]), iaca_anchors, _noon(r["issue_date"])) is not None
                or _der(mdl_signers[r["mdl_signer_id"]]["certificate"]) not in _der(r["mdoc"])
                or r["document_number"].encode() not in _der(r["mdoc"]),
                rows=_sample(report.rows("mdl_credentials"), lambda r: False))


def check_travel_documents(report: Report, reference_time: datetime):
    today = reference_time.date()
    countries = report.by_key("countries")
    cscas = report.by_key("csca_certificates")
    signers = report.by_key("ds_certificates")
    check_travel_documents_pki(report)
    report.fact("countries", "a lookup table of the 10 ICAO countries, whatever the rows_scale",
                lambda: None if sorted(c["icao_code"] for c in countries.values()) == sorted(COUNTRY_LOCALES)
                else f"codes {sorted(c['icao_code'] for c in countries.values())}")

    report.rule("csca_certificates", "valid_from <= key_usage_end < valid_to, issued by today",
                lambda r: not (as_date(r["valid_from"]) <= as_date(r["key_usage_end"]) < as_date(r["valid_to"])
                               and as_date(r["valid_from"]) <= today))
    report.rule("csca_certificates", "CSCA private key used for at most 5 years (ICAO 9303-12)",
                lambda r: as_date(r["key_usage_end"]) > add_years(as_date(r["valid_from"]), 5))
    report.rule("csca_certificates", "CSCA certificate valid for at most 20 years",
                lambda r: as_date(r["valid_to"]) > add_years(as_date(r["valid_from"]), 20))

    def ds_outside_csca(r):
        csca = cscas[r["csca_id"]]
        return not (as_date(csca["valid_from"]) <= as_date(r["valid_from"])
                    and as_date(r["valid_to"]) <= as_date(csca["valid_to"]))
    report.rule("ds_certificates", "DS certificate lies within its CSCA's validity", ds_outside_csca)
    report.rule("ds_certificates", "DS issued while its CSCA's private key was in use",
                lambda r: as_date(r["valid_from"]) > as_date(cscas[r["csca_id"]]["key_usage_end"]))
    report.rule("ds_certificates", "valid_from <= key_usage_end < valid_to, issued by today",
                lambda r: not (as_date(r["valid_from"]) <= as_date(r["key_usage_end"]) < as_date(r["valid_to"])
                               and as_date(r["valid_from"]) <= today))
    report.rule("ds_certificates", "DS private key used for at most 3 months (ICAO 9303-12)",
                lambda r: as_date(r["key_usage_end"]) > add_months(as_date(r["valid_from"]), 3))
    report.rule("ds_certificates", "DS of the CSCA's country",
                lambda r: r["country_id"] != cscas[r["csca_id"]]["country_id"]
                or r["country_code"] != cscas[r["csca_id"]]["country_code"])

    revoked_on = {r["ds_id"]: as_date(r["revoked_at"]) for r in signers.values() if r["revoked_at"] is not None}

    def age_at_issue(r):
        return full_years(as_date(r["birth_date"]), as_date(r["issue_date"]))

    report.rule("passports", "issued after the holder's birth and by today",
                lambda r: not as_date(r["birth_date"]) < as_date(r["issue_date"]) <= today)
    report.rule("passports", "expires after its issue, valid for at most 10 years",
                lambda r: not as_date(r["issue_date"]) < as_date(r["expiry_date"])
                <= add_years(as_date(r["issue_date"]), 10))
    report.rule("passports", "a minor's passport valid for at most 5 years",
                lambda r: age_at_issue(r) < 18 and as_date(r["expiry_date"]) > add_years(as_date(r["issue_date"]), 5))
    report.rule("passports", "signed by a DS whose private key was in use on the issue date (but revoked_ds)",
                lambda r: r["scenario"] != "revoked_ds" and not as_date(signers[r["ds_id"]]["valid_from"])
                <= as_date(r["issue_date"]) <= as_date(signers[r["ds_id"]]["key_usage_end"]))
    report.rule("passports", "signed by a DS not revoked by the issue date (but revoked_ds)",
                lambda r: r["scenario"] != "revoked_ds" and r["ds_id"] in revoked_on
                and revoked_on[r["ds_id"]] <= as_date(r["issue_date"]))
    report.rule("passports", "revoked_ds: signed by a revoked DS, on or after the CRL listing it, while it is valid",
                lambda r: r["scenario"] == "revoked_ds" and not (
                    r["ds_id"] in revoked_on
                    and as_date(signers[r["ds_id"]]["revocation_listed_from"]) <= as_date(r["issue_date"])
                    <= as_date(signers[r["ds_id"]]["valid_to"])))
    report.rule("passports", "signed by a passport DS",
                lambda r: signers[r["ds_id"]]["document_type"] != "passport")
    report.rule("passports", "issuing state and nationality are the signer's country",
                lambda r: not r["issuing_state"] == r["nationality"] == signers[r["ds_id"]]["country_code"])
    report.rule("passports", "MRZ check digits and fields match the row (ICAO 9303-4)", _mrz_problem)
    report.rule("passports", "MRZ names are the holder's names in ICAO Latin form", _mrz_name_problem)
    report.rule("passports", "surname and given names from the issuing country's locale",
                lambda r: not (_name_follows_locale(r["surname"], COUNTRY_LOCALES[r["nationality"]], "last")
                               and _name_follows_locale(r["given_names"].split(" ")[0],
                                                        COUNTRY_LOCALES[r["nationality"]], "first")))
    report.rule("passports", "place of birth from the issuing country's locale",
                lambda r: not place_follows_locale(r["place_of_birth"], COUNTRY_LOCALES[r["nationality"]]))

    report.rule("ds_certificates", "revoked after its key stopped signing, while valid, by the CSCA's latest CRL",
                lambda r: r["revoked_at"] is not None and not (
                    as_date(r["key_usage_end"]) < as_date(r["revoked_at"]) < as_date(r["valid_to"])
                    and as_date(r["revoked_at"]) <= as_date(cscas[r["csca_id"]]["last_crl_issued"]) <= today))
    report.rule("ds_certificates", "a reason and a first listing exactly when revoked",
                lambda r: (r["revoked_at"] is None) != (r["revocation_reason"] is None)
                or (r["revoked_at"] is None) != (r["revocation_crl_number"] is None))
    report.fact("ds_certificates", "about one DS in seven is revoked",
                lambda: None if 0.05 <= _share(len(revoked_on), len(signers)) <= 0.35
                else f"{len(revoked_on)} of {len(signers)} revoked")

    def crl_periods():
        per_csca = defaultdict(list)
        for r in report.rows("crls"):
            per_csca[r["csca_id"]].append(r)
        bad = []
        for csca_id, crls in per_csca.items():
            numbers = [r["crl_number"] for r in crls]
            periods = [(as_date(r["this_update"]), as_date(r["next_update"])) for r in crls]
            if numbers != list(range(1, len(crls) + 1)) or periods[0][0] != as_date(cscas[csca_id]["valid_from"]) \
                    or any(a[1] != b[0] for a, b in zip(periods, periods[1:], strict=False)) \
                    or not periods[-1][0] <= today < periods[-1][1]:
                bad.append(csca_id)
        if set(per_csca) != set(cscas):
            bad.append("CSCAs without CRLs")
        return f"CSCAs whose CRLs are not numbered 1.. in order over contiguous periods up to now: {bad[:5]}" if bad \
            else None
    report.fact("crls", "each CSCA's CRLs are numbered 1, 2, ... over contiguous periods from its takeover to now",
                crl_periods)

    def mdl_age(r):
        return full_years(as_date(r["birth_date"]), as_date(r["issue_date"]))

    report.rule("mdl_credentials", "issuing country is the row's country",
                lambda r: r["issuing_country"] != countries[r["country_id"]]["icao_code"])
    report.rule("mdl_credentials", "issued by today, expires after issue, valid for at most 15 years",
                lambda r: not as_date(r["issue_date"]) <= today
                or not as_date(r["issue_date"]) < as_date(r["expiry_date"]) <= add_years(as_date(r["issue_date"]), 15))
    report.rule("mdl_credentials", "age_over_18 agrees with the birth date",
                lambda r: r["age_over_18"] != (full_years(as_date(r["birth_date"]), today) >= 18))
    report.rule("mdl_credentials", "status expired exactly when the expiry date has passed",
                lambda r: (r["status"] == "expired") != (as_date(r["expiry_date"]) < today))
    report.rule("mdl_credentials", "holder old enough for every category on the issue date",
                lambda r: any(mdl_age(r) < LICENCE_MIN_AGE[c] for c in r["categories"]))
    report.rule("mdl_credentials", "every category's prerequisite category is held",
                lambda r: any(LICENCE_REQUIRES.get(c, c) not in r["categories"] for c in r["categories"]))
    report.rule("mdl_credentials", "the vehicle category is one of the categories",
                lambda r: r["vehicle_category"] not in r["categories"])
    report.rule("mdl_credentials", "vehicle category first granted at its minimum age or later, before issue",
                lambda r: not add_years(as_date(r["birth_date"]), LICENCE_MIN_AGE[r["vehicle_category"]])
                <= as_date(r["category_issue_date"]) <= as_date(r["issue_date"]))
    report.rule("mdl_credentials", "the category expires after it was granted and not after the credential",
                lambda r: not as_date(r["category_issue_date"]) < as_date(r["category_expiry_date"])
                <= as_date(r["expiry_date"]))
    report.rule("mdl_credentials", "holder names from the issuing country's locale",
                lambda r: not (_name_follows_locale(r["family_name"], COUNTRY_LOCALES[r["issuing_country"]], "last")
                               and _name_follows_locale(r["given_name"], COUNTRY_LOCALES[r["issuing_country"]],
                                                        "first")))


# ------------------------------------------------------------------------------------------ persons-vehicles
def _wmi_make(vin: str) -> set[str]:
    return {make for make, codes in VIN_WMI.items() if vin[:3] in codes}


def check_persons_vehicles(report: Report, reference_time: datetime):
    today = reference_time.date()
    persons = report.by_key("persons")
    vehicles = report.by_key("vehicles")

    def age(person_id):
        return full_years(as_date(persons[person_id]["birth_date"]), today)

    report.rule("persons", "a state of the United States (or DC)", lambda r: r["state"] not in US_STATE_ZIPS)
    report.rule("persons", "postal code inside the state's ZIP range",
                lambda r: r["state"] not in US_STATE_ZIPS or not re.fullmatch(r"\d{5}", r["postcode"])
                or not US_STATE_ZIPS[r["state"]][0] <= int(r["postcode"]) <= US_STATE_ZIPS[r["state"]][1])
    report.rule("persons", "record created by now and after the person turned 16",
                lambda r: not add_years(as_date(r["birth_date"]), 16) <= as_date(r["created_at"])
                or as_datetime(r["created_at"]) > reference_time)
    report.rule("persons", "national id in the never-assigned 9xx SSN area",
                lambda r: not re.fullmatch(r"9\d{2}-\d{2}-\d{4}", r["national_id"]))

    report.rule("vehicles", "VIN check digit (ISO 3779, position 9)", lambda r: not vin_check_digit_valid(r["vin"]))
    report.rule("vehicles", "VIN manufacturer code is the make's", lambda r: r["make"] not in _wmi_make(r["vin"]))
    report.rule("vehicles", "VIN position 10 codes the model year",
                lambda r: r["vin"][9] != vin_model_year_code(r["model_year"]))
    report.rule("vehicles", "model year at most next year", lambda r: r["model_year"] > today.year + 1)
    report.rule("vehicles", "registered in or after the year before the model year, by today",
                lambda r: not r["model_year"] - 1 <= as_date(r["registered_on"]).year
                or as_date(r["registered_on"]) > today)
    report.rule("vehicles", "registered to an owner aged 16 or more",
                lambda r: as_date(r["registered_on"]) < add_years(as_date(persons[r["owner_id"]]["birth_date"]), 16))

    def vehicle_years(r):
        return max((today - as_date(r["registered_on"])).days / 365.25, 1 / 12)

    report.rule("vehicles", "odometer at most 60,000 km a year since registration",
                lambda r: r["odometer_km"] < 0 or r["odometer_km"] > 60_000 * vehicle_years(r) + 1000)
    report.fact("vehicles", "odometer grows with the vehicle's age (correlation > 0.5)",
                lambda: None if (c := _correlation([vehicle_years(r) for r in report.rows("vehicles")],
                                                   [r["odometer_km"] for r in report.rows("vehicles")])) > 0.5
                else f"correlation {c:.2f}")
    report.rule("vehicles", "Teslas are electric", lambda r: r["make"] == "Tesla" and r["fuel"] != "electric")

    report.rule("profiles", "the driver is the vehicle's owner",
                lambda r: r["person_id"] != vehicles[r["vehicle_id"]]["owner_id"])
    report.rule("profiles", "drivers are at least 16 and licensed",
                lambda r: any(p is not None and (age(p) < 16 or persons[p]["licence_class"] == "none")
                              for p in (r["person_id"], r["second_driver_id"])))
    report.rule("profiles", "the second driver is another person",
                lambda r: r["second_driver_id"] is not None and r["second_driver_id"] == r["person_id"])
    report.rule("profiles", "updated after the vehicle's registration and by now",
                lambda r: as_date(r["updated_at"]) < as_date(vehicles[r["vehicle_id"]]["registered_on"])
                or as_datetime(r["updated_at"]) > reference_time)


# ------------------------------------------------------------------------------------------ content-platform
def _unique_fact(report: Report, table: str, column: str):
    def check():
        values = [r[column] for r in report.rows(table)]
        dupes = len(values) - len(set(values))
        return f"{dupes} duplicate values" if dupes or None in values else None
    report.fact(table, f"{column} unique and present", check)


def check_content_platform(report: Report, reference_time: datetime):
    users = report.by_key("users")
    prompts = report.by_key("prompts")
    items = report.by_key("content_items")
    jobs = report.rows("generation_jobs")

    def signup(user_id):
        return as_datetime(users[user_id]["signed_up_at"])

    for column in ("user_name", "email", "handle"):
        _unique_fact(report, "users", column)
    report.rule("users", "signed up by now", lambda r: as_datetime(r["signed_up_at"]) > reference_time)

    report.rule("prompts", "created after the author signed up, by now",
                lambda r: not signup(r["author_id"]) <= as_datetime(r["created_at"]) <= reference_time)
    report.fact("prompts", "prompts are diverse (at least 90% distinct texts, no subject over 5%)",
                lambda: _diversity_problem(report.rows("prompts")))

    report.rule("content_items", "created by the prompt's author, after the prompt and by now",
                lambda r: r["author_id"] != prompts[r["prompt_id"]]["author_id"]
                or not as_datetime(prompts[r["prompt_id"]]["created_at"]) <= as_datetime(r["created_at"])
                <= reference_time)
    report.rule("content_items", "created after the author signed up",
                lambda r: as_datetime(r["created_at"]) < signup(r["author_id"]))
    report.rule("content_items", "published after creation and by now; drafts unpublished",
                lambda r: (r["status"] == "draft") != (r["published_at"] is None)
                or (r["published_at"] is not None
                    and not as_datetime(r["created_at"]) <= as_datetime(r["published_at"]) <= reference_time))
    report.rule("content_items", "the title names its prompt's subject",
                lambda r: prompts[r["prompt_id"]]["subject"].lower() not in r["title"].lower())
    report.rule("content_items", "an image path of its own",
                lambda r: not r["image_path"] or str(r["item_id"]) not in r["image_path"])
    report.rule("content_items", "likes at most views, drafts unseen",
                lambda r: r["likes"] > r["views"] or (r["status"] == "draft" and r["views"] != 0))
    job_by_id = {j["job_id"]: j for j in jobs}

    def finished(job):
        return as_datetime(job["submitted_at"]) + timedelta(milliseconds=job["queue_ms"] + job["duration_ms"])
    report.rule("content_items", "links to the completed job that made it, finished by the item's creation",
                lambda r: (job := job_by_id.get(r["job_id"])) is None or job["status"] != "completed"
                or job["item_id"] != r["item_id"] or finished(job) > as_datetime(r["created_at"]))

    report.rule("generation_jobs", "submitted after the prompt existed and by now",
                lambda r: not as_datetime(prompts[items[r["item_id"]]["prompt_id"]]["created_at"])
                <= as_datetime(r["submitted_at"]) <= reference_time)
    report.rule("generation_jobs", "requested by the item's author, after their signup",
                lambda r: r["requested_by"] != items[r["item_id"]]["author_id"]
                or as_datetime(r["submitted_at"]) < signup(r["requested_by"]))
    report.rule("generation_jobs", "output tokens within the prompt's max_tokens, none unless completed",
                lambda r: not 0 <= r["output_tokens"] <= prompts[items[r["item_id"]]["prompt_id"]]["max_tokens"]
                or (r["status"] != "completed" and r["output_tokens"] != 0)
                or (r["status"] == "completed" and r["output_tokens"] == 0))
    report.rule("generation_jobs", "an error message exactly for failed and timed-out jobs",
                lambda r: (r["error"] is None) != (r["status"] in ("completed", "cancelled")))
    report.fact("generation_jobs", "most jobs complete (90-99.5%)",
                lambda: None if 0.9 <= (s := _share(sum(j["status"] == "completed" for j in jobs), len(jobs))) <= 0.995
                else f"completed share {s:.3f}")


def _diversity_problem(prompts: list[dict]) -> str | None:
    texts = [p["text"] for p in prompts]
    distinct = _share(len(set(texts)), len(texts))
    subjects = defaultdict(int)
    for p in prompts:
        subjects[p["subject"]] += 1
    top = max(subjects.values()) / len(prompts)
    if distinct < 0.9 or top > 0.05:
        return f"{distinct:.1%} distinct texts, most common subject {top:.1%} of prompts"
    return None


# ------------------------------------------------------------------------------------------ tailings-monitoring
def check_tailings_monitoring(report: Report, reference_time: datetime):
    today = reference_time.date()
    facilities = report.by_key("facilities")
    sensors = report.by_key("sensors")
    readings = report.rows("readings")

    def commissioned(facility_id):
        return as_date(facilities[facility_id]["commissioned_on"])

    def inside_country(r):
        south, north, west, east = COUNTRY_BOXES[r["country"]]
        return south <= r["latitude"] <= north and west <= r["longitude"] <= east
    report.rule("facilities", "coordinates inside the facility's country", lambda r: not inside_country(r))
    report.rule("facilities", "commissioned by today", lambda r: as_date(r["commissioned_on"]) > today)

    report.rule("sensors", "installed after the facility was commissioned, by today",
                lambda r: not commissioned(r["facility_id"]) <= as_date(r["installed_on"]) <= today)
    report.rule("sensors", "warning level below the alarm level",
                lambda r: not 0 < r["warning_kpa"] < r["alarm_kpa"])

    report.rule("readings", "measured after the sensor was installed, by now",
                lambda r: not as_date(sensors[r["sensor_id"]]["installed_on"]) <= as_date(r["measured_at"])
                or as_datetime(r["measured_at"]) > reference_time)
    report.rule("readings", "water level, pore pressure, settlement and seepage all measured",
                lambda r: any(r[c] is None for c in ("water_level_m", "pore_pressure_kpa", "settlement_mm",
                                                     "seepage_l_s")))

    def status_of(r):
        sensor = sensors[r["sensor_id"]]
        if r["pore_pressure_kpa"] >= sensor["alarm_kpa"]:
            return "alarm"
        return "warning" if r["pore_pressure_kpa"] >= sensor["warning_kpa"] else "ok"
    report.rule("readings", "status follows the sensor's published warning and alarm levels",
                lambda r: r["status"] != status_of(r))
    report.fact("readings", "statuses: mostly ok, some warnings", lambda: _status_mix(readings))

    per_sensor = defaultdict(list)
    for r in readings:
        per_sensor[r["sensor_id"]].append(r)
    report.fact("readings", "pore pressure and seepage follow the water level (correlation > 0.6 per sensor)",
                lambda: _driver_problem(per_sensor))
    report.fact("readings", "settlement accumulates over time (correlation with time > 0.6 per sensor)",
                lambda: _settlement_problem(per_sensor))
    report.fact("readings", "temperature has a daily cycle (amplitude of hourly means >= 3 C)",
                lambda: _daily_cycle_problem(readings))

    report.rule("compliance_records", "inspected after commissioning, by today",
                lambda r: not commissioned(r["facility_id"]) <= as_date(r["inspected_on"]) <= today)
    report.rule("compliance_records", "corrective action due after the inspection, exactly for non-conformances",
                lambda r: (r["outcome"] == "compliant") != (r["corrective_action_due"] is None)
                or (r["corrective_action_due"] is not None
                    and as_date(r["corrective_action_due"]) <= as_date(r["inspected_on"])))
    report.rule("compliance_records", "findings exactly for non-conformances",
                lambda r: (r["outcome"] == "compliant") != (r["findings"] == 0))

    report.rule("documents", "issued after commissioning (design and plans at most 3 years before), by today",
                lambda r: not add_years(commissioned(r["facility_id"]), -3) <= as_date(r["issued_on"]) <= today
                or (r["document_type"] not in ("design report", "emergency preparedness and response plan")
                    and as_date(r["issued_on"]) < commissioned(r["facility_id"])))
    report.rule("documents", "file size plausible for its page count (20 KB to 2 MB a page)",
                lambda r: not (r["page_count"] >= 1 and 20_000 * r["page_count"] <= r["file_size_bytes"]
                               <= 2_000_000 * r["page_count"]))
    report.rule("documents", "file named after the facility", lambda r: not r["file_name"].startswith(
        facilities[r["facility_id"]]["facility_code"]) or not r["file_name"].endswith(".pdf"))

    report.rule("geotechnical_tests", "sampled after commissioning and tested after sampling, by today",
                lambda r: not commissioned(r["facility_id"]) <= as_date(r["sampled_on"])
                <= as_date(r["tested_on"]) <= today)
    report.rule("geotechnical_tests", "plastic limit below liquid limit, plasticity index their difference",
                lambda r: not r["plastic_limit_pct"] < r["liquid_limit_pct"]
                or abs(r["plasticity_index_pct"] - (r["liquid_limit_pct"] - r["plastic_limit_pct"])) > 0.11)
    report.rule("geotechnical_tests", "USCS group follows the Casagrande chart",
                lambda r: r["uscs_group"] != _uscs(r["liquid_limit_pct"], r["plasticity_index_pct"]))
    report.rule("geotechnical_tests", "sample depth within the dam height",
                lambda r: not 0 < r["depth_m"] <= facilities[r["facility_id"]]["dam_height_m"])

    report.rule("environmental_records", "sampled after commissioning, by today",
                lambda r: not commissioned(r["facility_id"]) <= as_date(r["sampled_on"]) <= today)
    report.rule("environmental_records", "unit is the parameter's", lambda r: r["unit"] != _ENV_UNITS[r["parameter"]])
    report.rule("environmental_records", "exceedance flag agrees with the guideline limit",
                lambda r: r["exceeds_limit"] != (r["value"] > r["guideline_limit"]))

    report.rule("financial_records", "recorded after commissioning, by today, in its fiscal year",
                lambda r: not commissioned(r["facility_id"]) <= as_date(r["recorded_on"]) <= today
                or r["fiscal_year"] != as_date(r["recorded_on"]).year)
    report.rule("financial_records", "in the currency of the facility's country",
                lambda r: r["currency"] != COUNTRY_CURRENCY[facilities[r["facility_id"]]["country"]])
    report.rule("financial_records", "amounts positive", lambda r: not r["amount"] > 0)


_ENV_UNITS = {"pH": "pH units", "electrical conductivity": "uS/cm", "sulfate": "mg/L", "arsenic": "ug/L",
              "copper": "ug/L", "total suspended solids": "mg/L", "PM10": "ug/m3"}


def _uscs(liquid_limit: float, plasticity_index: float) -> str:
    clay = plasticity_index >= 0.73 * (liquid_limit - 20)
    high = liquid_limit >= 50
    return ("CH" if high else "CL") if clay else ("MH" if high else "ML")


def _status_mix(readings) -> str | None:
    counts = defaultdict(int)
    for r in readings:
        counts[r["status"]] += 1
    if not counts["ok"] > counts["warning"] > 0 or counts["alarm"] > counts["warning"]:
        return f"statuses {dict(counts)}"
    return None


def _driver_problem(per_sensor) -> str | None:
    bad = []
    for sensor_id, rows in per_sensor.items():
        level = [r["water_level_m"] for r in rows]
        if _correlation(level, [r["pore_pressure_kpa"] for r in rows]) < 0.6 \
                or _correlation(level, [r["seepage_l_s"] for r in rows]) < 0.6:
            bad.append(sensor_id)
    return f"{len(bad)} of {len(per_sensor)} sensors, first ids {bad[:5]}" if bad else None


def _settlement_problem(per_sensor) -> str | None:
    bad = [sensor_id for sensor_id, rows in per_sensor.items()
           if _correlation(range(len(rows)), [r["settlement_mm"] for r in rows]) < 0.6]
    return f"{len(bad)} of {len(per_sensor)} sensors, first ids {bad[:5]}" if bad else None


def _daily_cycle_problem(readings) -> str | None:
    by_hour = defaultdict(list)
    for r in readings:
        by_hour[as_datetime(r["measured_at"]).hour].append(r["temperature_c"])
    means = [sum(v) / len(v) for v in by_hour.values()]
    if len(by_hour) < 24 or max(means) - min(means) < 3:
        return f"hourly means span {max(means) - min(means):.1f} C over {len(by_hour)} hours"
    return None


# ------------------------------------------------------------------------------------------ ecommerce
_ECOMMERCE_CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR", "AU": "AUD"}


def check_ecommerce(report: Report, reference_time: datetime):
    today = reference_time.date()
    customers = report.by_key("customers")
    products = report.by_key("products")
    orders = report.by_key("orders")

    _unique_fact(report, "customers", "email")
    report.rule("customers", "signed up by now", lambda r: as_datetime(r["signed_up_at"]) > reference_time)
    report.rule("customers", "postcode shaped as in the customer's country",
                lambda r: not re.fullmatch(POSTCODE_PATTERNS[r["country"]], r["postcode"]))
    report.rule("customers", "email an ASCII address", lambda r: not re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]+",
                                                                                  r["email"]))
    report.rule("products", "on sale by today", lambda r: as_date(r["added_on"]) > today)
    report.rule("orders", "placed after the customer signed up, by now",
                lambda r: not as_datetime(customers[r["customer_id"]]["signed_up_at"]) <= as_datetime(r["placed_at"])
                <= reference_time)
    report.rule("orders", "shipped to the customer's country, in its currency",
                lambda r: r["ship_to_country"] != customers[r["customer_id"]]["country"]
                or r["currency"] != _ECOMMERCE_CURRENCY[r["ship_to_country"]])
    report.rule("orders", "a Luhn-valid card number exactly for card payments",
                lambda r: (r["payment_method"] == "card") != (r["card_number"] is not None)
                or (r["card_number"] is not None and not luhn_valid(r["card_number"])))
    report.rule("orders", "orders still processing or shipping were placed in the last 30 days",
                lambda r: r["status"] in ("processing", "shipped")
                and as_datetime(r["placed_at"]) < reference_time - timedelta(days=30))
    report.rule("order_items", "the product was on sale before it was ordered",
                lambda r: as_date(products[r["product_id"]]["added_on"]) > as_date(orders[r["order_id"]]["placed_at"]))
    report.rule("order_items", "unit price is the product's price, line total quantity times price",
                lambda r: r["unit_price"] != products[r["product_id"]]["price"]
                or r["line_total"] != round(r["quantity"] * r["unit_price"], 2) or not r["quantity"] >= 1)


# ------------------------------------------------------------------------------------------ hr-basic
def check_hr_basic(report: Report, reference_time: datetime):
    today = reference_time.date()
    departments = report.by_key("departments")
    employees = report.by_key("employees")

    report.fact("departments", "a lookup table of 8 departments, whatever the rows_scale",
                lambda: None if len(departments) == 8 and len({d["dept_name"] for d in departments.values()}) == 8
                else f"{len(departments)} departments")
    report.rule("departments", "founded by today", lambda r: as_date(r["founded_on"]) > today)
    _unique_fact(report, "employees", "email")
    report.rule("employees", "hired at 16 or older", lambda r: as_date(r["hired_on"])
                < add_years(as_date(r["birth_date"]), 16))
    report.rule("employees", "hired after the department existed, by today",
                lambda r: not as_date(departments[r["dept_id"]]["founded_on"]) <= as_date(r["hired_on"]) <= today)
    report.rule("employees", "department name is the department's",
                lambda r: r["department"] != departments[r["dept_id"]]["dept_name"])
    report.rule("employees", "leavers left after they were hired and by today; current staff have not left",
                lambda r: (r["is_active"]) != (r["left_on"] is None)
                or (r["left_on"] is not None and not as_date(r["hired_on"]) < as_date(r["left_on"]) <= today))
    report.rule("employees", "current staff under 75", lambda r: r["is_active"]
                and full_years(as_date(r["birth_date"]), today) >= 75)
    report.rule("employees", "a valid National Insurance number",
                lambda r: not ni_number_valid(r["national_insurance"]))
    report.rule("employees", "a valid GB IBAN", lambda r: not (r["bank_account"].startswith("GB")
                                                                 and iban_valid(r["bank_account"])))
    report.rule("employees", "manager is another, earlier employee and named as such",
                lambda r: r["manager_id"] is not None and (r["manager_id"] >= r["emp_id"]
                                                           or r["manager_name"] != "{} {}".format(
                                                               employees[r["manager_id"]]["first_name"],
                                                               employees[r["manager_id"]]["last_name"])))


CHECKERS = {
    "travel-documents": check_travel_documents,
    "persons-vehicles": check_persons_vehicles,
    "content-platform": check_content_platform,
    "tailings-monitoring": check_tailings_monitoring,
    "ecommerce": check_ecommerce,
    "hr-basic": check_hr_basic,
}

__all__ = ["CHECKERS", "date"]
