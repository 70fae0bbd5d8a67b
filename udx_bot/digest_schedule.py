"""When a participant's weekly digest is due: their weekday and local time in their timezone,
daylight-saving correct (Europe and the US change on different dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Slot:
    week: str  # ISO week in the participant's timezone, "2026-W48"
    at: datetime  # the scheduled moment this week, in UTC


def week_key(moment: datetime, tz: ZoneInfo) -> str:
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def slot(now: datetime, tz: ZoneInfo, weekday: int, minute: int) -> Slot:
    """This ISO week's scheduled moment (Monday = 0, minute of the day, local time)."""
    local = now.astimezone(tz)
    year, week, _ = local.isocalendar()
    day = date.fromisocalendar(year, week, weekday + 1)
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    # A wall time inside a spring-forward gap is taken with the offset before the change
    # (02:30 becomes 03:30), which is what people expect from an alarm clock.
    return Slot(f"{year}-W{week:02d}", wall.astimezone(UTC))


def window(at: datetime) -> tuple[datetime, datetime]:
    """What a digest scheduled at ``at`` covers: the seven days before it."""
    return at - timedelta(days=7), at
