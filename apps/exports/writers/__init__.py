"""File-format writers for dataset exports: CSV, JSON Lines, JSON, Parquet, SQL and zip bundles.

Pure Python, no Django: writers take a table schema (derived from the normalised dataset document),
an iterable of rows (JSON-ready dicts or each row's JSON bytes) and a binary stream, and stream the
rows out in bounded memory.
"""

from .bundle import MANIFEST_NAME, write_bundle
from .columns import Column, Field, ForeignKey, LogicalType, TableSchema, table_order, table_schema
from .csv_writer import write_csv
from .directory import write_directory
from .json_writer import write_json
from .jsonl_writer import write_jsonl
from .parquet_writer import arrow_schema, write_parquet
from .registry import BUNDLE_CONTENT_TYPE, WRITERS, ExportFormat, export_format, write_table
from .sql_writer import DIALECTS, create_table, ddl, write_inserts, write_sql_script

__all__ = [
    "BUNDLE_CONTENT_TYPE", "DIALECTS", "MANIFEST_NAME", "WRITERS", "Column", "ExportFormat", "Field", "ForeignKey",
    "LogicalType", "TableSchema", "arrow_schema", "create_table", "ddl", "export_format", "table_order",
    "table_schema", "write_bundle", "write_csv", "write_directory", "write_inserts", "write_json", "write_jsonl",
    "write_parquet", "write_sql_script", "write_table",
]
