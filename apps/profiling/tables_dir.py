"""Tables from a directory of files, one per table (`<table>.csv`, `.jsonl` or `.parquet`), for the commands
that work without a database. Bounded: files over MAX_FILE_BYTES or tables over MAX_ROWS are refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .reports import typed_text

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ROWS = 1_000_000
READERS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


class TablesDirError(ValueError):
    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


def read_table(path: Path) -> pd.DataFrame:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TablesDirError(str(path), f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    kind = READERS[path.suffix.lower()]
    try:
        if kind == "csv":
            frame = pd.read_csv(path, nrows=MAX_ROWS + 1, dtype=str, keep_default_na=True, encoding="utf-8")
        elif kind == "jsonl":
            frame = pd.read_json(path, lines=True, nrows=MAX_ROWS + 1, dtype=False, convert_dates=False)
        else:
            frame = pd.read_parquet(path)
    except (ValueError, UnicodeDecodeError, OSError, pd.errors.ParserError) as exc:
        raise TablesDirError(str(path), f"not a readable {kind} table ({type(exc).__name__})") from exc
    if len(frame) > MAX_ROWS:
        raise TablesDirError(str(path), f"more than {MAX_ROWS} rows")
    return frame.apply(typed_text)


def read_tables(directory: str) -> dict[str, pd.DataFrame]:
    root = Path(directory)
    if not root.is_dir():
        raise TablesDirError(directory, "not a directory")
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in READERS)
    if not files:
        raise TablesDirError(directory, "holds no .csv, .jsonl or .parquet table")
    tables = {}
    for path in files:
        if path.stem in tables:
            raise TablesDirError(str(path), f"a second file for table '{path.stem}'")
        tables[path.stem] = read_table(path)
    return tables
