"""Column type `mdoc`: an ISO/IEC 18013-5 mobile document (mDL by default) as base64 CBOR, issuer-signed.

`items` maps element identifiers (family_name, birth_date, ...) to columns of the row; a null column leaves its
element out. The mobile security object is signed (COSE_Sign1) by the issuer certificate named by `signer`,
valid from `signed_at` to `valid_until`. Device keys come from a deterministic pool of DEVICE_KEYS keys per
mdoc column (a device key's private half never leaves the holder's device, so only its public key matters
here, and a pool keeps key derivation off the per-document cost).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache

from ..column_types import check_keys, describe, join, read_str
from ..pki import keys, mdoc
from ..pki.curves import CURVES
from ..values import to_pylist
from . import _documents as docs
from .base import ColumnType

DEVICE_KEYS = 256
MAX_ITEMS = 50
_ELEMENT = "abcdefghijklmnopqrstuvwxyz0123456789_"


def normalise(raw, path, ctx, nested):
    out = {"signer": docs.read_signer(raw, "signer", path, ctx, required=True),
           "signed_at": docs.read_column(raw, "signed_at", path, ctx, required=True),
           "valid_until": docs.read_column(raw, "valid_until", path, ctx, required=True),
           "doc_type": read_str(raw, "doc_type", path, ctx, mdoc.MDL_DOCTYPE),
           "namespace": read_str(raw, "namespace", path, ctx, mdoc.MDL_NAMESPACE)}
    items = raw.get("items")
    ipath = join(path, "items")
    out["items"] = {}
    if not isinstance(items, Mapping) or not items:
        ctx.add(ipath, "is required: a mapping of element identifiers to column names" if items is None
                else f"must be a non-empty mapping of element identifiers to column names, got {describe(items)}")
        return out
    if len(items) > MAX_ITEMS:
        ctx.add(ipath, f"has {len(items)} elements, more than {MAX_ITEMS}")
        return out
    check_keys(items, items.keys(), ipath, ctx, "items")
    for name, column in items.items():
        if not isinstance(name, str) or not name or any(c not in _ELEMENT for c in name) or len(name) > 64:
            ctx.add(ipath, f"element identifier {name!r} must be 1-64 characters of a-z, 0-9 and _")
        elif not isinstance(column, str) or not column:
            ctx.add(join(ipath, name), f"must be a column name, got {describe(column)}")
        else:
            out["items"][name] = column
    return out


def reads(spec, columns=None, name=None, *, paths=False):
    pairs = [(key, spec[key]) for key in ("signed_at", "valid_until") if spec.get(key)]
    pairs += [(f"items.{name}", column) for name, column in spec.get("items", {}).items()]
    pairs += docs.signer_reads(spec.get("signer"), "signer")
    return pairs if paths else [name for _, name in pairs]


def check_links(doc, table_name, table, name, spec, path, ctx):
    docs.check_reads(reads(spec, paths=True), table, name, "mdoc", path, ctx)
    docs.check_signer(doc, table_name, spec.get("signer"), join(path, "signer"), ctx, roles=("ds",))
    docs.check_signer_ecdsa(doc, table_name, spec.get("signer"), join(path, "signer"), "an mdoc's COSE_Sign1", ctx)


def _values(col):
    if col.kind == "date":
        # numpy gives datetime.date objects (None for NaT); nulls are None too.
        days = col.values.astype("datetime64[D]").tolist()
        return days if col.nulls is None else [None if null else d for d, null in zip(days, col.nulls.tolist(),
                                                                                     strict=True)]
    if col.kind == "datetime":
        return docs.moments(col)
    return to_pylist(col)


@lru_cache(maxsize=keys.KEY_CACHE_SIZE)
def _device_key(curve: str, secret: bytes, seed: int, table: str, column: str, slot: int):
    return mdoc.device_key_info(keys.private_key(curve, secret, seed, table, column, slot, "device").public_key())


def salt_state(secret: bytes, seed: int, table: str):
    """SHAKE-256 keyed by the document secret (its length first) over "mdoc-salts, seed, table": a row's salts
    are the first 16 * items bytes of this state updated with the row number, 16 bytes per item in order."""
    return hashlib.shake_256(len(secret).to_bytes(8, "big") + secret + f"mdoc-salts\x1f{seed}\x1f{table}\x1f".encode())


def sample(spec, env):
    get = env.ctx.get
    rt = env.runtime
    signed = docs.moments(get(spec["signed_at"]))
    until = docs.moments(get(spec["valid_until"]))
    names = list(spec["items"])
    signers = docs.Signers(env, spec["signer"])
    curve = signers.spec["curve"]
    issuer = mdoc.IssuerSigner(spec["doc_type"], spec["namespace"], CURVES[curve].hash)
    # Each value is encoded once per block, inside its item at its column's position (the digestID of a row
    # whose items are all present); a row with a null item numbers its items again.
    encode = mdoc.encode_value
    encoded = [[None if v is None else encode(v) for v in _values(get(spec["items"][name]))] for name in names]
    heads, rests = [], []
    for n, (name, column) in enumerate(zip(names, encoded, strict=True)):
        size, head, before_value = mdoc.item_layout(n, name)
        tail = mdoc.item_tail(n, name)
        tagged_head = mdoc.tagged_head
        heads.append([None if e is None else tagged_head(size + len(e)) + head for e in column])
        rests.append([None if e is None else before_value + e + tail for e in column])
    row_heads = list(zip(*heads, strict=True)) if heads else [()] * env.n
    row_rests = list(zip(*rests, strict=True)) if rests else [()] * env.n
    salts_of = salt_state(rt.document_secret, rt.seed, env.table.name)
    tdates: dict = {}  # the block's moments are shared objects, one per day: encoded once each
    devices: dict = {}
    chains: dict = {}
    parents = signers.parents
    out = []
    for i, row in enumerate(env.rows.tolist()):
        signer = signers.certificate(i)
        if signer is None or signed[i] is None or until[i] is None:
            out.append(None)
            continue
        item_heads, item_rests = row_heads[i], row_rests[i]
        if None in item_heads:
            present = [mdoc.item_halves(n, name, e) for n, (name, e) in
                       enumerate((name, column[i]) for name, column in zip(names, encoded, strict=True)
                                 if column[i] is not None)]
            item_heads = [head for head, _ in present]
            item_rests = [rest for _, rest in present]
        chain = chains.get(parents[i])
        if chain is None:
            chain = chains[parents[i]] = mdoc.x5chain(signer)
        state = salts_of.copy()
        state.update(b"%d" % row)
        slot = row % DEVICE_KEYS
        device = devices.get(slot)
        if device is None:
            device = devices[slot] = _device_key(curve, rt.document_secret, rt.seed, env.table.name, env.path, slot)
        signed_bytes = tdates.get(signed[i])
        if signed_bytes is None:
            signed_bytes = tdates[signed[i]] = mdoc.tdate_bytes(signed[i])
        until_bytes = tdates.get(until[i])
        if until_bytes is None:
            until_bytes = tdates[until[i]] = mdoc.tdate_bytes(until[i])
        data = issuer.sign(item_heads, item_rests, state.digest(16 * len(item_heads)), 16, chain, signers.key(i),
                           device, signed_bytes, signed_bytes, until_bytes)
        out.append(docs.encode(data))
    return docs.text_column(out)


ENTRY = ColumnType(
    name="mdoc",
    keys=("signer", "items", "signed_at", "valid_until", "doc_type", "namespace"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=16_000,  # base64 of MAX_ITEMS short elements, the MSO and the issuer certificate
    quoted=True,
    row_bound=True,
    structural_keys=("signer", "items", "doc_type", "namespace"),
    export_kind="string",
    no_unique="mdoc values are derived from other columns and cannot be made unique",
    reads=reads,
    check_links=check_links,
)
