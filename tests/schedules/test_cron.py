"""Cron expressions: what they match, and the errors a bad one gets."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from apps.schedules.cron import CronError, parse


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("0 3 * * *", "2026-01-01T02:59", "2026-01-01T03:00"),
    ("0 3 * * *", "2026-01-01T03:00", "2026-01-02T03:00"),
    ("*/15 * * * *", "2026-01-01T10:07", "2026-01-01T10:15"),
    ("30 9 * * mon-fri", "2026-01-02T10:00", "2026-01-05T09:30"),  # Friday after 9:30 -> Monday
    ("0 0 1 jan,jul *", "2026-02-01T00:00", "2026-07-01T00:00"),
    ("0 0 29 2 *", "2026-03-01T00:00", "2028-02-29T00:00"),
    ("0 12 * * 7", "2026-01-01T00:00", "2026-01-04T12:00"),  # 7 is Sunday
    # Both day fields restricted: either matches (the 13th, or any Friday).
    ("0 0 13 * 5", "2026-02-01T00:00", "2026-02-06T00:00"),
    ("0 8-10/2 * * *", "2026-01-01T08:30", "2026-01-01T10:00"),
])
def test_next_firing(expression, after, expected):
    assert parse(expression).next_after(at(after)) == at(expected)


@pytest.mark.parametrize(("expression", "field"), [
    ("0 3 * *", ""),
    ("60 * * * *", "minute"),
    ("* 24 * * *", "hour"),
    ("* * 0 * *", "day_of_month"),
    ("* * * 13 *", "month"),
    ("* * * * 8", "day_of_week"),
    ("*/0 * * * *", "minute"),
    ("5-1 * * * *", "minute"),
    ("1,,2 * * * *", "minute"),
    ("x * * * *", "minute"),
    ("0 0 30 2 *", "day_of_month"),  # never matches
    ("* * * foo *", "month"),
])
def test_bad_expressions_name_their_field(expression, field):
    with pytest.raises(CronError) as caught:
        parse(expression)
    assert caught.value.field == field


def test_an_overlong_expression_is_refused_before_it_is_parsed():
    with pytest.raises(CronError):
        parse("0," * 500 + "0 * * * *")


# ----- time zones: the cron fields on a zone's wall clock, across both clock changes (docs/operations.md)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_a_daily_time_in_a_zone_follows_its_offset():
    cron = parse("30 2 * * *")
    assert cron.next_after(at("2026-01-10T12:00"), AMSTERDAM) == at("2026-01-11T01:30")  # CET, UTC+1
    assert cron.next_after(at("2026-07-10T12:00"), AMSTERDAM) == at("2026-07-11T00:30")  # CEST, UTC+2


def test_spring_forward_a_skipped_time_fires_once_at_the_old_offset():
    # 2026-03-29 in Amsterdam: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day. It fires at
    # 01:30 UTC (02:30 at the old offset, 03:30 on the wall clock), once, and the next day is back to 02:30 CEST.
    cron = parse("30 2 * * *")
    firings = [cron.next_after(at("2026-03-28T12:00"), AMSTERDAM)]
    for _ in range(2):
        firings.append(cron.next_after(firings[-1], AMSTERDAM))
    assert firings == [at("2026-03-29T01:30"), at("2026-03-30T00:30"), at("2026-03-31T00:30")]
    assert firings[0].astimezone(AMSTERDAM).strftime("%H:%M %Z") == "03:30 CEST"


def test_fall_back_a_repeated_time_fires_once_at_its_first_occurrence():
    # 2026-10-25 in Amsterdam: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice (00:30 and 01:30 UTC).
    cron = parse("30 2 * * *")
    first = cron.next_after(at("2026-10-24T12:00"), AMSTERDAM)
    assert first == at("2026-10-25T00:30") and first.astimezone(AMSTERDAM).strftime("%H:%M %Z") == "02:30 CEST"
    following = cron.next_after(first, AMSTERDAM)
    assert following == at("2026-10-26T01:30")  # not 01:30 UTC that day: the repeat does not fire again
    assert following.astimezone(AMSTERDAM).strftime("%H:%M %Z") == "02:30 CET"


def test_a_frequent_cron_across_the_changes_fires_each_instant_once_in_order():
    cron = parse("0,30 * * * *")
    spring, moment = [], at("2026-03-29T00:00")
    while moment < at("2026-03-29T03:00"):
        moment = cron.next_after(moment, AMSTERDAM)
        spring.append(moment)
    assert spring == sorted(set(spring))
    assert [m.strftime("%H:%M") for m in spring] == ["00:30", "01:00", "01:30", "02:00", "02:30", "03:00"]
    autumn, moment = [], at("2026-10-24T23:30")
    while moment < at("2026-10-25T02:00"):
        moment = cron.next_after(moment, AMSTERDAM)
        autumn.append(moment)
    # 02:00 and 02:30 CET (01:00 and 01:30 UTC) repeat wall times that already fired: skipped.
    assert [m.strftime("%H:%M") for m in autumn] == ["00:00", "00:30", "02:00"]
