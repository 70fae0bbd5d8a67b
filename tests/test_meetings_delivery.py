"""The invitation to the other person goes through the outbox: the real worker with the real PTB
Bot and slack_sdk client deliver it to the fake servers as a text and an .ics document/file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from storage import Store
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import running_clock, slack_route, telegram_route
from tests.support import Chat, FakeClock
from tests.test_meetings import _introduced
from tests.test_outbox_delivery import TOKEN, telegram_worker
from udx_bot.outbox_worker import OutboxWorker


async def test_the_invitation_reaches_telegram_as_a_document(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    _, _, intro, accepted = await _introduced(store, chat, clock)
    bob = chat("U2", platform="slack", language="de")
    slots = await bob.press(accepted.all_buttons()[0])
    await bob.press(slots.buttons[0])
    async with FakeTelegram() as fake:
        worker = telegram_worker(store, fake, clock)
        await worker.run_until_idle(within=20)
        await worker.stop()
        texts = fake.visible_texts(1)
        assert any("Call with Bob Berg: Fri, Nov 27" in t for t in texts), texts
        (upload,) = fake.documents(1)
    assert upload.filename == f"meeting-{intro}.ics"
    event = Calendar.from_ical(upload.content).walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert event["DTSTART"].dt == datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


async def test_the_invitation_reaches_slack_as_a_file(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    _, _, intro, _ = await _introduced(store, chat, clock)
    alice = chat("1")
    slots = await alice.send(f"/meet {intro}")
    await alice.press(slots.buttons[0])
    async with FakeTelegram() as tg, FakeSlack() as slack:
        routes = {**telegram_route(TOKEN, tg.base_url), **slack_route("xoxb-test", slack.api_url)}
        worker = OutboxWorker(store, routes, clock=running_clock(clock.now))
        await worker.run_until_idle(within=20)
        await worker.stop()
        line = "Gespräch mit User 1: Fr., 27. Nov., 16:00 bei Ihnen"
        assert any(line in t for t in slack.texts("U2")), slack.texts("U2")
        (upload,) = slack.files("U2")
    assert upload["filename"] == f"meeting-{intro}.ics"
    event = Calendar.from_ical(upload["content"]).walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert str(event["SUMMARY"]) == "Gespräch mit User 1 (Urban Diplomacy Exchange)"
