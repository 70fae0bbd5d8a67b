"""What a report is asked for: a date range, maybe some partnerships, read from chat or the
command line.

Dates are calendar days in UTC, both ends included: ``2026-10-01``, ``01.10.2026`` or a month
``2026-10`` (from its first day, to its last day).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from storage import Store
from storage.cities import City
from storage.report_data import ReportData
from udx_bot.i18n import Translator
from udx_bot.reference import closest_names, match_name

DEFAULT_MONTHS = 6  # /report without dates: this month and the five before it


class ReportInputError(ValueError):
    """A date or city that cannot be read; the message is in the reader's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # included

    @property
    def since(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return self.since + timedelta(days=(self.last - self.first).days + 1)


_ISO = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_day(text: str, t: Translator, *, end: bool = False) -> date:
    """One date; a month alone is its first day (``end``: its last day)."""
    try:
        if m := _ISO.fullmatch(text.strip()):
            year, month = int(m.group(1)), int(m.group(2))
            if m.group(3):
                return date(year, month, int(m.group(3)))
            day = calendar.monthrange(year, month)[1] if end else 1
            return date(year, month, day)
        if m := _DOTTED.fullmatch(text.strip()):
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        pass
    raise ReportInputError(
        t._("“{value}” is not a date. Write it like 2026-10-01, 01.10.2026 or 2026-10.").format(
            value=text
        )
    )


def period(first: str | None, last: str | None, t: Translator, today: date) -> Period:
    """The range from two optional dates (default: the last six months up to today)."""
    if first is None:
        start = date(today.year, today.month, 1)
        for _ in range(DEFAULT_MONTHS - 1):
            start = date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
        return Period(start, today)
    begin = parse_day(first, t)
    end = parse_day(last, t, end=True) if last is not None else today
    if end < begin:
        raise ReportInputError(
            t._("The range ends ({last}) before it starts ({first}).").format(
                first=t.fmt_date(begin), last=t.fmt_date(end)
            )
        )
    return Period(begin, end)


def find_city(name: str, cities: Sequence[City], t: Translator) -> City:
    names = [c.name for c in cities]
    found = match_name(name.lstrip("#"), names)
    if found is None:
        near = closest_names(name.lstrip("#"), names)
        message = t._("There is no city “{name}” in the network.").format(name=name)
        if near:
            message += " " + t._("Did you mean {names}?").format(names=t.fmt_list(near, "or"))
        raise ReportInputError(message)
    return next(c for c in cities if c.name == found)


async def build(
    store: Store,
    span: Period,
    city_ids: set[int] | None = None,
    pair: tuple[int, int] | None = None,
) -> ReportData:
    return await store.reports.build(span.since, span.until, city_ids, pair)


async def find_pair(store: Store, text: str, t: Translator) -> tuple[int, int]:
    """``"Esslingen:Sheboygan"`` -> the partnership's key (the lower city id first)."""
    first, sep, second = text.partition(":")
    if not sep or not first.strip() or not second.strip():
        raise ReportInputError(t._("Name a partnership as two cities, like Esslingen:Sheboygan."))
    cities = await store.cities.all()
    a, b = find_city(first, cities, t), find_city(second, cities, t)
    if b.id not in await store.cities.partner_ids(a.id):
        raise ReportInputError(
            t._("{city} and {partner} are not partner cities.").format(city=a.name, partner=b.name)
        )
    low, high = sorted((a.id, b.id))
    return (low, high)
