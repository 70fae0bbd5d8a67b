"""When digests go out: local weekday and time, daylight saving on both sides of the Atlantic,
catch-up after downtime, never twice."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers import build_router
from storage import Store, open_store
from tests.support import FakeClock
from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.digest_runner import digest_key, tick
from udx_bot.digest_schedule import slot
from udx_bot.types import Reply

BERLIN, CHICAGO, LONDON = (
    ZoneInfo(z) for z in ("Europe/Berlin", "America/Chicago", "Europe/London")
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        # US summer time starts 2026-03-08, the EU's 2026-03-29: for three weeks Chicago is
        # only six hours behind Berlin.
        (utc(2026, 3, 4, 12), CHICAGO, utc(2026, 3, 2, 14)),  # CST, UTC-6
        (utc(2026, 3, 11, 12), CHICAGO, utc(2026, 3, 9, 13)),  # CDT, UTC-5
        (utc(2026, 3, 11, 12), BERLIN, utc(2026, 3, 9, 7)),  # CET, UTC+1
        (utc(2026, 3, 31, 12), BERLIN, utc(2026, 3, 30, 6)),  # CEST, UTC+2
        (utc(2026, 3, 31, 12), LONDON, utc(2026, 3, 30, 7)),  # BST, UTC+1
        (utc(2026, 11, 4, 12), LONDON, utc(2026, 11, 2, 8)),  # GMT
        (utc(2026, 10, 28, 12), CHICAGO, utc(2026, 10, 26, 13)),  # still CDT (US ends Nov 1)
        (utc(2026, 10, 28, 12), BERLIN, utc(2026, 10, 26, 7)),  # CET again (EU ended Oct 25)
    ],
)
def test_monday_eight_local_in_utc(now: datetime, tz: ZoneInfo, expected: datetime) -> None:
    assert slot(now, tz, 0, 8 * 60).at == expected


def test_iso_week_is_the_local_one() -> None:
    # Sunday 23:30 in Chicago is already Monday in Berlin: different ISO weeks.
    moment = utc(2026, 11, 30, 5, 30)
    assert slot(moment, CHICAGO, 0, 480).week == "2026-W48"
    assert slot(moment, BERLIN, 0, 480).week == "2026-W49"


# When the people of these tests registered: before every slot the tests look at.
REGISTERED = utc(2026, 1, 5, 12)


async def make_person(
    store: Store, city: str, user: str, *, now: datetime = REGISTERED, **profile: object
) -> int:
    cities = {c.name: c.id for c in await store.cities.all()}
    p, _ = await store.participants.touch("telegram", user, chat_id=user, now=now)
    await store.participants.update(
        p.id, city_id=cities[city], department="mobility", now=now, **profile
    )
    await store.membership.admit(p.id, now=now)  # registered people are members
    return p.id


@pytest.fixture
def quiet_week_services(services: Services) -> Services:
    """UDX_DIGEST_EMPTY=send, so every due participant gets at least a 'quiet week' digest."""
    services.settings = replace(services.settings, digest_empty="send")
    return services


async def test_due_at_local_time_and_only_once(
    quiet_week_services: Services, clock: FakeClock
) -> None:
    services = quiet_week_services
    berlin = await make_person(services.store, "Stuttgart", "1")
    chicago = await make_person(services.store, "St. Louis", "2")
    clock.set(utc(2026, 3, 9, 6, 59))  # Monday 07:59 in Stuttgart
    assert (await tick(services)).enqueued == []
    clock.set(utc(2026, 3, 9, 7, 0))
    assert (await tick(services)).enqueued == [berlin]
    clock.set(utc(2026, 3, 9, 12, 59))  # 07:59 CDT in St. Louis
    assert (await tick(services)).enqueued == []
    clock.set(utc(2026, 3, 9, 13, 0))
    assert (await tick(services)).enqueued == [chicago]
    clock.set(utc(2026, 3, 9, 13, 1))
    assert (await tick(services)).enqueued == []  # no double send across ticks
    message = await services.store.outbox.get(digest_key(berlin, "2026-W11"))
    assert message is not None and message.kind == "digest"


async def test_own_weekday_time_and_timezone(
    quiet_week_services: Services, clock: FakeClock
) -> None:
    services = quiet_week_services
    london = await make_person(
        services.store, "Leeds", "3", digest_weekday=4, digest_minute=17 * 60 + 30
    )
    clock.set(utc(2026, 7, 10, 16, 29))  # Friday 17:29 BST
    assert (await tick(services)).enqueued == []
    clock.set(utc(2026, 7, 10, 16, 30))
    assert (await tick(services)).enqueued == [london]


async def test_digest_off_sends_nothing(quiet_week_services: Services, clock: FakeClock) -> None:
    await make_person(quiet_week_services.store, "Leeds", "4", digest_enabled=False)
    clock.set(utc(2026, 7, 13, 12))
    assert (await tick(quiet_week_services)).enqueued == []


async def test_catch_up_after_downtime(
    quiet_week_services: Services, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    services = quiet_week_services
    person = await make_person(services.store, "Stuttgart", "5")
    clock.set(utc(2026, 3, 10, 6, 0))  # 23 hours late: still sent
    assert (await tick(services)).enqueued == [person]
    late = await make_person(services.store, "Kiel", "6")
    clock.set(utc(2026, 3, 16, 7, 1))
    assert sorted((await tick(services)).enqueued) == sorted([person, late])  # week 12 on time
    clock.set(utc(2026, 3, 25, 9, 0))  # down from Monday W13 07:00 until Wednesday: too late
    services.settings = replace(services.settings, digest_catchup_hours=24)
    report = await tick(services)
    assert sorted(report.skipped) == sorted([person, late]) and report.enqueued == []
    line = next(r.getMessage() for r in caplog.records if "skipped" in r.getMessage())
    assert "2026-W13, not sent: its time (2026-03-23 07:00 UTC) passed more than 24 hours" in line
    clock.set(utc(2026, 3, 30, 6, 0))  # the next week goes out normally (CEST now)
    assert sorted((await tick(services)).enqueued) == sorted([person, late])


async def test_a_newcomer_gets_the_first_digest_at_the_next_slot(
    quiet_week_services: Services, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    services = quiet_week_services
    # Monday 07:00 UTC is her slot (08:00 in Stuttgart); she joins on Wednesday, two days later
    clock.set(utc(2026, 11, 25, 9, 0))
    newcomer = await make_person(services.store, "Stuttgart", "n1", now=clock.now)
    report = await tick(services)
    assert report == type(report)()  # not due, and above all not "skipped"
    assert await services.store.digests.status(newcomer, "2026-W48") is None
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]
    clock.set(utc(2026, 11, 30, 7, 0))  # her next Monday
    assert (await tick(services)).enqueued == [newcomer]
    assert await services.store.outbox.get(digest_key(newcomer, "2026-W49")) is not None


async def test_digest_send_reaches_newcomers_and_missed_weeks(
    quiet_week_services: Services, clock: FakeClock
) -> None:
    services = quiet_week_services
    clock.set(utc(2026, 11, 25, 9, 0))  # Wednesday: Monday's slots are more than a day ago
    missed = await make_person(services.store, "Stuttgart", "m1")
    newcomer = await make_person(services.store, "Kiel", "m2", now=clock.now)
    assert (await tick(services)).skipped == [missed]
    report = await tick(services, force=True)  # udx-bot digest send
    assert sorted(report.enqueued) == sorted([missed, newcomer])
    assert await services.store.digests.status(missed, "2026-W48") == "enqueued"
    for pid in (missed, newcomer):
        assert await services.store.outbox.get(digest_key(pid, "2026-W48")) is not None
    assert await tick(services, force=True) == type(report)()  # a second run sends nothing
    assert await tick(services) == type(report)()


async def test_empty_week_sends_nothing_by_default(services: Services, clock: FakeClock) -> None:
    person = await make_person(services.store, "Stuttgart", "7")
    clock.set(utc(2026, 3, 9, 7, 0))
    report = await tick(services)
    assert report.enqueued == [] and report.empty == [person]
    assert await services.store.outbox.get(digest_key(person, "2026-W11")) is None


async def test_two_processes_ticking_at_once_send_once(
    quiet_week_services: Services, sqlite_url: str, clock: FakeClock
) -> None:
    first = quiet_week_services
    for n in range(8):
        await make_person(first.store, "Stuttgart", f"p{n}")
    other_store = await open_store(sqlite_url)
    second = Services(first.settings, other_store, build_router(), clock)
    try:
        clock.set(utc(2026, 3, 9, 7, 0))
        a, b = await asyncio.gather(tick(first), tick(second))
        assert sorted(a.enqueued + b.enqueued) == sorted(set(a.enqueued + b.enqueued))
        assert len(a.enqueued) + len(b.enqueued) == 8
    finally:
        await other_store.close()


def test_settings_default_catch_up() -> None:
    assert Settings.from_env({}).digest_catchup_hours == 24


async def test_scheduler_runs_the_tick_at_start_up(
    quiet_week_services: Services, clock: FakeClock
) -> None:
    from udx_bot.scheduler import SchedulerService

    ran = asyncio.Event()

    async def job(services: Services) -> None:
        await tick(services)
        ran.set()

    person = await make_person(quiet_week_services.store, "Stuttgart", "s1")
    scheduler = SchedulerService(quiet_week_services, [("digest", job, 60.0)])
    await scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), 5)
    finally:
        await scheduler.stop()
    week = slot(clock.now, BERLIN, 0, 480)
    status = await quiet_week_services.store.digests.status(person, week.week)
    # the first run happened at start-up: this week is handled (sent, or skipped if long past)
    assert status == ("enqueued" if clock.now - week.at < timedelta(hours=24) else "skipped") or (
        week.at > clock.now and status is None
    )


async def test_digest_command_in_both_languages(services: Services, chat, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(utc(2027, 6, 1, 12))  # long after the demo people joined
    en = chat("d1", language="en")
    await make_person(services.store, "Charlotte", "d1")
    answer = await en.send("/digest")
    assert "Nothing new for you in the past seven days" in answer
    assert "every Monday at 8:00\u202fAM" in answer
    de = chat("d2", language="de")
    await make_person(services.store, "Krefeld", "d2")
    answer = await de.send("/digest")
    assert "nichts Neues" in answer and "jeden Montag um 08:00" in answer


async def test_digest_command_needs_a_profile(chat) -> None:  # type: ignore[no-untyped-def]
    assert "/start" in await chat("d3").send("/digest")
    assert "/start" in await chat("d4", language="de").send("/digest")


async def test_housekeeping_expires_old_introductions_and_update_ids(
    services: Services, clock: FakeClock
) -> None:
    from udx_bot.scheduler import housekeeping_job

    store = services.store
    a = await make_person(store, "Stuttgart", "h1")
    b = await make_person(store, "St. Louis", "h2")
    intro = await store.introductions.request(a, b, clock.now)
    assert await store.updates.first_time("telegram", "u1", now=clock.now)
    clock.advance(days=15)
    await housekeeping_job(services)
    got = await store.introductions.get(intro.id, clock.now)
    assert got is not None and got.status == "expired"
    assert await store.updates.first_time(
        "telegram", "u1", now=clock.now
    )  # forgotten, so new again


async def test_a_scheduled_digest_speaks_the_language_of_the_account_it_goes_to(
    quiet_week_services: Services, clock: FakeClock
) -> None:
    """Someone who never chose a language gets the digest in their Telegram's language (the
    /digest preview already did; the scheduled one was in the default language)."""
    services = quiet_week_services
    store = services.store
    german = await make_person(store, "Stuttgart", "g1")
    await store.participants.touch("telegram", "g1", language_code="de", now=REGISTERED)
    chosen = await make_person(store, "Stuttgart", "g2", language="en")
    await store.participants.touch("telegram", "g2", language_code="de", now=REGISTERED)
    clock.set(utc(2026, 3, 9, 7, 0))  # Monday 08:00 in Stuttgart
    assert sorted((await tick(services)).enqueued) == sorted([german, chosen])
    for pid, words in ((german, "Ihr Wochenüberblick"), (chosen, "Your weekly digest")):
        message = await store.outbox.get(digest_key(pid, "2026-W11"))
        assert message is not None
        assert words in Reply.from_json(message.payload[0]).plain_text
