"""Column type `test_private_key`: the private key of a certificate column of the row, as PKCS#8 PEM, marked as
a test key. Private keys appear only where a spec asks for them with this type (test harnesses that must sign
like a CSCA or a document signer); every value starts with TEST_KEY_MARK before the PEM block."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from ..pki import keys
from . import _documents as docs
from .base import ColumnType

TEST_KEY_MARK = "SYNTHHUB TEST KEY - generated test data, never use in production\n"


def normalise(raw, path, ctx, nested):
    return {"certificate": docs.read_column(raw, "certificate", path, ctx, required=True)}


def reads(spec, columns=None, name=None, *, paths=False):
    pairs = [("certificate", spec["certificate"])] if spec.get("certificate") else []
    return pairs if paths else [column for _, column in pairs]


def check_links(doc, table_name, table, name, spec, path, ctx):
    docs.check_reads(reads(spec, paths=True), table, name, "test_private_key", path, ctx)
    column = table["columns"].get(spec.get("certificate") or "")
    if column is not None and column["type"] != "x509_certificate":
        ctx.add(f"{path}.certificate", f"column {spec['certificate']!r} must be an x509_certificate column")


def sample(spec, env):
    rt = env.runtime
    column = spec["certificate"]
    cert_spec = env.table.columns[column]
    # The key certified by a link certificate is its subject_key column's.
    key_column = cert_spec["subject_key"] if cert_spec["role"] == "link" else column
    curve = env.table.columns[key_column]["curve"]
    present = docs.texts(env.ctx.get(column))
    out = []
    for i, row in enumerate(env.rows.tolist()):
        if present[i] is None:
            out.append(None)
            continue
        key = keys.private_key(curve, rt.document_secret, rt.seed, env.table.name, key_column, row)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
        out.append(TEST_KEY_MARK + pem)
    return docs.text_column(out)


ENTRY = ColumnType(
    name="test_private_key",
    keys=("certificate",),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=3000,  # the mark and an RSA-3072 PKCS#8 PEM (about 2,500 characters), JSON-escaped line breaks
    quoted=True,
    row_bound=True,
    structural_keys=("certificate",),
    export_kind="string",
    no_unique="test_private_key values are derived from other columns and cannot be made unique",
    reads=reads,
    check_links=check_links,
)
