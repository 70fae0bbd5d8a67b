"""/link across platforms, /mydata and /forget, in German and English."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import func, select

from storage.notes import NoteFilter
from storage.tables import identities, introductions, notes, participants
from tests.support import TEST_NOW, Chat, FakeClock
from udx_bot.context import Services


def code_of(answer_text: str) -> str:
    return answer_text.split("/link ")[1].split()[0]


async def count(services: Services, table: object) -> int:
    async with services.store.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_link_joins_telegram_and_slack(chat: Callable[..., Chat], services: Services) -> None:
    tg = chat("100", language="en")
    await tg.send("/profile city Leeds")
    await tg.send("/profile department parks")
    slack = chat("U100", platform="slack", language="en-GB")
    await slack.send("/help")  # first contact creates a separate participant
    people_before = await count(services, participants)
    code = code_of((await tg.send("/link")).text)
    assert len(code) == 6 and "10 minutes" in (tg.history[-1]).text
    answer = await slack.send(f"/link {code.lower()}")
    assert "Linked: your accounts on Telegram and Slack are now one profile" in answer
    assert await count(services, participants) == people_before - 1
    joined = await services.store.participants.by_identity("slack", "U100")
    assert joined is not None and joined.city_name == "Leeds"
    assert joined == await services.store.participants.by_identity("telegram", "100")
    shown = await slack.send("/profile")
    assert "Accounts: Telegram and Slack" in shown and "Digests go to: Telegram" in shown
    assert "Slack" in await slack.send("/profile deliver slack")
    again = await slack.send(f"/link {code}")  # single use
    assert "unknown, used or expired" in again


async def test_linking_keeps_the_profile_of_whoever_registered(
    chat: Callable[..., Chat], services: Services
) -> None:
    tg = chat("100", language="de")
    await tg.send("/profile city Kiel")
    await tg.send("/profile department Umweltamt")
    slack = chat("U100", platform="slack", language="de")
    code = code_of((await slack.send("/link")).text)  # the newcomer creates the code
    answer = await tg.send(f"/link {code}")
    assert "Verbunden: Ihre Konten bei Telegram und Slack" in answer
    joined = await services.store.participants.by_identity("slack", "U100")
    assert joined is not None and joined.city_name == "Kiel" and joined.registered


async def test_link_refusals_change_nothing(
    chat: Callable[..., Chat], services: Services, clock: FakeClock
) -> None:
    tg = chat("100", language="en")
    other_tg = chat("200", language="de")
    slack = chat("U100", platform="slack", language="en")
    code = code_of((await tg.send("/link")).text)
    assert "That is the code you created here" in await tg.send(f"/link {code}")
    assert "Beide Konten sind bei Telegram" in await other_tg.send(f"/link {code}")
    assert "unknown, used or expired" in await slack.send("/link ZZZZZZ")
    assert "Send the code on its own" in await slack.send("/link AB CD")
    clock.advance(minutes=11)
    assert "unknown, used or expired" in await slack.send(f"/link {code}")
    assert "unbekannt, schon verwendet oder abgelaufen" in await other_tg.send(f"/link {code}")
    assert await count(services, identities) >= 3
    for platform, user in (("telegram", "100"), ("telegram", "200"), ("slack", "U100")):
        found = await services.store.participants.identities(
            (await services.store.participants.by_identity(platform, user)).id  # type: ignore[union-attr]
        )
        assert len(found) == 1


async def test_mydata_sends_a_json_document(chat: Callable[..., Chat], services: Services) -> None:
    ada = chat("1", language="en")
    await ada.send("/profile city Leeds")
    await ada.send("/profile department parks")
    await ada.send("/profile sdgs 11 15")
    me = await services.store.participants.by_identity("telegram", "1")
    assert me is not None
    other = await services.store.participants.by_identity("telegram", "2") or None
    assert other is None
    async with services.store.db.write() as conn:
        await conn.execute(
            notes.insert().values(author_id=me.id, text="Tree cadastre", created_at=clock_now())
        )
        demo_id = (await conn.execute(select(participants.c.id).limit(1))).scalar_one()
        await conn.execute(
            introductions.insert().values(
                requester_id=me.id, target_id=demo_id, created_at=clock_now()
            )
        )
    answer = await ada.send("/mydata")
    reply = answer.replies[0]
    assert reply.document is not None and reply.document.filename == "udx-mydata.json"
    assert "1 note, 1 introduction" in answer
    data = json.loads(reply.document.content)
    assert data["profile"]["city"] == "Leeds" and data["profile"]["sdgs"] == [11, 15]
    assert data["identities"][0]["user_id"] == "1"
    assert data["notes"][0]["text"] == "Tree cadastre"
    assert data["introductions"][0]["direction"] == "requested"
    assert {"announcements", "link_codes", "messages", "digest_runs"} <= set(data)
    assert "link codes, the messages sent or waiting for you" in answer
    de = await chat("2", language="de").send("/mydata")
    assert "0 Notizen, 0 Vorstellungen" in de and de.replies[0].document is not None
    assert "Verknüpfungscodes, die an Sie gesendeten oder wartenden Nachrichten" in de


def clock_now() -> object:
    return FakeClock().now


async def test_forget_asks_then_erases(chat: Callable[..., Chat], services: Services) -> None:
    bea = chat("2", language="de")
    await bea.send("/profile city Kiel")
    await bea.send("/profile department Umweltamt")
    me = await services.store.participants.by_identity("telegram", "2")
    assert me is not None
    await services.store.notes.add(
        me.id, "x", city_id=me.city_id, department=me.department, now=TEST_NOW
    )
    ask = await bea.send("/forget")
    assert "endgültig gelöscht" in ask
    kept = await bea.press(ask.button("Abbrechen"))
    assert "Es wurde nichts gelöscht" in kept and kept.replies[0].edit
    assert await services.store.participants.get(me.id) is not None
    ask = await bea.send("/forget")
    gone = await bea.press(ask.button("Ja, alles löschen"))
    assert "wurden gelöscht" in gone and gone.replies[0].edit
    assert await services.store.participants.get(me.id) is None
    assert await services.store.notes.latest(NoteFilter(author_id=me.id)) == []
    assert "Willkommen" in await bea.send("/start")  # a newcomer again
    fresh = await services.store.participants.by_identity("telegram", "2")
    assert fresh is not None and not fresh.registered and fresh.city_id is None


async def test_forget_in_english(chat: Callable[..., Chat], services: Services) -> None:
    ada = chat("1", language="en")
    ask = await ada.send("/forget")
    assert "cannot be undone" in ask
    assert "have been erased" in await ada.press(ask.button("Yes, erase"))
    assert await services.store.participants.identity("telegram", "1") is None
