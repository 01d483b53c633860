"""Helpers shared by the document column types (x509_certificate, crl, sod, master_list, document_mrz).

A document column names its signer as `{reference: <reference column of the row>, certificate: <certificate
column of the referenced table>}`: the signing key is the key of the referenced row's certificate, derived
again from (secret, seed, table, column, row) rather than read from anywhere, so a block of documents needs
only the parent rows' certificates (recomputed like any referenced value) and no shared state.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
from cryptography import x509

from ..column_types import check_keys, describe, join
from ..pki import keys
from ..values import Col, object_array

SIGNER_KEYS = ("reference", "certificate")
CERTIFICATE_CACHE_SIZE = 4096


def read_column(raw: Mapping, key: str, path: str, ctx, *, required: bool) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            ctx.add(join(path, key), "is required: a column name")
        return None
    if not isinstance(value, str) or not value:
        ctx.add(join(path, key), f"must be a column name, got {describe(value)}")
        return None
    return value


def read_signer(raw: Mapping, key: str, path: str, ctx, *, required: bool) -> dict | None:
    value = raw.get(key)
    spath = join(path, key)
    if value is None:
        if required:
            ctx.add(spath, "is required: {reference: <reference column>, certificate: <certificate column of the "
                           "referenced table>}")
        return None
    if not isinstance(value, Mapping):
        ctx.add(spath, f"must be a mapping {{reference, certificate}}, got {describe(value)}")
        return None
    check_keys(value, SIGNER_KEYS, spath, ctx, "signer")
    reference = read_column(value, "reference", spath, ctx, required=True)
    certificate = read_column(value, "certificate", spath, ctx, required=True)
    return {"reference": reference, "certificate": certificate}


def check_signer(doc: dict, table_name: str, signer: dict | None, path: str, ctx, *, roles: tuple[str, ...]) -> None:
    """The signer's reference column is a reference (or the `per` column) and its certificate column a
    certificate of one of `roles` in the referenced table."""
    if not signer or not signer["reference"] or not signer["certificate"]:
        return
    table = doc["tables"][table_name]
    ref = table["columns"].get(signer["reference"])
    if ref is None:
        ctx.add(join(path, "reference"), f"names unknown column {signer['reference']!r}")
        return
    if ref["type"] != "reference":
        ctx.add(join(path, "reference"), f"column {signer['reference']!r} must be a reference column")
        return
    parent = doc["tables"].get(ref["table"])
    if parent is None:
        return
    cert = parent["columns"].get(signer["certificate"])
    if cert is None or cert["type"] != "x509_certificate":
        ctx.add(join(path, "certificate"), f"table {ref['table']!r} has no x509_certificate column "
                                           f"{signer['certificate']!r}")
    elif cert["role"] not in roles:
        ctx.add(join(path, "certificate"), f"column {signer['certificate']!r} holds {cert['role']} certificates; "
                                           f"a signer here must be {' or '.join(roles)}")


def check_signer_ecdsa(doc: dict, table_name: str, signer: dict | None, path: str, what: str, ctx) -> None:
    """A signer whose certificate column holds RSA keys is a problem where only ECDSA is signed (`what`)."""
    if not signer or not signer["reference"] or not signer["certificate"]:
        return
    ref = doc["tables"][table_name]["columns"].get(signer["reference"]) or {}
    cert = (doc["tables"].get(ref.get("table")) or {"columns": {}})["columns"].get(signer["certificate"]) or {}
    if cert.get("type") == "x509_certificate" and str(cert.get("curve", "")).startswith("rsa-"):
        ctx.add(join(path, "certificate"), f"column {signer['certificate']!r} holds RSA keys; {what} is signed "
                                           "with ECDSA only")


def check_reads(pairs: list[tuple[str, str]], table: dict, name: str, kind: str, path: str, ctx) -> None:
    """Each column a document spec reads (key path, column) exists in the table and is not the column itself."""
    for key, column in pairs:
        if column == name:
            ctx.add(join(path, key), f"cannot name the {kind} column itself")
        elif column not in table["columns"]:
            ctx.add(join(path, key), f"names unknown column {column!r}")


def signer_reads(signer: dict | None, key: str) -> list[tuple[str, str]]:
    return [(f"{key}.reference", signer["reference"])] if signer and signer["reference"] else []


@lru_cache(maxsize=CERTIFICATE_CACHE_SIZE)
def certificate(text: str) -> x509.Certificate:
    """A certificate column value (base64 DER), parsed once per process."""
    return x509.load_der_x509_certificate(base64.b64decode(text))


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def moments(col: Col) -> list[datetime | None]:
    """A date or datetime column as aware UTC datetimes (dates at midnight), None for null.

    The rows of a block share few days, so a day's datetime is made once and shared.
    """
    if col.kind not in ("date", "datetime"):
        raise TypeError(f"a {col.kind} column cannot be a certificate time")
    seconds = col.values.astype("datetime64[s]").astype(np.int64).tolist()
    nulls = col.null_mask().tolist()
    made: dict[int, datetime] = {}
    out = []
    for s, null in zip(seconds, nulls, strict=True):
        if null:
            out.append(None)
            continue
        moment = made.get(s)
        if moment is None:
            moment = made[s] = datetime.fromtimestamp(s, UTC)
        out.append(moment)
    return out


def texts(col: Col) -> list[str | None]:
    nulls = col.null_mask().tolist()
    return [None if null or v is None else str(v) for v, null in zip(col.values.tolist(), nulls, strict=True)]


def integers(col: Col) -> list[int | None]:
    nulls = col.null_mask().tolist()
    out = []
    for v, null in zip(col.values.tolist(), nulls, strict=True):
        out.append(None if null or v is None or isinstance(v, bool) or not isinstance(v, int | float)
                   else int(v))
    return out


class Signers:
    """The signer of each row of a block: its parent row, certificate and private key.

    Many rows of a block share a signer, so its key and parsed certificate are looked up once per block
    (by parent row) on top of the per-process caches.
    """

    def __init__(self, env, signer: dict):
        runtime = env.runtime
        ref = env.table.columns[signer["reference"]]
        self.table = ref["table"]
        self.column = signer["certificate"]
        self.spec = runtime.doc["tables"][self.table]["columns"][self.column]
        self.indices = env.ctx.reference_indices_of(signer["reference"])
        self.parents = self.indices.tolist()
        self.certificates = texts(runtime.values_at(self.table, self.column, self.indices))
        self.runtime = runtime
        self._keys: dict = {}
        self._certs: dict = {}

    def key(self, i: int, purpose: str = ""):
        parent = self.parents[i]
        found = self._keys.get((parent, purpose))
        if found is None:
            rt = self.runtime
            found = self._keys[(parent, purpose)] = keys.private_key(
                self.spec["curve"], rt.document_secret, rt.seed, self.table, self.column, parent, purpose)
        return found

    def certificate(self, i: int) -> x509.Certificate | None:
        text = self.certificates[i]
        if text is None:
            return None
        found = self._certs.get(self.parents[i])
        if found is None:
            found = self._certs[self.parents[i]] = certificate(text)
        return found


def text_column(out: list[str | None]) -> Col:
    """A str column of base64 values, null where None."""
    mask = np.array([v is None for v in out], dtype=bool)
    return Col("str", object_array(["" if v is None else v for v in out]), mask if mask.any() else None)
