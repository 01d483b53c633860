"""Cron expressions: what they match, and the errors a bad one gets."""

from datetime import UTC, datetime

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
