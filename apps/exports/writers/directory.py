"""Every table in one format as files of a directory, plus manifest.json: what a bundle holds, unzipped.

The files and the manifest are the ones `write_bundle` puts in a zip (same writers, same manifest), so a
directory written by `synth_generate` and a bundle exported from a stored version of the same generation hold
the same bytes. Each file is written under a temporary name and renamed once complete, so an interrupted run
never leaves a truncated file under its final name; the manifest is written last.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import orjson

from .bundle import MANIFEST_NAME, build_manifest, check_manifest_base, manifest_bytes
from .columns import table_order, table_schema
from .registry import export_format
from .rows import Row
from .sql_writer import write_sql_script
from .streams import ForwardingWriter


def write_directory(out: Path, *, fmt: str, doc: Mapping, tables_rows: Mapping[str, Iterable[Row]],
                    manifest_base: Mapping, options: Mapping | None = None) -> dict:
    """Write one file per table (for sql: one script of every table) and manifest.json into `out` (which must
    exist); returns the manifest. Tables are written in dependency order, their rows read lazily."""
    check_manifest_base(manifest_base)
    unknown = set(tables_rows) - set(doc["tables"])
    if unknown:
        raise KeyError(f"the document has no table {', '.join(sorted(unknown))}")
    writer = export_format(fmt)
    options = dict(options or {})
    ordered = [name for name in table_order(doc) if name in tables_rows]
    files: list[dict] = []
    row_counts: dict[str, int] = {}
    if fmt == "sql":
        dialect = options.pop("dialect", "postgresql")
        name = f"{manifest_base.get('dataset') or doc['name']}.sql"
        entry = _write_file(out / name, lambda sink: row_counts.update(
            write_sql_script(sink, doc, {t: tables_rows[t] for t in ordered}, dialect, **options)))
        entry.update(name=name, tables=ordered, rows=sum(row_counts.values()), dialect=dialect)
        files.append(entry)
    else:
        for table in ordered:
            name = writer.filename(table)

            def write(sink, table=table):
                row_counts[table] = writer.write(sink, table_schema(doc, table), tables_rows[table], **options)

            entry = _write_file(out / name, write)
            entry.update(name=name, table=table, rows=row_counts[table])
            files.append(entry)
    manifest = build_manifest(doc=doc, fmt=fmt, manifest_base=manifest_base, tables=ordered, row_counts=row_counts,
                              files=files)
    data = manifest_bytes(manifest)
    _write_file(out / MANIFEST_NAME, lambda sink: sink.write(data))
    return orjson.loads(data)


def _write_file(path: Path, write) -> dict:
    """Run `write(sink)` into `path` via a temporary file; returns {bytes, sha256} of what was written."""
    partial = path.with_name(path.name + ".part")
    try:
        with open(partial, "wb") as handle:
            sink = ForwardingWriter(handle, sha256=True)
            write(sink)
            sink.flush()
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return {"bytes": sink.bytes_written, "sha256": sink.sha256}
