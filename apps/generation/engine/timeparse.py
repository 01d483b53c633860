"""Absolute and relative points in time, durations and time zones of the schema language.

Relative values (`today`, `now`, `-2y`, `+30d`, `-6h`) are resolved against a reference time
(aware UTC) in the column's time zone. Offset units: y (years), mo (months), w, d, h, m (minutes), s.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from . import limits

_OFFSET = re.compile(r"^([+-])(\d{1,6})(y|mo|w|d|h|m|s)$")
_STEP = re.compile(r"^(\d{1,9})(w|d|h|m|s)$")
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


class TimeValueError(ValueError):
    """A date, datetime, time, offset or step that cannot be read."""


def timezone_for(name: str) -> tzinfo:
    """The tzinfo for an IANA name (`UTC` included); TimeValueError when unknown."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfo raises several types for bad keys
        raise TimeValueError(f"unknown timezone {name!r}") from exc


def is_relative(text: str) -> bool:
    return text in ("now", "today") or bool(_OFFSET.match(text))


def parse_step(text: str) -> int:
    """Seconds in a step such as `1h`, `15m`, `1d` (strictly positive)."""
    match = _STEP.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise TimeValueError(f"invalid step {text!r} (expected a positive number and a unit w, d, h, m or s)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _shift_months(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise TimeValueError("offset leaves the supported calendar range")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _relative(text: str, reference: datetime, tz: tzinfo) -> datetime:
    local = reference.astimezone(tz)
    if text == "now":
        return local
    if text == "today":
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    match = _OFFSET.match(text)
    if not match:
        raise TimeValueError(f"invalid relative time {text!r}")
    amount = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
    unit = match.group(3)
    try:
        if unit == "y":
            return _shift_months(local, 12 * amount)
        if unit == "mo":
            return _shift_months(local, amount)
        return local + timedelta(seconds=amount * _UNIT_SECONDS[unit])
    except (OverflowError, ValueError) as exc:
        raise TimeValueError("offset leaves the supported calendar range") from exc


def _as_text(value: object) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if not isinstance(value, str):
        raise TimeValueError(f"expected a string, got {type(value).__name__}")
    return value.strip()


def resolve_date(value: object, reference: datetime, tz: tzinfo) -> date:
    text = _as_text(value)
    if is_relative(text):
        return _relative(text, reference, tz).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError as exc:
        raise TimeValueError(f"invalid date {text!r} (ISO YYYY-MM-DD or relative like today, -2y, +30d)") from exc


def resolve_datetime(value: object, reference: datetime, tz: tzinfo) -> datetime:
    """An aware UTC datetime (naive ISO values are read in `tz`), within limits.MIN_DATETIME..MAX_DATETIME."""
    text = _as_text(value)
    if is_relative(text):
        moment = _relative(text, reference, tz)
    else:
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError as exc:
            raise TimeValueError(
                f"invalid datetime {text!r} (ISO 8601 or relative like now, today, -6h, +30d)"
            ) from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError) as exc:  # a time zone offset past year 1 or 9999
        raise TimeValueError(f"datetime {text!r} is outside the supported range") from exc
    check_datetime(moment, text)
    return moment


def check_datetime(moment: datetime, text: str = "") -> None:
    """Datetimes keep a day clear of years 1 and 9999, so writing them in any time zone stays in range."""
    if not limits.MIN_DATETIME <= moment <= limits.MAX_DATETIME:
        shown = f"datetime {text!r}" if text else f"datetime {moment.isoformat()}"
        raise TimeValueError(f"{shown} is outside the supported range {limits.MIN_DATETIME.date().isoformat()} to "
                             f"{limits.MAX_DATETIME.replace(tzinfo=None).isoformat()}Z")


def resolve_time(value: object, reference: datetime, tz: tzinfo) -> int:
    """Seconds since midnight (relative values take the local time of day they point at)."""
    text = _as_text(value)
    if is_relative(text):
        moment = _relative(text, reference, tz)
        return moment.hour * 3600 + moment.minute * 60 + moment.second
    try:
        parsed = time.fromisoformat(text)
    except ValueError as exc:
        raise TimeValueError(f"invalid time {text!r} (HH:MM[:SS] or relative like now, -6h)") from exc
    return parsed.hour * 3600 + parsed.minute * 60 + parsed.second
