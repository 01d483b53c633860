"""A zip of every table in one format, plus manifest.json describing what is inside.

Members are streamed into the archive one at a time (nothing is staged on disk or in memory), and
each member's sha256 and size are computed while it is written. The archive may go to a stream that
cannot seek (an HTTP response): zipfile then records sizes after each member's data.

For the sql format the archive holds one script with every table, since tables must be created and
filled parents first; the manifest still gives each table's row count.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import BinaryIO

import orjson

from .columns import table_order, table_schema
from .registry import export_format
from .rows import Row
from .sql_writer import write_sql_script
from .streams import ForwardingWriter

MANIFEST_NAME = "manifest.json"
# What a manifest must say for a bundle to be traceable to the exact generation that made it.
REQUIRED_MANIFEST_KEYS = ("version", "seed", "spec_hash", "reference_time", "generator_version")
_EARLIEST_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_bundle(stream: BinaryIO, *, fmt: str, doc: Mapping, tables_rows: Mapping[str, Iterable[Row]],
                 manifest_base: Mapping, options: Mapping | None = None,
                 table_writer: Callable[..., int] | None = None) -> dict:
    """Write the zip to `stream` and return its manifest (also stored as manifest.json).

    `manifest_base` carries the generation facts (REQUIRED_MANIFEST_KEYS, and `dataset`, which
    defaults to the document's name); any further keys are kept. `options` go to the format's writer
    (for sql: `dialect`, default postgresql). `table_writer` replaces the format's function writing one
    table (same signature), for callers with a faster route to the same bytes.
    """
    check_manifest_base(manifest_base)
    unknown = set(tables_rows) - set(doc["tables"])
    if unknown:
        raise KeyError(f"the document has no table {', '.join(sorted(unknown))}")
    writer = export_format(fmt)
    options = dict(options or {})
    dataset = manifest_base.get("dataset") or doc["name"]
    ordered = [name for name in table_order(doc) if name in tables_rows]
    zip_time = _zip_time(manifest_base["reference_time"])
    files: list[dict] = []
    row_counts: dict[str, int] = {}

    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if fmt == "sql":
            dialect = options.pop("dialect", "postgresql")
            name = f"{dataset}.sql"
            with _member(archive, name, zip_time) as (sink, entry):
                row_counts = write_sql_script(sink, doc, {t: tables_rows[t] for t in ordered}, dialect, **options)
            entry.update(name=name, tables=ordered, rows=sum(row_counts.values()), dialect=dialect)
            files.append(entry)
        else:
            for table in ordered:
                name = writer.filename(table)
                with _member(archive, name, zip_time) as (sink, entry):
                    write = table_writer or writer.write
                    row_counts[table] = write(sink, table_schema(doc, table), tables_rows[table], **options)
                entry.update(name=name, table=table, rows=row_counts[table])
                files.append(entry)

        manifest = build_manifest(doc=doc, fmt=fmt, manifest_base=manifest_base, tables=ordered,
                                  row_counts=row_counts, files=files)
        info = _zip_info(MANIFEST_NAME, zip_time)
        archive.writestr(info, manifest_bytes(manifest))
    return orjson.loads(orjson.dumps(manifest, option=orjson.OPT_UTC_Z))


def check_manifest_base(manifest_base: Mapping) -> None:
    missing = [key for key in REQUIRED_MANIFEST_KEYS if key not in manifest_base]
    if missing:
        raise ValueError(f"manifest_base lacks {', '.join(missing)}")


def build_manifest(*, doc: Mapping, fmt: str, manifest_base: Mapping, tables: list[str], row_counts: Mapping,
                   files: list[dict]) -> dict:
    """The manifest of a set of table files (a zip's members or a directory's files): generation facts, what
    each table holds, and each file's rows, size and sha256."""
    return {
        "dataset": manifest_base.get("dataset") or doc["name"],
        **{key: value for key, value in manifest_base.items() if key != "dataset"},
        "synthetic": True,
        "format": fmt,
        "content_type": export_format(fmt).content_type,
        "tables": {
            table: {
                "rows": row_counts[table],
                "pii_columns": [c.name for c in table_schema(doc, table).columns if c.pii],
            }
            for table in tables
        },
        "files": [_file_entry(entry) for entry in files],
    }


def manifest_bytes(manifest: Mapping) -> bytes:
    """manifest.json as written: indented, datetimes in UTC with a Z, a final line break."""
    return orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z) + b"\n"


@contextmanager
def _member(archive: zipfile.ZipFile, name: str, zip_time: tuple):
    """Opens one archive member for streaming; its size and sha256 land in the yielded entry on close."""
    entry: dict = {}
    # Sizes are unknown in advance, so every member may need zip64 fields past 2 GiB.
    with archive.open(_zip_info(name, zip_time), "w", force_zip64=True) as target:
        sink = ForwardingWriter(target, sha256=True)
        yield sink, entry
    entry.update(bytes=sink.bytes_written, sha256=sink.sha256)


def _file_entry(entry: dict) -> dict:
    order = ("name", "table", "tables", "dialect", "rows", "bytes", "sha256")
    return {key: entry[key] for key in order if key in entry}


def _zip_info(name: str, zip_time: tuple) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=zip_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16  # a plain readable file once extracted
    return info


def _zip_time(reference_time: object) -> tuple:
    """Member timestamps come from the generation's reference time, so a rerun gives the same archive."""
    moment = reference_time
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return _EARLIEST_ZIP_TIME
    if not isinstance(moment, datetime):
        return _EARLIEST_ZIP_TIME
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    if not 1980 <= moment.year <= 2107:  # the range a zip timestamp can hold
        return _EARLIEST_ZIP_TIME
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
