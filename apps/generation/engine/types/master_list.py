"""Column type `master_list`: a CSCA master list (base64 DER), signed by a master-list signer.

Row r of the table lists the certificates of rows [r * per_list, (r + 1) * per_list) of `certificates.table`
(its `certificates.column`, and `certificates.links` when given: link certificates travel with their CSCA),
so every list is bounded and the same whatever the chunking.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..column_types import check_keys, describe, join, read_int
from ..pki import masterlist
from . import _documents as docs
from .base import ColumnType

MAX_PER_LIST = 20  # certificates of one list: keeps it under the 65,536-character value limit
_CERT_KEYS = ("table", "column", "links")


def normalise(raw, path, ctx, nested):
    out = {"signer": docs.read_signer(raw, "signer", path, ctx, required=True),
           "per_list": read_int(raw, "per_list", path, ctx, MAX_PER_LIST, minimum=1, maximum=MAX_PER_LIST)}
    certs = raw.get("certificates")
    cpath = join(path, "certificates")
    if not isinstance(certs, Mapping):
        ctx.add(cpath, "is required: {table, column, links?}" if certs is None
                else f"must be a mapping {{table, column, links?}}, got {describe(certs)}")
        out["certificates"] = None
        return out
    check_keys(certs, _CERT_KEYS, cpath, ctx, "certificates")
    out["certificates"] = {"table": docs.read_column(certs, "table", cpath, ctx, required=True),
                           "column": docs.read_column(certs, "column", cpath, ctx, required=True),
                           "links": docs.read_column(certs, "links", cpath, ctx, required=False)}
    return out


def reads(spec, columns=None, name=None, *, paths=False):
    pairs = docs.signer_reads(spec.get("signer"), "signer")
    return pairs if paths else [name for _, name in pairs]


def check_links(doc, table_name, table, name, spec, path, ctx):
    docs.check_reads(reads(spec, paths=True), table, name, "master_list", path, ctx)
    docs.check_signer(doc, table_name, spec.get("signer"), join(path, "signer"), ctx, roles=("master_list_signer",))
    certs = spec.get("certificates")
    if not certs or not certs["table"]:
        return
    cpath = join(path, "certificates")
    other = doc["tables"].get(certs["table"])
    if other is None:
        ctx.add(join(cpath, "table"), f"names unknown table {certs['table']!r}")
        return
    for key, roles in (("column", ("csca",)), ("links", ("link",))):
        column = certs[key]
        if column is None:
            continue
        spec_ = other["columns"].get(column)
        if spec_ is None or spec_["type"] != "x509_certificate" or spec_["role"] not in roles:
            ctx.add(join(cpath, key), f"table {certs['table']!r} has no {roles[0]} x509_certificate column {column!r}")


def sample(spec, env):
    rt = env.runtime
    certs = spec["certificates"]
    total = rt.row_counts[certs["table"]]
    per = spec["per_list"]
    signers = docs.Signers(env, spec["signer"])
    out = []
    for i, row in enumerate(env.rows.tolist()):
        signer = signers.certificate(i)
        rows = np.arange(min(row * per, total), min((row + 1) * per, total), dtype=np.int64)
        if signer is None or not len(rows):
            out.append(None)
            continue
        listed = [c for c in docs.texts(rt.values_at(certs["table"], certs["column"], rows)) if c]
        if certs["links"]:
            listed += [c for c in docs.texts(rt.values_at(certs["table"], certs["links"], rows)) if c]
        data = masterlist.master_list([docs.certificate(c) for c in listed], signer, signers.key(i))
        out.append(docs.encode(data))
    return docs.text_column(out)


ENTRY = ColumnType(
    name="master_list",
    keys=("signer", "certificates", "per_list"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=60_000,  # MAX_PER_LIST certificates with links of the largest curve, base64
    quoted=True,
    row_bound=True,
    structural_keys=("signer", "certificates"),
    export_kind="string",
    no_unique="master_list values are derived from other tables and cannot be made unique",
    reads=reads,
    check_links=check_links,
)
