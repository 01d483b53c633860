"""Column type `sod`: the document security object of a passport (base64 DER CMS SignedData).

It hashes DG1 (the MRZ of the `dg1` column) and DG2 (deterministic synthetic portrait bytes) and is signed by
the passport's document signer (`signer`). A `scenario` column may label rows with a negative scenario; the
SOD then breaks what the label says (see pki/scenarios.py and docs/documents.md).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from cryptography.x509.oid import NameOID

from ..column_types import join
from ..pki import certificates as profiles
from ..pki import keys, lds, signing
from ..pki import scenarios as sc
from ..randomness import derive_key
from . import _documents as docs
from .base import ColumnType

VARIANT_CACHE_SIZE = 4096


def normalise(raw, path, ctx, nested):
    return {
        "signer": docs.read_signer(raw, "signer", path, ctx, required=True),
        "dg1": docs.read_column(raw, "dg1", path, ctx, required=True),
        "signed_at": docs.read_column(raw, "signed_at", path, ctx, required=True),
        "scenario": docs.read_column(raw, "scenario", path, ctx, required=False),
    }


def reads(spec, columns=None, name=None, *, paths=False):
    pairs = [(key, spec[key]) for key in ("dg1", "signed_at", "scenario") if spec.get(key)]
    pairs += docs.signer_reads(spec.get("signer"), "signer")
    return pairs if paths else [name for _, name in pairs]


def check_links(doc, table_name, table, name, spec, path, ctx):
    docs.check_reads(reads(spec, paths=True), table, name, "sod", path, ctx)
    docs.check_signer(doc, table_name, spec.get("signer"), join(path, "signer"), ctx, roles=("ds",))


def _tampered(mrz: str) -> str:
    # One character of the holder's name changes: the DG1 the SOD vouches for is not the document's.
    index = 10 if len(mrz) > 10 else 0
    return mrz[:index] + ("Y" if mrz[index:index + 1] != "Y" else "Z") + mrz[index + 1:]


class _Variants:
    """Document-signer certificates the scenarios sign with instead of the row's DS certificate.

    A variant depends only on its DS and the scenario (an expired twin ends the day before the DS's validity
    starts, a not-yet-valid one starts the day after it ends; documents are signed inside the DS's validity),
    so a DS's variants are made once per process (bounded LRU) however many documents use them.
    """

    def __init__(self, env, signers: docs.Signers):
        self.env = env
        self.signers = signers
        runtime = env.runtime
        issuer = signers.spec["issuer"]
        self.csca_table = runtime.tables[signers.table].columns[issuer["reference"]]["table"]
        self.csca_column = issuer["certificate"]
        self.csca_curve = runtime.doc["tables"][self.csca_table]["columns"][self.csca_column]["curve"]
        self.csca_rows = runtime.reference_indices_at(signers.table, issuer["reference"], signers.indices)

    def certificate(self, i: int, ds, label: str):
        rt = self.env.runtime
        return _variant(label, ds, self.csca_curve, rt.document_secret, rt.seed, self.csca_table, self.csca_column,
                        int(self.csca_rows[i]))


@lru_cache(maxsize=VARIANT_CACHE_SIZE)
def _variant(label: str, ds, curve: str, secret: bytes, seed: int, csca_table: str, csca_column: str, csca_row: int):
    serial = 1 + derive_key(seed, "sod-variant", label, ds.serial_number) % (2**62)
    if label == sc.BROKEN_CHAIN:
        # The DS key certified by a CSCA of the same country that no trust list holds.
        unknown_key = keys.private_key(curve, secret, seed, csca_table, csca_column, csca_row, "unknown-csca")
        country = ds.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value
        issuer = profiles.Subject(country, "Unknown CSCA").name()
        return profiles.build("ds", ds.subject, ds.public_key(), ds.serial_number, ds.not_valid_before_utc,
                              ds.not_valid_after_utc, issuer, unknown_key)
    # The DS key certified again by its real CSCA, outside the DS's own validity.
    if label == sc.EXPIRED_DS:
        not_after = ds.not_valid_before_utc - timedelta(days=1)
        not_before = not_after - timedelta(days=3 * 365)
    else:
        not_before = ds.not_valid_after_utc + timedelta(days=1)
        not_after = not_before + timedelta(days=3 * 365)
    csca_key = keys.private_key(curve, secret, seed, csca_table, csca_column, csca_row)
    return profiles.build("ds", ds.subject, ds.public_key(), serial, not_before, not_after, ds.issuer, csca_key)


def sample(spec, env):
    hash_types: dict = {}  # the signing hash of each key of the block, looked up once

    def make(dg1, hashed_dg1, dg2, signer, key, when):
        hash_type = hash_types.get(key)
        if hash_type is None:
            hash_type = hash_types[key] = signing.hash_of(key)
        return lds.sod(hashed_dg1, dg2, signer, key, when, hash_type)

    return sign_rows(spec, env, make)


def sign_rows(spec, env, make):
    """The base64 document of each row of the block: `make(dg1, hashed_dg1, dg2, signer, key, signing_time)` with
    the row's scenario applied (another signer certificate or key, or a DG1 that is not the one hashed). The sod
    and dtc types share it, so both break the same things for the same labels."""
    get = env.ctx.get
    mrz = docs.texts(get(spec["dg1"]))
    signed_at = docs.moments(get(spec["signed_at"]))
    labels = docs.texts(get(spec["scenario"])) if spec["scenario"] else [None] * env.n
    signers = docs.Signers(env, spec["signer"])
    variants = None
    out = []
    rt = env.runtime
    seed, table = rt.seed, env.table.name
    for i, row in enumerate(env.rows.tolist()):
        ds = signers.certificate(i)
        if ds is None or mrz[i] is None or signed_at[i] is None:
            out.append(None)
            continue
        label = labels[i]
        signer, key, dg1_text = ds, signers.key(i), mrz[i]
        dg1 = hashed_dg1 = lds.dg1(dg1_text)
        if label in _SPECIAL:
            if label in (sc.EXPIRED_DS, sc.NOT_YET_VALID_DS, sc.BROKEN_CHAIN):
                variants = variants or _Variants(env, signers)
                signer = variants.certificate(i, ds, label)
            elif label == sc.WRONG_SIGNER:
                key = signers.key(i, "wrong-signer")
            else:
                hashed_dg1 = lds.dg1(_tampered(dg1_text))
        out.append(docs.encode(make(dg1, hashed_dg1, lds.portrait(seed, table, row), signer, key, signed_at[i])))
    return docs.text_column(out)


_SPECIAL = frozenset((sc.EXPIRED_DS, sc.NOT_YET_VALID_DS, sc.BROKEN_CHAIN, sc.WRONG_SIGNER, sc.TAMPERED_DG1))


ENTRY = ColumnType(
    name="sod",
    keys=("signer", "dg1", "signed_at", "scenario"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=4096,  # base64 of the SignedData with its P-521 DS certificate: about 2,600
    quoted=True,
    row_bound=True,
    structural_keys=("signer",),
    export_kind="string",
    no_unique="sod values are derived from other columns and cannot be made unique",
    reads=reads,
    check_links=check_links,
)
