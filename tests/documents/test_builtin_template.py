"""The built-in travel-documents template passes the validation report: every certificate, CRL, master list
and mdoc verifies, and every passport is accepted or refused exactly as its scenario label says."""

from datetime import UTC, datetime

from apps.documents.report import build_report
from apps.generation.engine import generate_chunk, plan
from apps.generation.engine.builtin_templates import load_template

REFERENCE_TIME = datetime(2025, 6, 1, 12, tzinfo=UTC)


def test_the_travel_documents_template_passes_the_validation_report():
    the_plan = plan(load_template("travel-documents"), reference_time=REFERENCE_TIME, document_secret=b"tenant")
    cache: dict[str, list[dict]] = {}

    def rows(table, columns):
        if table not in cache:
            cache[table] = list(generate_chunk(the_plan, table, 0, the_plan.row_counts[table]).rows())
        return cache[table]

    report = build_report(the_plan.spec.doc, rows)
    assert report["ok"], report
    assert report["certificates"]["checked"] == report["certificates"]["valid"] > 300
    assert report["crls"]["valid"] == report["master_lists"]["valid"] == 10
    assert report["mdocs"]["checked"] == report["mdocs"]["valid"] == 1500
    documents = report["documents"]
    assert documents["checked"] == 2000 and documents["mismatch_count"] == 0
    negative = {label for label in documents["scenarios"] if label != "valid"}
    assert negative == {"expired_ds", "not_yet_valid_ds", "wrong_signer", "broken_chain", "tampered_dg1",
                        "bad_mrz_check_digit"}
    # Among the accepted passports are some whose document signer was revoked after it signed them.
    revoked = {r["ds_id"] for r in rows("revocations", ())}
    assert any(p["ds_id"] in revoked for p in rows("passports", ()) if p["scenario"] == "valid")
