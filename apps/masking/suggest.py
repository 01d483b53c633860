"""Masking rules suggested from a profile: each PII finding mapped to a rule, keys and their foreign keys
masked with one keyed function, everything else kept. The result is a draft the user reviews and saves.

It reads only what a profile records about columns (their kind, their PII findings with a confidence, the
key candidates, the primary key and the foreign keys), never a value: statistics with values (min, max, top
values, categories) are not looked at, so no sample value can reach the suggestion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TYPES = {
    "int": "integer",
    "float": "float",
    "bool": "boolean",
    "date": "date",
    "datetime": "datetime",
    "string": "string",
}
SHIFT_DAYS = 180

# A national-id column's format under format_preserving, from its name (else plain characters).
_NATIONAL_FORMATS = (
    (re.compile(r"bsn|burgerservice"), "nl_bsn"),
    (re.compile(r"personnummer|personnr"), "se_personnummer"),
    (re.compile(r"hetu|henkilotunnus"), "fi_hetu"),
    (re.compile(r"\bnir\b|insee|secu"), "fr_nir"),
    (re.compile(r"\bdni\b|\bnie\b|\bnif\b"), "es_dni"),
    (re.compile(r"codice ?fiscale|\bcf\b"), "it_codice_fiscale"),
    (re.compile(r"steuer|idnr"), "de_steuer_id"),
)


@dataclass(frozen=True)
class Suggestion:
    """Why a column got its rule (shown beside the draft; no value)."""

    table: str
    column: str
    rule: str
    reason: str
    confidence: float | None = None

    def as_dict(self) -> dict:
        return {
            "table": self.table,
            "column": self.column,
            "rule": self.rule,
            "reason": self.reason,
            "confidence": self.confidence,
        }


def _words(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower())


def national_format(column: str) -> str:
    words = _words(column).replace("_", " ")
    for pattern, fmt in _NATIONAL_FORMATS:
        if pattern.search(words):
            return fmt
    return "plain"


def _best_finding(info: dict) -> dict | None:
    findings = info.get("pii") or []
    return max(findings, key=lambda f: f.get("confidence", 0)) if findings else None


def _pii_rule(
    kind: str, column: str, column_type: str, table_key: str | None, names: dict[str, str], unique: bool,
    scheme: str | None = None,
) -> dict:
    """The rule of one PII finding (before the type fit check). A national id's format is the scheme its values
    were found to pass (the finding's `scheme`) when masking knows it, else the one its column name says."""
    if kind == "email":
        if names.get("first_name") and names.get("last_name"):
            rule = {
                "rule": "derive",
                "template": f"{{{names['first_name']}}}.{{{names['last_name']}}}@example.com",
                "slug": True,
            }
        elif names.get("name"):
            rule = {"rule": "derive", "template": f"{{{names['name']}}}@example.com", "slug": True}
        else:
            rule = {"rule": "fake", "provider": "email"}
    elif kind in ("name", "first_name", "last_name"):
        rule = {"rule": "fake", "provider": kind}
    elif kind in ("phone", "postcode"):
        rule = {"rule": "format_preserving"}
    elif kind in ("iban", "card", "vin"):
        rule = {"rule": "format_preserving", "format": kind}
    elif kind == "national_id":
        from .engine.rules import FP_FORMATS

        fmt = scheme if scheme in FP_FORMATS and scheme not in ("plain", "card", "iban", "vin") else None
        rule = {"rule": "format_preserving", "format": fmt or national_format(column)}
    elif kind == "birth_date":
        rule = {"rule": "shift_date", "days": SHIFT_DAYS}
        if table_key:
            rule["entity"] = table_key
    elif kind == "free_text":
        rule = {"rule": "redact_text"}
    elif kind == "address":
        rule = {"rule": "fake", "provider": "street_address"}
    elif kind == "city":
        rule = {"rule": "fake", "provider": "city"}
    elif kind == "ip_address":
        rule = {"rule": "fake", "provider": "ipv4"}
    else:
        rule = {"rule": "null"}
    if unique and rule["rule"] in ("fake", "format_preserving", "derive") and column_type == "string":
        rule["unique"] = True
    return rule


def _fits(rule: dict, column_type: str) -> bool:
    from .engine.rules import RULE_TYPES

    return column_type in RULE_TYPES[rule["rule"]] and not (
        column_type == "integer" and rule.get("format", "plain") != "plain"
    )


def _fallback(column_type: str) -> dict:
    """A finding whose rule cannot mask the column's type: its characters masked, or nothing kept."""
    return {"rule": "format_preserving"} if column_type in ("string", "integer") else {"rule": "null"}


def suggest_rules(result: dict, *, locale: str = "en_US") -> tuple[dict, list[Suggestion]]:
    """The draft rules document for a profile's `result`, and why each column got its rule."""
    tables_out: dict[str, dict] = {}
    reasons: list[Suggestion] = []
    tables = result.get("tables") or {}
    foreign = {
        (fk["table"], fk["column"]): (fk["parent"], fk["parent_column"])
        for fk in result.get("foreign_keys") or []
        if fk.get("parent") in tables
    }
    referenced = set(foreign.values())
    for table, tinfo in tables.items():
        columns = tinfo.get("columns") or {}
        key = tinfo.get("primary_key")
        candidates = set(tinfo.get("key_candidates") or [])
        names = {}
        for column, info in columns.items():
            finding = _best_finding(info)
            if finding and finding["kind"] in ("name", "first_name", "last_name") and info.get("kind") == "string":
                names.setdefault(finding["kind"], column)
        out: dict[str, dict] = {}
        for column, info in columns.items():
            column_type = TYPES.get(info.get("kind"), "string")
            finding = _best_finding(info)
            if (table, column) in foreign:
                parent, parent_column = foreign[(table, column)]
                out[column] = {"type": column_type, "references": f"{parent}.{parent_column}"}
                reasons.append(
                    Suggestion(
                        table,
                        column,
                        "references",
                        f"foreign key to {parent}.{parent_column}: masked with its key's function",
                    )
                )
                continue
            if column == key or (table, column) in referenced:
                rule = {"type": column_type, "rule": "format_preserving"}
                if column_type == "string":
                    rule["unique"] = True
                elif column_type not in ("integer",):
                    rule = {"type": column_type, "rule": "keep"}
                out[column] = rule
                why = "referenced key" if (table, column) in referenced else "primary key"
                reasons.append(
                    Suggestion(
                        table,
                        column,
                        rule["rule"],
                        f"{why}: one keyed function with its foreign keys, values kept distinct",
                    )
                )
                continue
            if finding is None:
                out[column] = {"type": column_type, "rule": "keep"} if column_type != "string" else {"rule": "keep"}
                reasons.append(Suggestion(table, column, "keep", "no PII found"))
                continue
            rule = _pii_rule(finding["kind"], column, column_type, key, names, column in candidates,
                             finding.get("scheme"))
            if rule["rule"] == "derive" and any(names.get(k) == column for k in names):
                rule = {"rule": "fake", "provider": "email"}
            if not _fits(rule, column_type):
                rule = _fallback(column_type)
            out[column] = {"type": column_type, **rule} if column_type != "string" else rule
            reasons.append(
                Suggestion(
                    table,
                    column,
                    rule["rule"],
                    f"PII: {finding['kind']} (evidence: {finding.get('evidence', '-')})",
                    finding.get("confidence"),
                )
            )
        tables_out[table] = {"columns": out}
    document = {"version": "1", "locale": locale, "unlisted": "error", "tables": tables_out}
    return document, reasons
