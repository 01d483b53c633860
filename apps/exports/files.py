"""One export file from a version's records: its name, its content type, and the write itself.

A csv/json/jsonl/parquet export of one table is that table's file; of several tables it is a zip with one
file per table and manifest.json (what a bundle of that format is). An sql export is one script holding
every chosen table, parents first. A bundle is a zip in its inner format with manifest.json. A pki export is a
tar.gz with one file per travel-document object of the chosen tables (writers/pki.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import BinaryIO

import orjson
from django.db import connection

from apps.generation.engine.planner import ENGINE_VERSION

from .models import ExportFormat
from .pg_csv import StoredRows, write_csv_table
from .selectors import indexed_record_rows, record_rows
from .writers import BUNDLE_CONTENT_TYPE, WRITERS, table_order, table_schema, write_bundle, write_sql_script
from .writers import pki as pki_writer

PER_TABLE_FORMATS = ("csv", "json", "jsonl", "parquet")
# Rows per Parquet row group: what the writer holds in memory at once, in several forms (JSON lines, the
# parsed Arrow columns, the encoded pages). 25,000 keeps an export of a wide table well under 250 MB.
PARQUET_ROW_GROUP_ROWS = 25_000
FILENAME_MAX = 300  # Export.filename's max_length
BUNDLE_INNER_FORMATS = ("csv", "json", "jsonl", "parquet", "sql")


def generator_version() -> str:
    return f"synthhub-engine/{ENGINE_VERSION}"


def is_zip(fmt: str, tables: list[str]) -> bool:
    return fmt == ExportFormat.BUNDLE or (fmt in PER_TABLE_FORMATS and len(tables) > 1)


def output_type(fmt: str, tables: list[str]) -> tuple[str, str]:
    """(file extension, content type) of an export."""
    if fmt == ExportFormat.PKI:
        return pki_writer.EXTENSION, pki_writer.CONTENT_TYPE
    if is_zip(fmt, tables):
        return "zip", BUNDLE_CONTENT_TYPE
    writer = WRITERS[fmt]
    return writer.extension, writer.content_type


def download_filename(*, dataset_name: str, version_number: int, fmt: str, tables: list[str], export_id: int,
                      options: Mapping | None = None) -> str:
    """What the browser saves the file as: `<dataset>-v<version>[-<table>]-<format>-<export id>.<extension>`,
    so two exports of one version never share a name and the name says the format (a bundle says its inner
    format: `bundle-csv`). The table is named when the file holds one table (not zipped, not SQL). Django's
    FileResponse quotes or encodes it in the header; path separators are replaced so no client can read it as
    a directory; a long name is cut in its head, never in the format, id or extension."""
    extension, _ = output_type(fmt, tables)
    label = f"bundle-{(options or {}).get('inner_format', 'csv')}" if fmt == ExportFormat.BUNDLE else fmt
    head = f"{dataset_name}-v{version_number}"
    if not is_zip(fmt, tables) and fmt not in (ExportFormat.SQL, ExportFormat.PKI):
        head += f"-{tables[0]}"
    tail = f"-{label}-{export_id}.{extension}"
    return head.replace("/", "_").replace("\\", "_")[: FILENAME_MAX - len(tail)] + tail


def ordered_tables(doc: Mapping, tables: Iterable[str]) -> list[str]:
    wanted = set(tables)
    return [name for name in table_order(doc) if name in wanted]


def _in_column_order(rows: Iterable[bytes], names: tuple[str, ...]) -> Iterator[bytes]:
    # PostgreSQL's JSONB keeps keys in its own order (shortest first); JSON files read best, and compare
    # byte for byte across databases, with the keys in the spec's column order.
    loads, dumps = orjson.loads, orjson.dumps
    for line in rows:
        row = loads(line)
        ordered = {name: row[name] for name in names if name in row}
        if len(ordered) != len(row):
            ordered.update(row)
        yield dumps(ordered)


def table_rows(*, version_id: int, doc: Mapping, table: str, fmt: str) -> StoredRows:
    rows = record_rows(version_id=version_id, table=table)
    if fmt in ("json", "jsonl") and connection.vendor == "postgresql":
        rows = _in_column_order(rows, table_schema(doc, table).names)
    return StoredRows(version_id, table, rows)


def pki_problems(doc: Mapping, tables: list[str]) -> list[tuple[str, str]]:
    """Why a pki export of `tables` cannot be made: none of them holds a travel-document object column."""
    if pki_writer.pki_tables(doc, tables):
        return []
    return [("format", f"the pki format writes one file per travel-document object (columns of type "
                       f"{', '.join(pki_writer.PKI_TYPES)}); the chosen tables ({', '.join(tables)}) have none")]


def _manifest_base(version, dataset_name: str) -> dict:
    return {
        "dataset": dataset_name, "version": version.number, "seed": version.seed,
        "spec_hash": version.spec_hash, "reference_time": version.reference_time,
        "rows_scale": version.rows_scale, "rows": version.rows, "generator_version": generator_version(),
    }


def write_export(stream: BinaryIO, *, version, doc: Mapping, dataset_name: str, fmt: str, tables: list[str],
                 options: Mapping) -> dict[str, int]:
    """Write the export to `stream` (any object with write(bytes)); returns rows written per table.

    Rows are read lazily, one table after the other, so only the writer's own buffer (a Parquet row
    group at most) is ever held in memory.
    """
    tables = ordered_tables(doc, tables)
    if fmt == ExportFormat.PKI:
        chosen = pki_writer.pki_tables(doc, tables)
        manifest = pki_writer.write_pki_archive(
            stream, doc=doc, tables_rows={t: indexed_record_rows(version_id=version.pk, table=t) for t in chosen},
            manifest_base=_manifest_base(version, dataset_name))
        return {table: entry["rows"] for table, entry in manifest["tables"].items()}
    if fmt == ExportFormat.BUNDLE:
        inner = options.get("inner_format", "csv")
        writer_options = {key: value for key, value in options.items() if key != "inner_format"}
    else:
        inner, writer_options = fmt, dict(options)
    if inner == ExportFormat.PARQUET:
        writer_options["row_group_size"] = PARQUET_ROW_GROUP_ROWS

    # CSV of stored records can be built by PostgreSQL itself (see pg_csv).
    table_writer = write_csv_table if inner == ExportFormat.CSV else None

    def rows_of(table: str) -> StoredRows:
        return table_rows(version_id=version.pk, doc=doc, table=table, fmt=inner)

    if is_zip(fmt, tables):
        manifest = write_bundle(stream, fmt=inner, doc=doc, tables_rows={t: rows_of(t) for t in tables},
                                manifest_base=_manifest_base(version, dataset_name), options=writer_options,
                                table_writer=table_writer)
        return {table: entry["rows"] for table, entry in manifest["tables"].items()}
    if fmt == ExportFormat.SQL:
        dialect = writer_options.get("dialect", "postgresql")
        return write_sql_script(stream, doc, {t: rows_of(t) for t in tables}, dialect)
    table = tables[0]
    write = table_writer or WRITERS[fmt].write
    return {table: write(stream, table_schema(doc, table), rows_of(table), **writer_options)}
