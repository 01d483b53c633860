"""The `pki` export: a tar.gz with one file per travel-document object, in the forms OpenSSL and trust services read.

Records hold objects as base64 DER (or CBOR); this writer decodes each one and writes it as files of its own:

| column type | files |
|---|---|
| x509_certificate | `.der`, `.pem` (`-----BEGIN CERTIFICATE-----`) |
| crl | `.crl` (DER), `.pem` (`-----BEGIN X509 CRL-----`) |
| master_list, sod | `.der`, `.p7b` (the CMS ContentInfo as `-----BEGIN CMS-----` PEM) |
| dtc | `.der` (the DTCContentInfo), `.p7b` (its security object, CMS PEM) |
| mdoc | `.cbor` |
| test_private_key | `.test-key.pem` (the value as stored: the test-key mark line, then PKCS#8 PEM) |

Names are `<table>/<table>-<row index>-<natural key>-<column>.<extension>`: the natural key is a certificate's
country and serial, a CRL's number, otherwise the row's primary key. A tar stream needs no central directory,
so memory stays bounded however many objects there are (a zip keeps one entry per file until it closes); gzip
and member times come from the version's reference time, so the same version gives the same archive.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import re
import tarfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import BinaryIO

import orjson

PKI_TYPES = ("x509_certificate", "crl", "master_list", "sod", "dtc", "mdoc", "test_private_key")
CONTENT_TYPE = "application/gzip"
EXTENSION = "tar.gz"
MANIFEST_NAME = "manifest.json"
_NATURAL = re.compile(r"[^A-Za-z0-9_.-]+")
_NATURAL_MAX = 48


def pki_columns(doc: Mapping, table: str) -> list[tuple[str, dict]]:
    return [(name, spec) for name, spec in doc["tables"][table]["columns"].items() if spec["type"] in PKI_TYPES]


def pki_tables(doc: Mapping, tables: Iterable[str]) -> list[str]:
    """The tables (of `tables`, in their order) that hold at least one object column."""
    return [table for table in tables if pki_columns(doc, table)]


def _pem(label: str, data: bytes) -> bytes:
    body = base64.encodebytes(data).replace(b"\n", b"")
    lines = b"\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN " + label.encode() + b"-----\n" + lines + b"\n-----END " + label.encode() + b"-----\n"


def _decoded(value) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _dtc_security_object(data: bytes) -> bytes | None:
    """The ContentInfo inside a DTC's [1] (the DTC's third element), None when the DTC is not shaped so."""
    from apps.documents import asn1

    try:
        parts = asn1.parse(data).children()
        return parts[2].children()[0].data if len(parts) == 3 and parts[2].tag == 0xA1 else None
    except (asn1.ASN1Error, ValueError, IndexError):
        return None


def object_files(kind: str, value) -> list[tuple[str, bytes]]:
    """(extension, bytes) of each file one stored object value becomes; [] for a null or unreadable value."""
    if kind == "test_private_key":
        return [("test-key.pem", value.encode("ascii"))] if isinstance(value, str) and value else []
    data = _decoded(value)
    if data is None:
        return []
    if kind == "x509_certificate":
        return [("der", data), ("pem", _pem("CERTIFICATE", data))]
    if kind == "crl":
        return [("crl", data), ("pem", _pem("X509 CRL", data))]
    if kind in ("master_list", "sod"):
        return [("der", data), ("p7b", _pem("CMS", data))]
    if kind == "dtc":
        inner = _dtc_security_object(data)
        return [("der", data)] + ([("p7b", _pem("CMS", inner))] if inner is not None else [])
    if kind == "mdoc":
        return [("cbor", data)]
    return []


def _natural_key(spec: dict, row: Mapping, primary_key: str | None) -> str:
    if spec["type"] == "x509_certificate":
        parts = [row.get(spec.get("country") or ""), row.get(spec.get("serial") or "")]
    elif spec["type"] == "crl":
        parts = [f"n{row.get(spec['number'])}" if row.get(spec.get("number") or "") is not None else None]
    else:
        parts = [row.get(primary_key) if primary_key else None]
    text = "-".join(str(p) for p in parts if p is not None)
    return _NATURAL.sub("_", text)[:_NATURAL_MAX].strip("_") or "row"


def _mtime(reference_time) -> int:
    moment = reference_time
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return 0
    if not isinstance(moment, datetime):
        return 0
    return max(0, int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()))


def _add(archive: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    archive.addfile(info, io.BytesIO(data))


def write_pki_archive(stream: BinaryIO, *, doc: Mapping, tables_rows: Mapping[str, Iterable[tuple[int, Mapping]]],
                      manifest_base: Mapping) -> dict:
    """Write the tar.gz of every object of `tables_rows` ({table: (row index, row) ...}) to `stream`; returns
    the manifest (also the archive's last member): per table the rows read and the files written by kind."""
    mtime = _mtime(manifest_base.get("reference_time"))
    tables: dict[str, dict] = {}
    with gzip.GzipFile(fileobj=stream, mode="wb", mtime=mtime, filename="") as compressed, \
            tarfile.open(fileobj=compressed, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for table, rows in tables_rows.items():
            columns = pki_columns(doc, table)
            primary_key = doc["tables"][table].get("primary_key")
            if isinstance(primary_key, list):
                primary_key = primary_key[0] if len(primary_key) == 1 else None
            counts: dict[str, int] = {}
            read = 0
            for index, row in rows:
                read += 1
                for column, spec in columns:
                    files = object_files(spec["type"], row.get(column))
                    if not files:
                        continue
                    stem = f"{table}/{table}-{index:07d}-{_natural_key(spec, row, primary_key)}-{column}"
                    for extension, data in files:
                        _add(archive, f"{stem}.{extension}", data, mtime)
                        counts[extension] = counts.get(extension, 0) + 1
            tables[table] = {"rows": read, "columns": {c: s["type"] for c, s in columns}, "files": counts}
        manifest = {"dataset": manifest_base.get("dataset") or doc["name"],
                    **{k: v for k, v in manifest_base.items() if k != "dataset"},
                    "synthetic": True, "format": "pki", "content_type": CONTENT_TYPE, "tables": tables}
        _add(archive, MANIFEST_NAME, orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z) + b"\n",
             mtime)
    return orjson.loads(orjson.dumps(manifest, option=orjson.OPT_UTC_Z))
