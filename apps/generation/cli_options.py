"""Command-line options shared by `synth_generate` and `job_run`: absolute rows and the reference time."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import CommandError

from apps.generation.engine.limits import MAX_DATETIME, MIN_DATETIME


def parse_rows_options(values: list[str] | None) -> dict[str, int]:
    """`--rows table=N` (repeatable) as {table: N}; the engine checks the tables and the limits."""
    rows: dict[str, int] = {}
    for value in values or []:
        table, sep, count = value.partition("=")
        table, count = table.strip(), count.strip()
        if not sep or not table:
            raise CommandError(f"--rows must be TABLE=N, got {value!r}")
        try:
            number = int(count)
        except ValueError:
            raise CommandError(f"--rows {table}: the row count must be an integer, got {count!r}") from None
        if number < 0:
            raise CommandError(f"--rows {table}: the row count must be at least 0, got {number}")
        if table in rows and rows[table] != number:
            raise CommandError(f"--rows {table} is given twice ({rows[table]} and {number})")
        rows[table] = number
    return rows


def parse_reference_time(text: str | None) -> datetime | None:
    """An ISO 8601 datetime (a missing zone means UTC) within the engine's range, in UTC; None when not given."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise CommandError(f"--reference-time must be an ISO 8601 datetime, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not MIN_DATETIME <= moment <= MAX_DATETIME:
        raise CommandError(f"--reference-time must be from {MIN_DATETIME.isoformat()} to {MAX_DATETIME.isoformat()}, "
                           f"got {text!r}")
    return moment
