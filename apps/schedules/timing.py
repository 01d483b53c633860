"""When a schedule fires: its cron expression or interval, checked, and the next time after a moment."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from . import cron as cron_syntax

# Gaps between this many consecutive cron firings are checked against the minimum interval.
CRON_GAPS_CHECKED = 48
MAX_INTERVAL_SECONDS = 366 * 24 * 3600


def timing_problems(*, cron: str, interval_seconds: int | None, now: datetime) -> list[tuple[str, str]]:
    """Exactly one of cron and interval, valid, and firing no more often than the operator allows."""
    minimum = settings.SYNTHHUB_SCHEDULE_MIN_INTERVAL_SECONDS
    if bool(cron) == (interval_seconds is not None):
        return [("cron", "give either a cron expression or interval_seconds, not both and not neither")]
    if interval_seconds is not None:
        if not minimum <= interval_seconds <= MAX_INTERVAL_SECONDS:
            return [("interval_seconds", f"must be from {minimum} (SYNTHHUB_SCHEDULE_MIN_INTERVAL_SECONDS) to "
                                         f"{MAX_INTERVAL_SECONDS} seconds")]
        return []
    try:
        parsed = cron_syntax.parse(cron)
    except cron_syntax.CronError as exc:
        return [("cron", str(exc))]
    moment = parsed.next_after(now)
    for _ in range(CRON_GAPS_CHECKED):
        following = parsed.next_after(moment)
        if (following - moment).total_seconds() < minimum:
            return [("cron", f"fires {int((following - moment).total_seconds())} s apart at {moment:%Y-%m-%d %H:%M}; "
                             f"the shortest gap allowed is {minimum} s (SYNTHHUB_SCHEDULE_MIN_INTERVAL_SECONDS)")]
        moment = following
    return []


def next_run(*, cron: str, interval_seconds: int | None, after: datetime) -> datetime:
    """The next firing after `after` (a valid timing: see timing_problems)."""
    if cron:
        return cron_syntax.parse(cron).next_after(after)
    return after + timedelta(seconds=interval_seconds)
