"""Progress inside a masking job's table: the rows a running chunk has masked so far, beside the rows it is
expected to have (counted or estimated when the job started, counted exactly by the chunk in the snapshot it
reads), so a job page shows a moving bar while one big table is masked.

A chunk writes its records in one transaction, so the job's own `rows_done` moves only when a table is done;
the rows read so far are reported through the default cache instead (Redis when SYNTHHUB_CACHE_URL is set, so
every web process sees what the workers report; with per-process memory only a page served by the worker's
own process would). Counts only: nothing of a row.
"""

from __future__ import annotations

from django.core.cache import cache

from apps.generation.models import ChunkStatus

TIMEOUT_SECONDS = 24 * 3600


def _key(chunk_id: int) -> str:
    return f"masking:chunk-rows:{chunk_id}"


def chunk_rows_report(chunk_id: int, rows: int, expected: int) -> None:
    cache.set(_key(chunk_id), [rows, expected], TIMEOUT_SECONDS)


def chunk_rows_clear(chunk_id: int) -> None:
    cache.delete(_key(chunk_id))


def tables_progress(job) -> list[dict]:
    """Per table (chunk) of a masking job: status, rows done and rows expected."""
    chunks = list(job.chunks.order_by("pk").values("pk", "table_name", "start", "stop", "status"))
    reported = cache.get_many([_key(c["pk"]) for c in chunks if c["status"] == ChunkStatus.RUNNING])
    out = []
    for chunk in chunks:
        expected = chunk["stop"] - chunk["start"]
        done = expected if chunk["status"] == ChunkStatus.DONE else 0
        if chunk["status"] == ChunkStatus.RUNNING and _key(chunk["pk"]) in reported:
            done, expected = reported[_key(chunk["pk"])]
        out.append(
            {
                "table": chunk["table_name"],
                "status": chunk["status"],
                "rows_done": done,
                "rows_expected": expected,
                "percent": min(100, round(100 * done / expected)) if expected else (100 if done else 0),
            }
        )
    return out


def rows_in_flight(job) -> int:
    """Rows the job's running chunks have masked and not yet committed."""
    return sum(t["rows_done"] for t in tables_progress(job) if t["status"] == ChunkStatus.RUNNING)
