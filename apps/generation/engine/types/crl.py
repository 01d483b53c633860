"""Column type `crl`: a certificate revocation list (base64 DER) of a CSCA, for one period.

One row per CSCA per period (the table is usually `rows: {per: csca}`): `number`, `this_update` and
`next_update` come from columns. The revoked serials come from the revocation rows: the rows of the
`revocations` table that belong to the same CSCA (that table is declared `rows: {per: <reference to the
CSCA table>}`, or `rows: {per: ...}` on a table that is itself per CSCA, such as one revocation row per
document signer), listed when their `revoked_at` is set and not after `this_update`. A CSCA's rows are one
contiguous run either way, so a CRL reads at most MAX_CRL_ROWS rows whatever the chunking.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..column_types import check_keys, describe, join
from ..errors import GenerationError
from ..pki import certificates as profiles
from . import _documents as docs
from .base import ColumnType

MAX_CRL_ROWS = 800  # revocation rows one CRL may read: keeps a CRL under the 65,536-character value limit
_REVOCATION_KEYS = ("table", "serial", "revoked_at")


def normalise(raw, path, ctx, nested):
    out = {"issuer": docs.read_signer(raw, "issuer", path, ctx, required=True)}
    for key in ("number", "this_update", "next_update"):
        out[key] = docs.read_column(raw, key, path, ctx, required=True)
    revocations = raw.get("revocations")
    rpath = join(path, "revocations")
    if revocations is None:
        out["revocations"] = None
    elif not isinstance(revocations, Mapping):
        ctx.add(rpath, f"must be a mapping {{table, serial, revoked_at}}, got {describe(revocations)}")
        out["revocations"] = None
    else:
        check_keys(revocations, _REVOCATION_KEYS, rpath, ctx, "revocations")
        out["revocations"] = {key: docs.read_column(revocations, key, rpath, ctx, required=True)
                              for key in _REVOCATION_KEYS}
    return out


def reads(spec, columns=None, name=None, *, paths=False):
    pairs = [(key, spec[key]) for key in ("number", "this_update", "next_update") if spec.get(key)]
    pairs += docs.signer_reads(spec.get("issuer"), "issuer")
    return pairs if paths else [name for _, name in pairs]


def check_links(doc, table_name, table, name, spec, path, ctx):
    docs.check_reads(reads(spec, paths=True), table, name, "crl", path, ctx)
    issuer = spec.get("issuer")
    docs.check_signer(doc, table_name, issuer, join(path, "issuer"), ctx, roles=("csca",))
    revocations = spec.get("revocations")
    if not revocations or not issuer or not all(revocations.values()):
        return
    rpath = join(path, "revocations")
    other = doc["tables"].get(revocations["table"])
    if other is None:
        ctx.add(join(rpath, "table"), f"names unknown table {revocations['table']!r}")
        return
    for key in ("serial", "revoked_at"):
        if revocations[key] not in other["columns"]:
            ctx.add(join(rpath, key), f"table {revocations['table']!r} has no column {revocations[key]!r}")
    ref = doc["tables"][table_name]["columns"].get(issuer["reference"]) or {}
    if revocation_path(doc, revocations["table"], ref.get("table")) is None:
        ctx.add(join(rpath, "table"), f"table {revocations['table']!r} must be declared rows: {{per: <reference to "
                                      f"{ref.get('table')!r}>}} (or per a table that is) so each CSCA's revocation "
                                      f"rows are known")


def _per_parent(doc: dict, table: str) -> str | None:
    """The table a `rows: {per: ...}` table follows, None for a table of its own size."""
    other = doc["tables"].get(table) or {}
    rows = other.get("rows")
    per = other["columns"].get(rows["per"]) if isinstance(rows, dict) else None
    return per.get("table") if per else None


def revocation_path(doc: dict, table: str, csca_table: str | None) -> list[str] | None:
    """The `per` tables from the CSCA table down to the revocations table ([table], or [middle, table]),
    None when the revocations table does not follow the CSCA table within two levels."""
    parent = _per_parent(doc, table)
    if parent is None or csca_table is None:
        return None
    if parent == csca_table:
        return [table]
    if _per_parent(doc, parent) == csca_table:
        return [parent, table]
    return None


def _revocation_rows(rt, path: list[str], csca_row: int) -> tuple[int, int]:
    """[first, end) rows of the revocations table that belong to CSCA row `csca_row`."""
    first, end = rt.children(path[0], csca_row)
    if len(path) == 1 or first == end:
        return (first, end) if len(path) == 1 else (0, 0)
    return rt.children(path[1], first)[0], rt.children(path[1], end - 1)[1]


def sample(spec, env):
    get = env.ctx.get
    rt = env.runtime
    numbers = docs.integers(get(spec["number"]))
    this_update = docs.moments(get(spec["this_update"]))
    next_update = docs.moments(get(spec["next_update"]))
    signers = docs.Signers(env, spec["issuer"])
    revocations = spec["revocations"]
    out = []
    for i in range(env.n):
        issuer = signers.certificate(i)
        if issuer is None or None in (numbers[i], this_update[i], next_update[i]) or numbers[i] < 0:
            out.append(None)
            continue
        revoked = []
        if revocations:
            path = rt.cached(("crl_path", revocations["table"], env.table.name, spec["issuer"]["reference"]),
                             lambda: revocation_path(rt.doc, revocations["table"],
                                                     env.table.columns[spec["issuer"]["reference"]]["table"]))
            first, end = _revocation_rows(rt, path, int(signers.indices[i]))
            if end - first > MAX_CRL_ROWS:
                raise GenerationError(f"{env.table.name}.{env.path}: row {int(env.rows[i])}: the CSCA has "
                                      f"{end - first} revocation rows, more than {MAX_CRL_ROWS}")
            rows = np.arange(first, end, dtype=np.int64)
            serials = docs.integers(rt.values_at(revocations["table"], revocations["serial"], rows))
            dates = docs.moments(rt.values_at(revocations["table"], revocations["revoked_at"], rows))
            revoked = [(s, d) for s, d in zip(serials, dates, strict=True)
                       if s is not None and s > 0 and d is not None and d <= this_update[i]]
        crl = profiles.build_crl(issuer, signers.key(i), numbers[i], this_update[i], next_update[i], revoked)
        out.append(docs.encode(crl.public_bytes(profiles.DER)))
    return docs.text_column(out)


ENTRY = ColumnType(
    name="crl",
    keys=("issuer", "number", "this_update", "next_update", "revocations"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=48_000,  # MAX_CRL_ROWS entries of about 40 bytes, base64
    quoted=True,
    row_bound=True,
    structural_keys=("issuer", "revocations"),
    export_kind="string",
    no_unique="crl values are derived from other columns and cannot be made unique",
    reads=reads,
    check_links=check_links,
)
