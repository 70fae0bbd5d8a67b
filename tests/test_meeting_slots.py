"""The slot finder (udx_bot/meeting_slots.py) as a pure function over fixed instants: the DST
gap weeks of 2026 and 2027, public holidays, hours that never overlap, and burden sharing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from udx_bot.meeting_slots import Person, find_slots, is_working_day

BERLIN = Person("Europe/Berlin", "DE")
CHICAGO = Person("America/Chicago", "US")
LONDON = Person("Europe/London", "GB")
NEW_YORK = Person("America/New_York", "US")
LOS_ANGELES = Person("America/Los_Angeles", "US")


def local(person: Person, instant: datetime) -> datetime:
    return instant.astimezone(ZoneInfo(person.timezone))


def assert_inside(person: Person, instant: datetime, end: datetime) -> None:
    start, stop = local(person, instant), local(person, end)
    assert start.weekday() < 5
    assert (
        person.start <= start.time() and stop.time() <= person.end and start.date() == stop.date()
    )


def test_winter_berlin_chicago_is_the_one_hour_window() -> None:
    proposal = find_slots(BERLIN, CHICAGO, datetime(2026, 12, 3, 8, tzinfo=UTC))
    assert proposal.overlap and len(proposal.slots) == 3
    for slot in proposal.slots:
        assert slot.start.tzinfo is not None and slot.end - slot.start == (slot.end - slot.start)
        assert_inside(BERLIN, slot.start, slot.end)
        assert_inside(CHICAGO, slot.start, slot.end)
        assert local(BERLIN, slot.start).hour == 16  # 16:00 or 16:30 CET = 09:00/09:30 CST
    assert len({local(BERLIN, s.start).date() for s in proposal.slots}) == 3  # another day each


@pytest.mark.parametrize(
    ("now", "gap_day"),
    [
        (datetime(2026, 3, 9, 8, tzinfo=UTC), date(2026, 3, 10)),  # US on CDT, Berlin on CET
        (datetime(2026, 10, 26, 8, tzinfo=UTC), date(2026, 10, 27)),  # Berlin on CET, US on CDT
        (datetime(2027, 3, 15, 8, tzinfo=UTC), date(2027, 3, 16)),
    ],
)
def test_dst_gap_weeks_berlin_chicago_six_hours(now: datetime, gap_day: date) -> None:
    proposal = find_slots(BERLIN, CHICAGO, now)
    first = proposal.slots[0]
    assert local(BERLIN, first.start).date() == gap_day
    # six hours apart in the gap: 15:30 in Berlin is 09:30 in Chicago, inside both days
    offset = local(BERLIN, first.start).utcoffset() - local(CHICAGO, first.start).utcoffset()  # type: ignore[operator]
    assert offset.total_seconds() == 6 * 3600
    for slot in proposal.slots:
        assert_inside(BERLIN, slot.start, slot.end)
        assert_inside(CHICAGO, slot.start, slot.end)


def test_after_the_gap_the_window_is_seven_hours_again() -> None:
    proposal = find_slots(BERLIN, CHICAGO, datetime(2026, 10, 26, 8, tzinfo=UTC))
    late = [s for s in proposal.slots if local(BERLIN, s.start).date() >= date(2026, 11, 2)]
    assert late
    for slot in late:
        assert local(BERLIN, slot.start).hour == 16
        assert local(CHICAGO, slot.start).hour == 9


def test_london_new_york_in_the_march_gap() -> None:
    now = datetime(2027, 3, 16, 6, tzinfo=UTC)  # NY on EDT since 14 March, London GMT until 28th
    for slot in find_slots(LONDON, NEW_YORK, now).slots:
        assert_inside(LONDON, slot.start, slot.end)
        assert_inside(NEW_YORK, slot.start, slot.end)
        gap = 4 if local(LONDON, slot.start).date() < date(2027, 3, 28) else 5
        assert local(NEW_YORK, slot.start).hour + gap == local(LONDON, slot.start).hour
    first = find_slots(LONDON, NEW_YORK, now).slots[0]
    assert local(LONDON, first.start).date() < date(2027, 3, 28)


def test_berlin_los_angeles_never_overlaps_least_bad_and_shared() -> None:
    proposal = find_slots(BERLIN, LOS_ANGELES, datetime(2026, 12, 3, 8, tzinfo=UTC))
    assert not proposal.overlap and len(proposal.slots) == 3
    # 17:00 Berlin = 08:00 LA (30 and 60 minutes beyond) or 17:30 = 08:30 (60 and 30)
    assert all(max(s.outside) == 60 for s in proposal.slots)
    burdens = [s.outside for s in proposal.slots]
    assert (30, 60) in burdens and (60, 30) in burdens  # both take the late/early turn


def test_burden_is_shared_between_early_and_late() -> None:
    proposal = find_slots(BERLIN, CHICAGO, datetime(2026, 12, 3, 8, tzinfo=UTC))
    starts = [local(BERLIN, s.start).time() for s in proposal.slots]
    assert time(16) in starts and time(16, 30) in starts  # Chicago's 09:00 and Berlin's 16:30


def test_holidays_of_either_country_are_skipped() -> None:
    # 24–26 Dec and 1 Jan: German holidays (26th) and US ones (25th, 1st); weekends around
    proposal = find_slots(BERLIN, CHICAGO, datetime(2026, 12, 21, 8, tzinfo=UTC))
    days = {local(BERLIN, s.start).date() for s in proposal.slots}
    assert not days & {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}
    assert not is_working_day(CHICAGO, date(2026, 11, 26))  # Thanksgiving
    assert is_working_day(BERLIN, date(2026, 11, 26))
    assert not is_working_day(BERLIN, date(2026, 10, 3)) or date(2026, 10, 3).weekday() >= 5
    thanksgiving = find_slots(BERLIN, CHICAGO, datetime(2026, 11, 25, 8, tzinfo=UTC))
    assert date(2026, 11, 26) not in {local(BERLIN, s.start).date() for s in thanksgiving.slots}


def test_state_holidays_when_known() -> None:
    bavaria = Person("Europe/Berlin", "DE", "BY")
    assert not is_working_day(bavaria, date(2027, 1, 6))  # Epiphany in Bavaria
    assert is_working_day(BERLIN, date(2027, 1, 6))
    assert is_working_day(Person("Europe/Berlin", "DE", "XX"), date(2027, 1, 6))  # unknown state


def test_own_hours_and_notice() -> None:
    early = Person("America/Chicago", "US", start=time(7), end=time(15))
    now = datetime(2026, 12, 3, 8, tzinfo=UTC)
    proposal = find_slots(BERLIN, early, now)
    assert proposal.overlap
    for slot in proposal.slots:
        assert slot.start >= now
        assert_inside(early, slot.start, slot.end)
        assert local(BERLIN, slot.start).hour >= 14


def test_bad_hours_and_naive_now_are_refused() -> None:
    with pytest.raises(ValueError):
        Person("Europe/Berlin", start=time(18), end=time(9))
    with pytest.raises(ValueError):
        find_slots(BERLIN, CHICAGO, datetime(2026, 12, 3, 8))


def test_every_network_city_has_a_state_the_holidays_package_knows() -> None:
    import csv
    import io
    from importlib import resources

    import holidays

    from udx_bot.reference import subdivision

    data = resources.files("udx_bot").joinpath("data")
    cities = list(csv.DictReader(io.StringIO(data.joinpath("cities.csv").read_text("utf-8"))))
    for city in cities:
        state = subdivision(city["name"])
        assert state is not None, city["name"]
        assert state in holidays.country_holidays(city["country"]).subdivisions, city["name"]


def test_renamed_and_state_suffixed_cities_keep_their_state() -> None:
    from udx_bot.reference import subdivision

    assert subdivision("County Durham") == subdivision("Durham County") == "ENG"
    assert subdivision("Glendale, AZ") == "AZ" and subdivision("Nowhere") is None
