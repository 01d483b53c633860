"""When a schedule fires: its cron expression or interval, checked, and the next time after a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings

from . import cron as cron_syntax

# Gaps between this many consecutive cron firings are checked against the minimum interval.
CRON_GAPS_CHECKED = 48
MAX_INTERVAL_SECONDS = 366 * 24 * 3600


DEFAULT_ZONE = "UTC"
MAX_ZONE_LENGTH = 64


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {DEFAULT_ZONE}


def zone_problem(name) -> str | None:
    """None for an IANA time zone name this installation knows (e.g. Europe/Amsterdam, UTC)."""
    if not isinstance(name, str) or not name or len(name) > MAX_ZONE_LENGTH or name not in _zones():
        return "an IANA time zone name, e.g. Europe/Amsterdam or UTC"
    return None


def zone_of(name: str):
    return UTC if not name or name == DEFAULT_ZONE else ZoneInfo(name)


def timing_problems(*, cron: str, interval_seconds: int | None, now: datetime,
                    timezone: str = DEFAULT_ZONE) -> list[tuple[str, str]]:
    """Exactly one of cron and interval, valid, and firing no more often than the operator allows; a known
    time zone (it reads the cron fields; an interval is elapsed time and ignores it)."""
    minimum = settings.SYNTHHUB_SCHEDULE_MIN_INTERVAL_SECONDS
    if problem := zone_problem(timezone):
        return [("timezone", problem)]
    zone = zone_of(timezone)
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
    moment = parsed.next_after(now, zone)
    for _ in range(CRON_GAPS_CHECKED):
        following = parsed.next_after(moment, zone)
        if (following - moment).total_seconds() < minimum:
            return [("cron", f"fires {int((following - moment).total_seconds())} s apart at {moment:%Y-%m-%d %H:%M}; "
                             f"the shortest gap allowed is {minimum} s (SYNTHHUB_SCHEDULE_MIN_INTERVAL_SECONDS)")]
        moment = following
    return []


def next_run(*, cron: str, interval_seconds: int | None, after: datetime,
             timezone: str = DEFAULT_ZONE) -> datetime:
    """The next firing after `after` (a valid timing: see timing_problems); cron fields on `timezone`'s clock."""
    if cron:
        return cron_syntax.parse(cron).next_after(after, zone_of(timezone))
    return after + timedelta(seconds=interval_seconds)
