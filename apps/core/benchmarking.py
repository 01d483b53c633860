"""What every benchmark measures the same way: a process's peak memory, work run in a fresh child
process, and PASS/MISS against a target."""

from __future__ import annotations

import multiprocessing
import resource
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB.

    Linux: VmHWM from /proc, which starts afresh when a process execs. `ru_maxrss` does not: a spawned
    child inherits the high-water mark of the parent it was forked from, so a child of a large process
    would report the parent's size. Elsewhere, `ru_maxrss` (kilobytes on Linux, bytes on macOS).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def run_in_child(target, *args, name: str):
    """Run `target(*args, pipe)` in a fresh spawned process; it sends ("ok", payload) or ("error", text)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(*args, sender), name=name)
    child.start()
    sender.close()
    try:
        status, payload = receiver.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"{name} died (exit code {child.exitcode})") from None
    child.join()
    if status != "ok":
        raise RuntimeError(f"{name} failed: {payload}")
    return payload


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"
