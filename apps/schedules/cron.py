"""Five-field cron expressions (minute hour day-of-month month day-of-week), in UTC or an IANA time zone.

Each field takes `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and comma lists; months and weekdays
also take their English three-letter names, and 7 is Sunday like 0. As in Vixie cron, when both day fields
are restricted a day matches if either does. Parsing is bounded (the expression's length) and finding the
next time walks days, never minutes, and at most a few years of them.

In a time zone, the fields are read on that zone's wall clock, and the clock changes are handled so each
matching wall time fires at most once a day and none is lost:
- a wall time the clock skips (02:30 on a spring-forward day in Europe/Amsterdam) fires at the instant it would
  have been with the offset before the change (PEP 495, fold=0): 01:30 UTC, which the wall clock shows as 03:30;
- a wall time the clock shows twice (02:30 on a fall-back day) fires once, at its first occurrence (fold=0, the
  offset before the change: 00:30 UTC); the repeated hour does not fire again.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

MAX_LENGTH = 200
# A day that can match (the 29th of February with a weekday) may be several years away; nothing is further.
SEARCH_DAYS = 366 * 8

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day_of_month", 1, 31, {}), ("month", 1, 12, _MONTHS),
           ("day_of_week", 0, 7, _WEEKDAYS))


class CronError(ValueError):
    """The expression is not valid; `field` names the part that is wrong."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _number(text: str, low: int, high: int, names: dict, field: str) -> int:
    value = names.get(text.lower()) if names else None
    if value is None:
        if not text.isdigit() or len(text) > 2:
            raise CronError(f"{field}: '{text}' is not a number from {low} to {high}", field)
        value = int(text)
    if not low <= value <= high:
        raise CronError(f"{field}: {value} is outside {low}-{high}", field)
    return value


def _parse_field(text: str, low: int, high: int, names: dict, field: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"{field}: an empty item in a list", field)
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or not 1 <= int(step_text) <= high - low + 1:
                raise CronError(f"{field}: the step '{step_text}' must be a number from 1 to {high - low + 1}",
                                field)
            step = int(step_text)
        if span == "*":
            start, stop = low, high
        elif "-" in span:
            first, _, last = span.partition("-")
            start, stop = _number(first, low, high, names, field), _number(last, low, high, names, field)
            if start > stop:
                raise CronError(f"{field}: the range {span} runs backwards", field)
        else:
            start = _number(span, low, high, names, field)
            stop = high if step_text else start
        values.update(range(start, stop + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    def _day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return in_week
        if self.any_weekday:
            return in_month
        return in_month or in_week

    def next_after(self, moment: datetime, zone: tzinfo = UTC) -> datetime:
        """The first matching minute strictly after `moment`, read on `zone`'s wall clock; returned in UTC.
        CronError if none within the search."""
        after = moment.astimezone(UTC)
        local = moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        # The day before too: a wall time of the previous local day can still lie after `moment` in UTC (a
        # skipped time maps forward by the size of the gap).
        day = local.replace(hour=0, minute=0) - timedelta(days=1)
        for offset in range(SEARCH_DAYS):
            candidate_day = day + timedelta(days=offset)
            if not self._day_matches(candidate_day):
                continue
            found = [instant for hour in self.hours for minute in self.minutes
                     if (instant := candidate_day.replace(hour=hour, minute=minute, tzinfo=zone, fold=0)
                         .astimezone(UTC)) > after]
            if found:
                return min(found)
        raise CronError("the expression never matches a date (e.g. the 30th of February)", "day_of_month")


def parse(expression: str) -> Cron:
    if not isinstance(expression, str) or not expression.strip():
        raise CronError("give five fields: minute hour day-of-month month day-of-week")
    if len(expression) > MAX_LENGTH:
        raise CronError(f"at most {MAX_LENGTH} characters")
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(f"give five fields (minute hour day-of-month month day-of-week), not {len(parts)}")
    sets = [_parse_field(part, low, high, names, field)
            for part, (field, low, high, names) in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(value % 7 for value in sets[4])
    cron = Cron(minutes=sets[0], hours=sets[1], days=sets[2], months=sets[3], weekdays=weekdays,
                any_day=parts[2].startswith("*"), any_weekday=parts[4].startswith("*"))
    cron.next_after(datetime(2000, 1, 1, tzinfo=UTC))  # refuses what never matches
    return cron
