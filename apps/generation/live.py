"""Rows a running chunk has written so far, seen by every process while the chunk's rows are uncommitted.

A chunk writes its records in one transaction (`chunk_run`), so the job's `rows_done` moves only when a chunk
commits. A chunk that runs long (a masking job's table is one chunk) reports its rows on a database connection
of its own, in autocommit, into a `ChunkProgress` row: one UPSERT of that row, which locks nothing else and
waits for nothing the chunk's transaction holds, so the lock order of `docs/jobs.md` is untouched. Reports are
written at most once per SYNTHHUB_PROGRESS_REPORT_MS (the first one at once), plus one of nothing done when the
chunk starts; the ones in between are dropped.

On SQLite the chunk's transaction holds the database file's write lock from its start (IMMEDIATE
transactions), so no other connection can write there until it commits: the rows go to a small SQLite file of
their own instead (SYNTHHUB_LIVE_PROGRESS_FILE, by default the database file's name + `-live`, in WAL mode so
readers never wait for the writer). One machine runs the embedded default, so every process sees that file.

Counts only: nothing of a row. A report that cannot be written is logged and dropped; it never fails the chunk.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, F, Min, Sum
from django.utils import timezone

from .models import ChunkProgress, ChunkStatus, JobChunk

logger = logging.getLogger(__name__)

_TABLE = ChunkProgress._meta.db_table
# The model's own table name only; {p} is the driver's placeholder.
_UPSERT = (f"INSERT INTO {_TABLE} (chunk_id, attempt, rows_done, rows_expected, updated_at) "  # noqa: S608
           f"VALUES ({{p}}, {{p}}, {{p}}, {{p}}, {{p}}) ON CONFLICT (chunk_id) DO UPDATE SET "
           f"attempt = EXCLUDED.attempt, rows_done = EXCLUDED.rows_done, rows_expected = EXCLUDED.rows_expected, "
           f"updated_at = EXCLUDED.updated_at")
_SIDE_TABLE = (f"CREATE TABLE IF NOT EXISTS {_TABLE} (chunk_id INTEGER PRIMARY KEY, attempt INTEGER NOT NULL, "
               f"rows_done INTEGER NOT NULL, rows_expected INTEGER NOT NULL, updated_at TEXT NOT NULL)")


def _sqlite() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor == "sqlite"


def side_file() -> Path:
    """The SQLite file of live reports when the database is SQLite."""
    if settings.SYNTHHUB_LIVE_PROGRESS_FILE:
        return Path(settings.SYNTHHUB_LIVE_PROGRESS_FILE)
    name = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise RuntimeError("an in-memory SQLite database needs SYNTHHUB_LIVE_PROGRESS_FILE for live progress")
    return Path(f"{name}-live")


def _side_connect() -> sqlite3.Connection:
    path = side_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=5, isolation_level=None)
    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(_SIDE_TABLE)
    return connection


class _Writer:
    """A connection apart from the chunk's: its own autocommit transactions, committed at once."""

    def __init__(self):
        self.side = _sqlite()
        self.connection = None

    def _open(self):
        if self.connection is None:
            self.connection = _side_connect() if self.side else connections.create_connection(DEFAULT_DB_ALIAS)
        return self.connection

    def execute(self, sql: str, params: list) -> None:
        connection = self._open()
        if self.side:
            connection.execute(sql.format(p="?"), params)
        else:
            with connection.cursor() as cursor:  # autocommit: committed when it returns
                cursor.execute(sql.format(p="%s"), params)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class ChunkReporter:
    """Reports of one attempt of one chunk: `start(expected)`, `report(rows, expected)` as it goes, `close()`
    when it has written everything, and `clear()` once the chunk's own counts say it all (after its commit, or
    its failure)."""

    def __init__(self, chunk, *, clock=time.monotonic):
        self.chunk_id, self.attempt = chunk.pk, chunk.attempts
        self.interval = settings.SYNTHHUB_PROGRESS_REPORT_MS / 1000
        self.clock, self.last, self.writes = clock, None, 0
        self.writer = _Writer()

    def start(self, expected: int) -> bool:
        """Nothing done yet, written at once (it replaces whatever an earlier attempt or run left there); the
        first report after it is not held back by it."""
        return self._write(0, expected)

    def report(self, rows: int, expected: int) -> bool:
        """Write the figures unless the last report was less than the interval ago; True when written."""
        now = self.clock()
        if self.last is not None and now - self.last < self.interval:
            return False
        self.last = now
        return self._write(rows, expected)

    def _write(self, rows: int, expected: int) -> bool:
        try:
            self.writer.execute(_UPSERT, [self.chunk_id, self.attempt, rows, expected, timezone.now().isoformat()
                                         if self.writer.side else timezone.now()])
        except Exception:  # noqa: BLE001 - a lost report shows as a bar that waits, never as a failed chunk
            logger.warning("progress report of chunk %s failed", self.chunk_id, exc_info=True)
            self.writer.close()
            return False
        self.writes += 1
        return True

    def close(self) -> None:
        self.writer.close()

    def clear(self) -> None:
        chunk_progress_clear(self.chunk_id)


def chunk_progress_clear(chunk_id: int) -> None:
    writer = _Writer()
    try:
        writer.execute(f"DELETE FROM {_TABLE} WHERE chunk_id = {{p}}", [chunk_id])  # noqa: S608
    except Exception:  # noqa: BLE001 - a leftover row is ignored by readers (the chunk is no longer running)
        logger.warning("progress clear of chunk %s failed", chunk_id, exc_info=True)
    finally:
        writer.close()


def running_rows(chunks: Iterable[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """{chunk id: (rows done, rows expected)} reported by these running (chunk id, attempt) pairs."""
    wanted = dict(chunks)
    if not wanted:
        return {}
    if _sqlite():
        try:
            connection = _side_connect()
        except (sqlite3.Error, RuntimeError, OSError):
            logger.warning("live progress file unreadable", exc_info=True)
            return {}
        try:
            marks = ",".join("?" * len(wanted))
            rows = connection.execute(f"SELECT chunk_id, attempt, rows_done, rows_expected FROM {_TABLE} "  # noqa: S608
                                      f"WHERE chunk_id IN ({marks})", list(wanted)).fetchall()
        finally:
            connection.close()
    else:
        rows = ChunkProgress.objects.filter(chunk_id__in=list(wanted)).values_list(
            "chunk_id", "attempt", "rows_done", "rows_expected")
    return {pk: (done, expected) for pk, attempt, done, expected in rows if wanted.get(pk) == attempt}


def _table_status(statuses: dict[str, int]) -> str:
    if set(statuses) == {ChunkStatus.DONE}:
        return ChunkStatus.DONE
    for status in (ChunkStatus.FAILED, ChunkStatus.CANCELLED):
        if statuses.get(status):
            return status
    if statuses.get(ChunkStatus.RUNNING) or statuses.get(ChunkStatus.DONE):
        return ChunkStatus.RUNNING
    return ChunkStatus.PENDING


def jobs_rows_progress(jobs: list) -> dict[int, dict]:
    """{job id: {rows_done, rows_total, tables: [{table, status, rows_done, rows_total}]}} in three queries
    whatever the number of jobs: rows of done chunks, plus what running chunks of unfinished jobs report.

    `rows_done` is the job's committed rows plus the running chunks' reports; a table's `rows_total` is its
    chunks' rows, or the exact count a running masking chunk reports (its chunk row is corrected on commit)."""
    if not jobs:
        return {}
    groups = (JobChunk.objects.filter(job_id__in=[j.pk for j in jobs]).values("job_id", "table_name", "status")
              .annotate(first=Min("pk"), chunks=Count("pk"), rows=Sum(F("stop") - F("start"))))
    unfinished = [j.pk for j in jobs if not j.is_finished]
    running = list(JobChunk.objects.filter(job_id__in=unfinished, status=ChunkStatus.RUNNING)
                   .values_list("pk", "job_id", "table_name", "attempts", "start", "stop")) if unfinished else []
    reported = running_rows((pk, attempts) for pk, _job, _table, attempts, _start, _stop in running)
    tables: dict[int, dict[str, dict]] = {j.pk: {} for j in jobs}
    for group in sorted(groups, key=lambda g: g["first"]):
        table = tables[group["job_id"]].setdefault(
            group["table_name"], {"table": group["table_name"], "statuses": {}, "rows_done": 0, "rows_total": 0})
        table["statuses"][group["status"]] = group["chunks"]
        table["rows_total"] += group["rows"] or 0
        if group["status"] == ChunkStatus.DONE:
            table["rows_done"] += group["rows"] or 0
    in_flight = dict.fromkeys(tables, 0)
    for pk, job_id, table_name, _attempts, start, stop in running:
        if pk in reported:
            done, expected = reported[pk]
            table = tables[job_id][table_name]
            table["rows_done"] += done
            table["rows_total"] += expected - (stop - start)
            in_flight[job_id] += done
    out = {}
    for job in jobs:
        listed = [{"table": t["table"], "status": _table_status(t.pop("statuses")), **t}
                  for t in tables[job.pk].values()]
        out[job.pk] = {"rows_done": job.rows_done + in_flight[job.pk], "rows_total": job.rows_total,
                       "tables": listed}
    return out


def job_rows_progress(job) -> dict:
    return jobs_rows_progress([job])[job.pk]
