"""Pushing a version's trust data into a trust service's tables: trust anchors, DSC certificates, CRL cache and
master lists, upserted on their natural keys.

A mapping names, for each kind, the target table and the version's column that holds the objects:

    {"trust_anchors":    {"table": "trust_anchors",    "source": {"table": "cscas",   "column": "certificate"}},
     "dsc_certificates": {"table": "dsc_certificates", "source": {"table": "signers", "column": "certificate"}},
     "crl_cache":        {"table": "crl_cache",        "source": {"table": "crls",    "column": "crl"}},
     "master_lists":     {"table": "master_lists",     "source": {"table": "master_lists", "column": "master_list"}}}

Every kind is optional. The target columns are the trust service's (KINDS below); the values are read from the
stored objects with `cryptography`. Rows are upserted on (country, serial) for certificates and master lists
(the signer's serial) and on (country, CRL number) for CRLs, so pushing again updates in place. The rules of
every push hold (exports.target_tables): a missing table is created and marked as SynthHub's, a marked one is
written into again, one that exists without the mark is refused before anything is written; all in one
transaction on the target.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping

import psycopg
from cryptography import x509
from cryptography.x509.oid import NameOID
from psycopg import sql

from apps.exports.target_tables import TableState, mark_managed, refuse_unmanaged

from . import asn1, verify

TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_CERTIFICATE_COLUMNS = (("country_code", "text NOT NULL"), ("serial_number", "text NOT NULL"),
                        ("subject", "text NOT NULL"), ("issuer", "text NOT NULL"),
                        ("not_before", "timestamptz NOT NULL"), ("not_after", "timestamptz NOT NULL"),
                        ("fingerprint_sha256", "text NOT NULL"), ("certificate_der", "bytea NOT NULL"))
# kind -> (source column type, roles allowed, target columns, natural key)
KINDS = {
    "trust_anchors": ("x509_certificate", ("csca", "link"), _CERTIFICATE_COLUMNS, ("country_code", "serial_number")),
    "dsc_certificates": ("x509_certificate", ("ds",), _CERTIFICATE_COLUMNS, ("country_code", "serial_number")),
    "crl_cache": ("crl", None, (("country_code", "text NOT NULL"), ("crl_number", "numeric NOT NULL"),
                                ("issuer", "text NOT NULL"), ("this_update", "timestamptz NOT NULL"),
                                ("next_update", "timestamptz"), ("revoked_count", "integer NOT NULL"),
                                ("crl_der", "bytea NOT NULL")), ("country_code", "crl_number")),
    "master_lists": ("master_list", None, (("country_code", "text NOT NULL"), ("signer_serial", "text NOT NULL"),
                                           ("certificate_count", "integer NOT NULL"),
                                           ("fingerprint_sha256", "text NOT NULL"),
                                           ("master_list_der", "bytea NOT NULL")), ("country_code", "signer_serial")),
}


def normalise_mapping(raw: object, doc: Mapping) -> tuple[dict, list[tuple[str, str]]]:
    """(mapping, problems with their paths under `trust_service`)."""
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, Mapping) or not raw:
        return {}, [("trust_service", f"must be a mapping of one or more of {', '.join(KINDS)}")]
    out: dict[str, dict] = {}
    targets: set[str] = set()
    for kind, item in raw.items():
        path = f"trust_service.{kind}"
        if kind not in KINDS:
            problems.append((path, f"unknown kind; expected one of {', '.join(KINDS)}"))
            continue
        if not isinstance(item, Mapping) or set(item) - {"table", "source"}:
            problems.append((path, "must be a mapping {table, source: {table, column}}"))
            continue
        table = item.get("table", kind)
        if not isinstance(table, str) or not TABLE_NAME.match(table):
            problems.append((f"{path}.table", "must be a lower-case SQL name: a-z, 0-9, _ (at most 63 characters)"))
            continue
        if table in targets:
            problems.append((f"{path}.table", f"table {table!r} is the target of another kind"))
            continue
        targets.add(table)
        source = item.get("source")
        if not isinstance(source, Mapping) or set(source) != {"table", "column"}:
            problems.append((f"{path}.source", "must be a mapping {table, column} naming the version's column"))
            continue
        spec = doc["tables"].get(source["table"], {}).get("columns", {}).get(source["column"]) \
            if isinstance(source["table"], str) and isinstance(source["column"], str) else None
        kind_type, roles, _, _ = KINDS[kind]
        if spec is None or spec["type"] != kind_type or (roles and spec.get("role") not in roles):
            wanted = f"{kind_type} column" + (f" of role {' or '.join(roles)}" if roles else "")
            problems.append((f"{path}.source", f"the version has no {wanted} {source['table']}.{source['column']}"))
            continue
        out[kind] = {"table": table, "source": {"table": source["table"], "column": source["column"]}}
    return out, problems


def _country(name: x509.Name) -> str:
    found = name.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    return str(found[0].value) if found else ""


def _certificate_row(der: bytes) -> tuple:
    cert = x509.load_der_x509_certificate(der)
    return (_country(cert.subject), format(cert.serial_number, "X"), cert.subject.rfc4514_string(),
            cert.issuer.rfc4514_string(), cert.not_valid_before_utc, cert.not_valid_after_utc,
            hashlib.sha256(der).hexdigest(), der)


def _crl_row(der: bytes) -> tuple:
    crl = x509.load_der_x509_crl(der)
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    return (_country(crl.issuer), number, crl.issuer.rfc4514_string(), crl.last_update_utc, crl.next_update_utc,
            len(crl), der)


def _master_list_row(der: bytes) -> tuple:
    signed = verify.open_signed_data(der)
    signer = signed.signer_certificate()
    if signer is None:
        raise ValueError("a master list without its signer's certificate")
    _version, certificates = asn1.parse(signed.content).children()
    return (_country(signer.subject), format(signer.serial_number, "X"), len(certificates.children()),
            hashlib.sha256(der).hexdigest(), der)


_ROWS = {"trust_anchors": _certificate_row, "dsc_certificates": _certificate_row, "crl_cache": _crl_row,
         "master_lists": _master_list_row}


def push_trust_service(connection: psycopg.Connection, mapping: Mapping,
                       rows_of: Callable[[str, str], Iterable[str | None]]) -> dict[str, int]:
    """Rows upserted per target table. `rows_of(table, column)` yields the version's base64 values."""
    counts: dict[str, int] = {}
    tables = [item["table"] for item in mapping.values()]
    with connection.transaction():
        states = refuse_unmanaged(connection, tables)
        for kind, item in mapping.items():
            _, _, columns, key = KINDS[kind]
            table = item["table"]
            if states[table] is TableState.MISSING:
                definition = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind_sql))
                                                for name, kind_sql in columns)
                connection.execute(sql.SQL("CREATE TABLE {} ({}, PRIMARY KEY ({}))").format(
                    sql.Identifier(table), definition, sql.SQL(", ").join(sql.Identifier(k) for k in key)))
                mark_managed(connection, table, note=f"trust service {kind}, created by a SynthHub push")
            names = [name for name, _ in columns]
            others = [name for name in names if name not in key]
            statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}").format(
                sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(n) for n in names),
                sql.SQL(", ").join([sql.Placeholder()] * len(names)),
                sql.SQL(", ").join(sql.Identifier(k) for k in key),
                sql.SQL(", ").join(sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(n), sql.Identifier(n))
                                   for n in others))
            rows = {}
            for value in rows_of(item["source"]["table"], item["source"]["column"]):
                if not value:
                    continue
                row = _ROWS[kind](base64.b64decode(value))
                rows[tuple(row[names.index(k)] for k in key)] = row  # one row per natural key: the last wins
            with connection.cursor() as cursor:
                cursor.executemany(statement, list(rows.values()))
            counts[table] = len(rows)
    return counts
