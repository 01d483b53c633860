"""Following a job from a terminal or a script until it finishes."""

import sys
import time

from tqdm import tqdm

from .models import GenerationJob


def wait_for_job(job_id: int, *, poll_seconds: float = 0.5, timeout: float | None = None, stream=None,
                 show_bar: bool | None = None) -> GenerationJob:
    """Poll the job's own row (not the queue) until it is finished; a progress bar when on a terminal."""
    stream = stream or sys.stderr
    if show_bar is None:
        show_bar = stream.isatty()
    job = GenerationJob.objects.get(pk=job_id)
    deadline = None if timeout is None else time.monotonic() + timeout
    with tqdm(total=job.rows_total, unit="rows", unit_scale=True, disable=not show_bar, file=stream) as bar:
        while True:
            job.refresh_from_db()
            bar.n = job.rows_done
            bar.set_postfix_str(job.status)
            bar.refresh()
            if job.is_finished:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.status} after {timeout:.0f}s "
                                   f"({job.rows_done:,}/{job.rows_total:,} rows)")
            time.sleep(poll_seconds)
