"""The export formats by name: file extension, content type and the function writing one table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from .columns import TableSchema
from .csv_writer import write_csv
from .json_writer import write_json
from .jsonl_writer import write_jsonl
from .parquet_writer import write_parquet
from .rows import Row
from .sql_writer import create_table, write_inserts
from .streams import TextBuffer


def write_sql_table(stream: BinaryIO, schema: TableSchema, rows: Iterable[Row], *, dialect: str = "postgresql",
                    include_ddl: bool = False, **options) -> int:
    """INSERT statements for one table, optionally after its CREATE TABLE.

    A script with every table, in dependency order, is `sql_writer.write_sql_script`.
    """
    if include_ddl:
        out = TextBuffer(stream)
        out.write(create_table(schema, dialect) + "\n")
        out.flush()
    return write_inserts(stream, schema, rows, dialect, **options)


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    content_type: str
    write: Callable[..., int]  # (stream, schema, rows, **options) -> rows written

    def filename(self, table: str) -> str:
        return f"{table}.{self.extension}"


WRITERS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "csv", "text/csv; charset=utf-8", write_csv),
    "jsonl": ExportFormat("jsonl", "jsonl", "application/x-ndjson", write_jsonl),
    "json": ExportFormat("json", "json", "application/json", write_json),
    "parquet": ExportFormat("parquet", "parquet", "application/vnd.apache.parquet", write_parquet),
    "sql": ExportFormat("sql", "sql", "application/sql; charset=utf-8", write_sql_table),
}
BUNDLE_CONTENT_TYPE = "application/zip"


def export_format(fmt: str) -> ExportFormat:
    try:
        return WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r} (expected one of {', '.join(WRITERS)})") from None


def write_table(fmt: str, stream: BinaryIO, schema: TableSchema, rows: Iterable[Row], **options) -> int:
    """Write one table in format `fmt` to the binary stream; returns the number of rows written."""
    return export_format(fmt).write(stream, schema, rows, **options)
