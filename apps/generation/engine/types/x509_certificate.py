"""Column type `x509_certificate`: an X.509 certificate (base64 DER) of an ICAO 9303-12 role.

The subject, serial and validity come from columns of the row; the key is derived for (table, column, row).
A `csca` is self-signed; every other role names its `issuer` ({reference, certificate}): the CSCA row whose
key signs it. A `link` certificate certifies the key of `subject_key` (this row's CSCA column) with the key of
the issuer (the previous CSCA): CSCA rollover.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..column_types import check_keys, describe, join, read_int, read_str
from ..pki import certificates as profiles
from ..pki import keys, rsa_pool, signing
from ..pki.cms import certificate_der
from ..pki.curves import CURVES
from . import _documents as docs
from .base import ColumnType

_COLUMNS = ("country", "organization", "common_name", "serial", "not_before", "not_after")
_REQUIRED = ("country", "common_name", "serial", "not_before", "not_after")


def normalise(raw, path, ctx, nested):
    role = read_str(raw, "role", path, ctx, "csca", required=True)
    if role not in profiles.ROLES:
        ctx.add(join(path, "role"), f"must be one of {', '.join(profiles.ROLES)}")
        role = "csca"
    curve = read_str(raw, "curve", path, ctx, "P-256")
    if curve not in CURVES:
        ctx.add(join(path, "curve"), f"must be one of {', '.join(CURVES)}")
        curve = "P-256"
    key = _read_key(raw, path, ctx, curve)
    # `curve` is the key kind every document type derives keys by: an ICAO curve or rsa-pss-<bits>.
    out = {"role": role, "curve": key["curve"] if key["algorithm"] == "ec" else signing.rsa_kind(key["bits"]),
           "key": key}
    for key in _COLUMNS:
        out[key] = docs.read_column(raw, key, path, ctx, required=key in _REQUIRED)
    out["issuer"] = docs.read_signer(raw, "issuer", path, ctx, required=role != "csca")
    if role == "csca" and raw.get("issuer") is not None:
        ctx.add(join(path, "issuer"), "a csca certificate is self-signed and takes no issuer")
        out["issuer"] = None
    out["subject_key"] = docs.read_column(raw, "subject_key", path, ctx, required=role == "link")
    if role != "link" and out["subject_key"] is not None:
        ctx.add(join(path, "subject_key"), "only a link certificate takes subject_key")
        out["subject_key"] = None
    return out


def _read_key(raw, path, ctx, curve):
    """`key: {algorithm: ec, curve}` or `key: {algorithm: rsa, bits: 2048|3072, padding: pss}`; without it,
    an ECDSA key on `curve`."""
    value = raw.get("key")
    kpath = join(path, "key")
    if value is None:
        return {"algorithm": "ec", "curve": curve}
    if not isinstance(value, Mapping):
        ctx.add(kpath, f"must be a mapping {{algorithm, ...}}, got {describe(value)}")
        return {"algorithm": "ec", "curve": curve}
    if raw.get("curve") is not None:
        ctx.add(join(path, "curve"), "give the curve inside key, not beside it")
    algorithm = read_str(value, "algorithm", kpath, ctx, "ec", required=True)
    if algorithm == "ec":
        check_keys(value, ("algorithm", "curve"), kpath, ctx, "an ec key")
        curve = read_str(value, "curve", kpath, ctx, "P-256")
        if curve not in CURVES:
            ctx.add(join(kpath, "curve"), f"must be one of {', '.join(CURVES)}")
            curve = "P-256"
        return {"algorithm": "ec", "curve": curve}
    if algorithm != "rsa":
        ctx.add(join(kpath, "algorithm"), "must be ec or rsa")
        return {"algorithm": "ec", "curve": curve}
    check_keys(value, ("algorithm", "bits", "padding"), kpath, ctx, "an rsa key")
    bits = read_int(value, "bits", kpath, ctx, 2048)
    if bits not in rsa_pool.SIZES:
        ctx.add(join(kpath, "bits"), f"must be one of {', '.join(map(str, rsa_pool.SIZES))}, got {bits}")
        bits = 2048
    if value.get("padding") != "pss":
        ctx.add(join(kpath, "padding"), "is required and must be pss (RSASSA-PSS; PKCS#1 v1.5 is not offered)")
    return {"algorithm": "rsa", "bits": bits, "padding": "pss"}


def reads(spec, columns=None, name=None, *, paths=False):
    pairs = [(key, spec[key]) for key in _COLUMNS if spec.get(key)]
    pairs += docs.signer_reads(spec.get("issuer"), "issuer")
    if spec.get("subject_key"):
        pairs.append(("subject_key", spec["subject_key"]))
    return pairs if paths else [name for _, name in pairs]


def check_links(doc, table_name, table, name, spec, path, ctx):
    docs.check_reads(reads(spec, paths=True), table, name, "x509_certificate", path, ctx)
    docs.check_signer(doc, table_name, spec.get("issuer"), join(path, "issuer"), ctx, roles=("csca",))
    subject_key = spec.get("subject_key")
    if subject_key:
        other = doc["tables"][table_name]["columns"].get(subject_key)
        if other is not None and (other["type"] != "x509_certificate" or other["role"] != "csca"):
            ctx.add(join(path, "subject_key"), f"column {subject_key!r} must be a csca x509_certificate column")


def sample(spec, env):
    get = env.ctx.get
    rt = env.runtime
    country = docs.texts(get(spec["country"]))
    common = docs.texts(get(spec["common_name"]))
    organization = docs.texts(get(spec["organization"])) if spec["organization"] else [None] * env.n
    serial = docs.integers(get(spec["serial"]))
    before = docs.moments(get(spec["not_before"]))
    after = docs.moments(get(spec["not_after"]))
    signers = docs.Signers(env, spec["issuer"]) if spec["issuer"] else None
    key_column, key_curve = env.path, spec["curve"]
    if spec["role"] == "link":
        key_column = spec["subject_key"]
        key_curve = env.table.columns[key_column]["curve"]
    out = []
    for i, row in enumerate(env.rows.tolist()):
        if None in (country[i], common[i], serial[i], before[i], after[i]) or serial[i] <= 0 \
                or len(country[i]) != 2 or not country[i].isalpha():
            out.append(None)
            continue
        subject = docs_subject(country[i], common[i], organization[i])
        own = keys.private_key(key_curve, rt.document_secret, rt.seed, env.table.name, key_column, row)
        if signers is None:
            issuer_name, issuer_key = subject, own
        else:
            issuer = signers.certificate(i)
            if issuer is None:
                out.append(None)
                continue
            issuer_name, issuer_key = issuer.subject, signers.key(i)
        cert = profiles.build(spec["role"], subject, own.public_key(), serial[i], before[i], after[i],
                              issuer_name, issuer_key)
        out.append(docs.encode(certificate_der(cert)))
    return docs.text_column(out)


def docs_subject(country, common, organization):
    return profiles.Subject(country.upper(), common[:64], organization[:64] if organization else None).name()


ENTRY = ColumnType(
    name="x509_certificate",
    keys=("role", "curve", "key", *_COLUMNS, "issuer", "subject_key"),
    normalise=normalise,
    sample=sample,
    value_kind="str",
    text_chars=2048,  # base64 DER: a P-521 or RSA-3072 certificate with 64-character names is about 1,600
    quoted=True,
    row_bound=True,
    structural_keys=("role", "curve", "key", "issuer", "subject_key"),
    export_kind="string",
    no_unique="x509_certificate values are derived from other columns and cannot be made unique",
    reads=reads,
    check_links=check_links,
)
