"""Fair meeting times for two people without calendar access: a pure function of both people's
timezone, working hours and public holidays, and of ``now`` (from the injected clock).

:func:`find_slots` proposes :data:`COUNT` slots of :data:`DURATION` within the next
:data:`WORKING_DAYS` days on which both work (Monday to Friday, not a public holiday of their
country, or state where the ``holidays`` package knows it), each on another day and spread over
that horizon. Every instant is computed in UTC and read in each person's zone through zoneinfo,
so the weeks in March/April and October/November when Europe and the US change clocks on
different dates come out right by construction.

Inside both people's hours, a slot at the very start or end of someone's day costs them a little
(:func:`_edge_cost`); the slots are chosen one by one so the sum of those costs stays even between
the two (Berlin–Chicago: one at 16:00 Berlin / 09:00 Chicago, the next at 16:30 / 09:30). When
the hours do not overlap at all, the proposal says so (``overlap=False``) and offers the least-bad
slots: the fewest minutes outside anyone's hours, that burden shared the same way.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

with warnings.catch_warnings():
    # holidays 0.60 to 0.6x warn at import about their coming 1.0 versioning (a notice, not a
    # problem of ours: pyproject.toml keeps holidays below 1.0, as that notice recommends)
    warnings.simplefilter("ignore", DeprecationWarning)
    import holidays

COUNT = 3
WORKING_DAYS = 10
DURATION = timedelta(minutes=30)
STEP = timedelta(minutes=30)
NOTICE = timedelta(hours=12)  # the first slot is at least this far ahead
MAX_CALENDAR_DAYS = 31  # the horizon never reaches further (holidays galore)
DEFAULT_START = time(9)
DEFAULT_END = time(17)
COMFORT = 60  # minutes from the edge of someone's day inside which a slot costs them


@dataclass(frozen=True)
class Person:
    timezone: str
    country: str | None = None  # ISO 3166 alpha-2 of their city
    subdivision: str | None = None  # a state ("BY", "CA") where known
    start: time = DEFAULT_START
    end: time = DEFAULT_END

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("working hours must end after they start")


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime
    outside: tuple[int, int]  # minutes beyond each person's working hours (0: inside)


@dataclass(frozen=True)
class Proposal:
    slots: tuple[Slot, ...]
    overlap: bool  # False: the hours never overlap; the slots are the least bad


@cache
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except (NotImplementedError, KeyError):  # a country (or state) the package does not know
        if subdivision is None:
            return frozenset()
        return _holidays(country, None, year)
    return frozenset(found.keys())


def is_working_day(person: Person, day: date) -> bool:
    if day.weekday() >= 5:
        return False
    if person.country is None:
        return True
    return day not in _holidays(person.country.upper(), person.subdivision, day.year)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _local(person: Person, instant: datetime) -> datetime:
    return instant.astimezone(ZoneInfo(person.timezone))


def _outside(person: Person, start: datetime, end: datetime) -> int | None:
    """How many minutes [start, end) reaches beyond the person's hours (before their start
    plus after their end; 0: inside); None on a day they do not work."""
    local_start = _local(person, start)
    if not is_working_day(person, local_start.date()):
        return None
    begin = _minutes(local_start.time())
    finish = begin + int((end - start).total_seconds() // 60)  # past midnight: > 24 h, outside
    lo, hi = _minutes(person.start), _minutes(person.end)
    return max(0, lo - begin) + max(0, finish - hi)


def _edge_cost(person: Person, start: datetime, end: datetime) -> int:
    """How close to the start or end of the person's day a slot inside their hours is."""
    begin = _minutes(_local(person, start).time())
    finish = begin + int((end - start).total_seconds() // 60)
    distance = min(begin - _minutes(person.start), _minutes(person.end) - finish)
    return max(0, COMFORT - distance)


def _horizon(a: Person, b: Person, now: datetime) -> datetime:
    """The end of the last of the next WORKING_DAYS days on which both work (a's calendar)."""
    zone = ZoneInfo(a.timezone)
    day = now.astimezone(zone).date()
    counted = 0
    for _ in range(MAX_CALENDAR_DAYS):
        day += timedelta(days=1)
        if is_working_day(a, day) and is_working_day(b, day):
            counted += 1
            if counted == WORKING_DAYS:
                break
    return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)


def _candidates(
    a: Person, b: Person, now: datetime, duration: timedelta
) -> list[tuple[Slot, tuple[int, int]]]:
    """Every start on the STEP grid up to the horizon, on a day both work: the slot and what
    it costs each person (minutes outside, or the edge cost when inside)."""
    first = now.astimezone(UTC) + NOTICE
    step_minutes = int(STEP.total_seconds() // 60)
    first = first.replace(second=0, microsecond=0)
    first += timedelta(minutes=(-first.minute) % step_minutes)
    end_of_horizon = _horizon(a, b, now)
    found = []
    start = first
    while start + duration <= end_of_horizon:
        end = start + duration
        out_a, out_b = _outside(a, start, end), _outside(b, start, end)
        if out_a is not None and out_b is not None:
            slot = Slot(start, end, (out_a, out_b))
            if out_a == 0 and out_b == 0:
                cost = (_edge_cost(a, start, end), _edge_cost(b, start, end))
            else:
                cost = (out_a, out_b)
            found.append((slot, cost))
        start += STEP
    return found


def find_slots(
    a: Person, b: Person, now: datetime, *, count: int = COUNT, duration: timedelta = DURATION
) -> Proposal:
    """Up to ``count`` slots for ``a`` and ``b`` (see the module's docstring)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    candidates = _candidates(a, b, now, duration)
    inside = [(s, c) for s, c in candidates if s.outside == (0, 0)]
    overlap = bool(inside)
    if not overlap and candidates:
        least = min(max(s.outside) for s, _ in candidates)
        inside = [(s, c) for s, c in candidates if max(s.outside) == least]
    by_day: dict[date, list[tuple[Slot, tuple[int, int]]]] = {}
    for slot, cost in inside:
        by_day.setdefault(_local(a, slot.start).date(), []).append((slot, cost))
    days = sorted(by_day)
    if len(days) > count > 1:  # spread over the horizon: the first day, then evenly
        days = [days[round(i * (len(days) - 1) / (count - 1))] for i in range(count)]
    chosen: list[Slot] = []
    totals = [0, 0]
    for day in days[:count]:
        slot, cost = min(
            by_day[day],
            key=lambda sc: (
                abs((totals[0] + sc[1][0]) - (totals[1] + sc[1][1])),
                sc[1][0] + sc[1][1],
                sc[0].start,
            ),
        )
        totals[0] += cost[0]
        totals[1] += cost[1]
        chosen.append(slot)
    return Proposal(tuple(chosen), overlap)
