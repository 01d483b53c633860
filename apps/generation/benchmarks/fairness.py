"""The fairness line of `bench jobs`: how long a small job of tenant B waits while tenant A's big job runs.

Both runs in one `bench jobs` run, on fresh clusters of two workers: tenant A starts a big job; once its first
chunk runs, tenant B asks for 1,000 rows; the figure is B's time to first row (from B's request to the moment
its job has rows). The baseline runs with SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS=0 (every chunk of A enqueued at
once, in job order, so B's chunk waits behind A's backlog); the measured run with the cap (round-robin).
A's job is cancelled once B has its rows.
"""

from __future__ import annotations

import time

SMALL_ROWS = 1_000


def _wait(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)


def time_to_first_row(*, clusters_for, big_dataset, small_dataset, cap: int, timeout: int) -> dict:
    """One run: B's time to first row while A's job runs, with the per-tenant cap `cap` (0: none)."""
    from django.test import override_settings

    from apps.generation import services
    from apps.generation.models import ChunkStatus, GenerationJob, JobStatus

    with override_settings(SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS=cap):
        clusters = clusters_for({"SYNTHHUB_TENANT_MAX_RUNNING_CHUNKS": str(cap)})
        try:
            clusters.wait_ready()
            big = services.job_start(dataset=big_dataset, actor=None)
            _wait(lambda: big.chunks.filter(status__in=[ChunkStatus.RUNNING, ChunkStatus.DONE]).exists(),
                  timeout=timeout, what="the big job's first chunk")
            started = time.perf_counter()
            small = services.job_start(dataset=small_dataset, actor=None)
            _wait(lambda: GenerationJob.objects.filter(pk=small.pk, rows_done__gt=0).exists(), timeout=timeout,
                  what="the small job's first rows")
            seconds = time.perf_counter() - started
            big_done = GenerationJob.objects.get(pk=big.pk).chunks_done
            if GenerationJob.objects.get(pk=big.pk).status in (JobStatus.QUEUED, JobStatus.RUNNING):
                services.job_cancel(job=big, actor=None)
        finally:
            clusters.stop()
    return {"cap": cap, "seconds": seconds, "big_chunks": big.chunks_total, "big_chunks_done_by_then": big_done}


def measure(*, clusters_for, big_dataset, small_dataset, cap: int, timeout: int) -> dict:
    baseline = time_to_first_row(clusters_for=clusters_for, big_dataset=big_dataset, small_dataset=small_dataset,
                                 cap=0, timeout=timeout)
    capped = time_to_first_row(clusters_for=clusters_for, big_dataset=big_dataset, small_dataset=small_dataset,
                               cap=cap, timeout=timeout)
    return {"baseline": baseline, "capped": capped}


def report(figures: dict, *, big_rows: int, write) -> None:
    base, capped = figures["baseline"], figures["capped"]
    write(f"  fairness: tenant B's {SMALL_ROWS:,}-row job, time to first row while tenant A's {big_rows:,}-row job "
          f"({base['big_chunks']} chunks) runs")
    write(f"      without cap or round-robin (baseline)      {base['seconds']:>8.2f} s  "
          f"(A had finished {base['big_chunks_done_by_then']} chunks)")
    write(f"      cap {capped['cap']} chunks per tenant, round-robin        {capped['seconds']:>8.2f} s  "
          f"(A had finished {capped['big_chunks_done_by_then']} chunks)")
