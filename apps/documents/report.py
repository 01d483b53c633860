"""The validation report of a version's travel-document objects, from its spec and its rows.

The spec says which columns hold what (column types x509_certificate, crl, master_list, mdoc, sod, dtc and the
columns a sod or dtc reads); the rows are read as stored. Work is bounded: at most MAX_DOCUMENTS signed documents
of each kind are checked (the report says when it stopped early), and failures are listed up to MAX_LISTED.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from cryptography import x509

from . import verify

MAX_DOCUMENTS = 200_000
MAX_CERTIFICATES = 100_000
MAX_LISTED = 20
RowReader = Callable[[str, tuple[str, ...]], Iterable[dict]]


def _columns(doc: dict, kind: str, role: str | None = None) -> list[tuple[str, str, dict]]:
    return [(table, name, spec) for table, tspec in doc["tables"].items()
            for name, spec in tspec["columns"].items()
            if spec["type"] == kind and (role is None or spec.get("role") == role)]


def _der(text) -> bytes | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _moment(value) -> datetime | None:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if len(value) == 10:  # a date: documents are signed during their issue day, take its noon
            moment = moment.replace(hour=12)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 12, tzinfo=UTC)
    return None


def _section() -> dict:
    return {"checked": 0, "valid": 0, "failures": []}


def _fail(section: dict, where: dict) -> None:
    if len(section["failures"]) < MAX_LISTED:
        section["failures"].append(where)


def build_report(doc: dict, rows: RowReader) -> dict:
    """The report (JSON-ready) of every document object of the version whose normalised spec is `doc`."""
    anchors: list[x509.Certificate] = []
    for table, column, _ in _columns(doc, "x509_certificate", "csca"):
        for row in rows(table, (column,)):
            data = _der(row.get(column))
            if data is not None and len(anchors) < MAX_CERTIFICATES:
                try:
                    anchors.append(x509.load_der_x509_certificate(data))
                except ValueError:
                    continue
    certificates = _section()
    for table, column, spec in _columns(doc, "x509_certificate"):
        for index, row in enumerate(rows(table, (column,))):
            data = _der(row.get(column))
            if data is None or certificates["checked"] >= MAX_CERTIFICATES:
                continue
            certificates["checked"] += 1
            try:
                cert = x509.load_der_x509_certificate(data)
            except ValueError:
                _fail(certificates, {"table": table, "column": column, "row": index, "reason": "malformed"})
                continue
            issuer = verify.issued_by(cert, anchors if spec["role"] != "csca" else [cert])
            if issuer is None:
                _fail(certificates, {"table": table, "column": column, "row": index, "reason": "unknown_csca"})
            elif spec["role"] == "ds" and not (issuer.not_valid_before_utc <= cert.not_valid_before_utc
                                               and cert.not_valid_after_utc <= issuer.not_valid_after_utc):
                _fail(certificates, {"table": table, "column": column, "row": index,
                                     "reason": "validity_not_nested_in_csca"})
            else:
                certificates["valid"] += 1
    crls = _section()
    # The verified CRLs of each CSCA: a document is checked against the one in force when it was signed.
    revoked = verify.RevocationLists()
    for table, column, _ in _columns(doc, "crl"):
        numbers: dict[bytes, list[int]] = {}
        for index, row in enumerate(rows(table, (column,))):
            data = _der(row.get(column))
            if data is None:
                continue
            crls["checked"] += 1
            reason, crl, csca = verify.verify_crl(data, anchors)
            if reason is not None:
                _fail(crls, {"table": table, "column": column, "row": index, "reason": reason})
                continue
            crls["valid"] += 1
            key = csca.subject.public_bytes()
            revoked.add(key, crl)
            number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
            numbers.setdefault(key, []).append(number)
        for seen in numbers.values():
            if seen != sorted(seen) or len(set(seen)) != len(seen):
                _fail(crls, {"table": table, "column": column, "reason": "crl_numbers_not_increasing"})
    master_lists = _section()
    master_lists["certificates"] = 0
    for table, column, _ in _columns(doc, "master_list"):
        for index, row in enumerate(rows(table, (column,))):
            data = _der(row.get(column))
            if data is None:
                continue
            master_lists["checked"] += 1
            reason, count = verify.verify_master_list(data, anchors)
            if reason is None:
                master_lists["valid"] += 1
                master_lists["certificates"] += count
            else:
                _fail(master_lists, {"table": table, "column": column, "row": index, "reason": reason})
    mdocs = _section()
    for table, column, spec in _columns(doc, "mdoc"):
        for index, row in enumerate(rows(table, (column, spec["signed_at"]))):
            data = _der(row.get(column))
            if data is None or mdocs["checked"] >= MAX_DOCUMENTS:
                continue
            mdocs["checked"] += 1
            reason = verify.verify_mdoc(data, anchors, _moment(row.get(spec["signed_at"])))
            if reason is None:
                mdocs["valid"] += 1
            else:
                _fail(mdocs, {"table": table, "column": column, "row": index, "reason": reason})
    documents = _documents(doc, rows, anchors, revoked)
    dtcs = _documents(doc, rows, anchors, revoked, kind="dtc")
    ok = (not certificates["failures"] and not crls["failures"] and not master_lists["failures"]
          and not mdocs["failures"]
          and all(not section["mismatches"] and all(s["rate_ok"] is not False for s in section["scenarios"].values())
                  for section in (documents, dtcs)))
    return {"ok": ok, "trust_anchors": len(anchors), "certificates": certificates, "crls": crls,
            "master_lists": master_lists, "mdocs": mdocs, "documents": documents, "dtcs": dtcs}


def _expected_shares(spec: dict | None) -> dict[str, float]:
    if not spec or spec["type"] != "choice" or not spec.get("values"):
        return {}
    weights = spec.get("weights") or [1] * len(spec["values"])
    total = float(sum(weights))
    return {str(v): w / total for v, w in zip(spec["values"], weights, strict=True)} if total > 0 else {}


def _documents(doc: dict, rows: RowReader, anchors, revoked, kind: str = "sod") -> dict:
    """The signed documents of columns of type `kind`: passports' SODs (`sod`) or DTC virtual components (`dtc`),
    each checked against its scenario label."""
    checked = accepted = 0
    labels: Counter = Counter()
    as_labelled: Counter = Counter()
    mismatches: list[dict] = []
    mismatch_count = 0
    truncated = False
    expected: dict[str, float] = {}
    for table, column, spec in _columns(doc, kind):
        scenario = spec.get("scenario")
        wanted = tuple(c for c in (column, spec["dg1"], spec["signed_at"], scenario) if c)
        expected.update(_expected_shares(doc["tables"][table]["columns"].get(scenario) if scenario else None))
        for index, row in enumerate(rows(table, wanted)):
            if checked >= MAX_DOCUMENTS:
                truncated = True
                break
            data, mrz, when = _der(row.get(column)), row.get(spec["dg1"]), _moment(row.get(spec["signed_at"]))
            if data is None or not isinstance(mrz, str) or when is None:
                continue
            checked += 1
            label = str(row.get(scenario)) if scenario and row.get(scenario) is not None else "valid"
            labels[label] += 1
            if kind == "dtc":
                reason = verify.verify_dtc(data, when, anchors, revoked)
            else:
                reason = verify.verify_sod(data, mrz, when, anchors, revoked)
            accepted += reason is None
            if label in verify.EXPECTED_REASONS and reason == verify.EXPECTED_REASONS[label]:
                as_labelled[label] += 1
            else:
                mismatch_count += 1
                if len(mismatches) < MAX_LISTED:
                    mismatches.append({"table": table, "row": index, "scenario": label, "reason": reason,
                                       "expected": verify.EXPECTED_REASONS.get(label, "unknown scenario label")})
    scenarios = {}
    base_rows = sum(n for label, n in labels.items() if label in expected)
    for label, n in sorted(labels.items()):
        share = n / checked if checked else 0.0
        declared = expected.get(label)
        rate_ok = None
        observed = None
        if declared is not None and base_rows:
            # Rows another rule relabelled (a `when` clause) leave the choice: compare among the rows it labelled.
            observed = n / base_rows
            tolerance = 4 * math.sqrt(declared * (1 - declared) / base_rows) + 0.005
            rate_ok = abs(observed - declared) <= tolerance
        scenarios[label] = {"rows": n, "share": round(share, 6), "declared_share": declared,
                            "share_of_drawn": None if observed is None else round(observed, 6), "rate_ok": rate_ok,
                            "expected_reason": verify.EXPECTED_REASONS.get(label),
                            "rejected_as_labelled": as_labelled[label]}
    return {"checked": checked, "accepted": accepted, "truncated": truncated, "scenarios": scenarios,
            "mismatch_count": mismatch_count, "mismatches": mismatches}
