"""Membership through the real Telegram adapter (PTB against FakeTelegram): what a stranger sees,
in English and German, and the invitation link (``https://t.me/<bot>?start=<code>``, which
Telegram delivers as ``/start <code>``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from handlers.counterparts import FindPage
from tests.counterparts_support import register
from tests.telegram_support import TelegramHarness, polling_bot
from udx_bot.context import Services
from udx_bot.types import Reply

COORD, ANNA, BEN = 701, 702, 703
REFUSAL = {"en": "joining takes an invitation", "de": "der Beitritt braucht eine Einladung"}
LINK_RE = re.compile(r"https://t\.me/udx_test_bot\?start=([A-Z2-9]{12})")


@pytest.fixture
async def tg(services: Services) -> AsyncIterator[TelegramHarness]:
    services.settings = replace(services.settings, registration="invite")
    async with polling_bot(services) as harness:
        yield harness


@pytest.mark.parametrize("language", ["en", "de"])
async def test_a_stranger_is_refused_notes_search_people_and_buttons(
    tg: TelegramHarness, services: Services, language: str
) -> None:
    for text in ("/note what we learned #sdg13", "/find", "/notes", "/search heat"):
        seen = await tg.send(ANNA, text, language=language)
        assert len(seen) == 1 and REFUSAL[language] in seen[0], (text, seen)
    before = len(tg.fake.visible_texts(ANNA))
    update = tg.fake.push_callback(ANNA, FindPage(page=1).pack(), language_code=language)
    await tg.processed(update)
    pressed = tg.fake.visible_texts(ANNA)[before:]
    assert pressed and REFUSAL[language] in pressed[-1]
    assert tg.fake.calls_to("answerCallbackQuery")  # the press is answered, not left spinning
    helped = await tg.send(ANNA, "/help", language=language)
    assert "/mydata" in helped[0] and "/find" not in helped[0]
    anna = await services.store.participants.by_identity("telegram", str(ANNA))
    assert anna is not None and not anna.member


async def test_the_invitation_link_admits_on_telegram(
    tg: TelegramHarness, services: Services
) -> None:
    await register(services.store, str(COORD), city="Krefeld", department="mobility")
    await services.store.roster.set_role(
        "telegram", str(COORD), "coordinator", now=services.clock()
    )
    made = await tg.send(COORD, "/invite #Krefeld")
    link = LINK_RE.search(made[0])
    assert link, made
    code = link.group(1)
    assert f"/udx start {code}" in made[0]

    welcome = await tg.send(BEN, f"/start {code}", language="de")
    assert "Willkommen im Urban Diplomacy Exchange! Ihre Einladung ist angenommen." in welcome[0]
    ben = await services.store.participants.by_identity("telegram", str(BEN))
    assert ben is not None and ben.member and ben.city_name == "Krefeld"
    notes = await tg.send(BEN, "/notes", language="de")
    assert REFUSAL["de"] not in notes[0]

    again = await tg.send(ANNA, f"/start {code}", language="en")  # one use only
    assert "already been used as often as it allows" in again[0]
    anna = await services.store.participants.by_identity("telegram", str(ANNA))
    assert anna is not None and not anna.member


async def test_approval_round_trip_on_telegram(tg: TelegramHarness, services: Services) -> None:
    services.settings = replace(services.settings, registration="approval")
    store = services.store
    await register(store, str(COORD), city="Krefeld", department="mobility")
    await store.roster.set_role("telegram", str(COORD), "coordinator", now=services.clock())
    await tg.send(COORD, "/help")
    asked = await tg.send(ANNA, "/notes", language="de")
    assert "Aufnahme zu beantragen" in asked[0]
    await tg.send(ANNA, "/start", language="de")
    for typed in ("Deutsch", "Krefeld", "Umweltamt"):
        await tg.send(ANNA, typed, language="de")
    done = await tg.send(ANNA, "fertig", language="de")
    assert "gebeten, Sie aufzunehmen" in done[-1]
    anna = await store.participants.by_identity("telegram", str(ANNA))
    assert anna is not None and not anna.member
    request = await store.membership.open_request(anna.id)
    coord = await store.participants.by_identity("telegram", str(COORD))
    assert request is not None and coord is not None
    queued = await store.outbox.get(f"member:{request.id}:ask:{coord.id}")
    assert queued is not None
    (approve, _decline) = Reply.from_json(queued.payload[0]).all_buttons()
    update = tg.fake.push_callback(COORD, approve.data)
    await tg.processed(update)
    assert "was approved" in tg.fake.visible_texts(COORD)[-1]
    anna = await store.participants.by_identity("telegram", str(ANNA))
    assert anna is not None and anna.member
    assert REFUSAL["de"] not in (await tg.send(ANNA, "/notes", language="de"))[0]
    told = await store.outbox.get(f"member:{request.id}:outcome")
    assert told is not None and told.platform == "telegram"
