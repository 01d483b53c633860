"""Reading and writing the table files of `mask_file`: CSV (header row) and JSON Lines, chunk by chunk.

CSV cells are text: an empty cell of a non-string column is null. Values are written back as the same
kinds of text (dates and datetimes in ISO form), so a masked file reads like its source.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterator
from pathlib import Path

FORMATS = ("csv", "jsonl")


class FileProblem(ValueError):
    """A table file cannot be read; the message names the file and line, never a cell's value."""


def file_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "ndjson":
        suffix = "jsonl"
    if suffix not in FORMATS:
        raise FileProblem(f"{path.name}: a .csv or .jsonl file")
    return suffix


def read_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        if file_format(path) == "csv":
            try:
                return next(csv.reader(handle))
            except StopIteration:
                raise FileProblem(f"{path.name}: empty file (no header row)") from None
        for number, line in enumerate(handle, 1):
            if line.strip():
                return list(_json_row(path, number, line))
        raise FileProblem(f"{path.name}: empty file")


def _json_row(path: Path, number: int, line: str) -> dict:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        raise FileProblem(f"{path.name}: line {number} is not JSON") from None
    if not isinstance(row, dict):
        raise FileProblem(f"{path.name}: line {number} is not a JSON object")
    return row


def read_chunks(path: Path, columns: list[str], chunk_rows: int) -> Iterator[dict[str, list]]:
    """Column-wise chunks of at most `chunk_rows` rows."""
    fmt = file_format(path)
    with path.open(newline="", encoding="utf-8") as handle:
        if fmt == "csv":
            reader = csv.reader(handle)
            next(reader, None)
            rows = ((reader.line_num, row) for row in reader)
        else:
            rows = ((n, _json_row(path, n, line)) for n, line in enumerate(handle, 1) if line.strip())
        chunk: dict[str, list] = {name: [] for name in columns}
        size = 0
        for number, row in rows:
            if fmt == "csv":
                if len(row) != len(columns):
                    raise FileProblem(f"{path.name}: line {number} has {len(row)} cells, the header {len(columns)}")
                for name, value in zip(columns, row, strict=True):
                    chunk[name].append(value)
            else:
                if set(row) - set(columns):
                    raise FileProblem(f"{path.name}: line {number} has keys the first line does not have")
                for name in columns:
                    chunk[name].append(row.get(name))
            size += 1
            if size == chunk_rows:
                yield chunk
                chunk = {name: [] for name in columns}
                size = 0
        if size:
            yield chunk


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_value(value: object) -> object:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


class TableWriter:
    def __init__(self, path: Path, columns: list[str], fmt: str):
        self.fmt = fmt
        self.columns = columns
        self.handle = path.open("w", newline="", encoding="utf-8")
        self.rows = 0
        if fmt == "csv":
            self.writer = csv.writer(self.handle, lineterminator="\n")
            self.writer.writerow(columns)

    def write(self, chunk: dict[str, list]) -> None:
        columns = [chunk[name] for name in self.columns]
        if self.fmt == "csv":
            self.writer.writerows([[_text(v) for v in row] for row in zip(*columns, strict=True)])
        else:
            self.handle.writelines(
                json.dumps({name: _json_value(v) for name, v in zip(self.columns, row, strict=True)},
                           ensure_ascii=False) + "\n"
                for row in zip(*columns, strict=True))
        self.rows += len(columns[0]) if columns else 0

    def close(self) -> None:
        self.handle.close()
