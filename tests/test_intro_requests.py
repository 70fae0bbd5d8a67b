"""Introduction requests people can trust: "Introduce me" asks first, a personal message goes
with the request, /intro list shows what is open (sent and received, with its age),
/intro cancel takes one back (it disappears for the counterpart), and an expired request is
announced to the requester with a suggestion of whom else to ask; English and German."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage import Store
from storage.tables import introductions, outbox
from tests.counterparts_support import register
from tests.support import Chat, FakeClock
from udx_bot.context import Services
from udx_bot.scheduler import housekeeping_job
from udx_bot.types import Reply


async def _rows(store: Store, table: object) -> int:
    async with store.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def _request_text(store: Store, intro_id: int) -> str:
    message = await store.outbox.get(f"intro:{intro_id}:request")
    assert message is not None
    return Reply.from_json(message.payload[0]).plain_text


@pytest.mark.parametrize("language", ["en", "de"])
async def test_introduce_me_asks_first_and_not_now_sends_nothing(
    store: Store, chat: Callable[..., Chat], language: str
) -> None:
    await register(store, "1", city="Stuttgart", department="mobility", language=language)
    await register(store, "2", city="St. Louis", department="mobility", name="Sam Lee")
    me = chat("1", language=language)
    listing = await me.send("/find")
    label = "Introduce me to Sam Lee" if language == "en" else "Vorstellung anfragen: Sam Lee"
    confirm = await me.press(listing.button(label))
    asked = {"en": "Ask Sam Lee (St. Louis", "de": "Sam Lee (St. Louis"}[language]
    assert asked in confirm and "/intro" in confirm
    no = {"en": "Not now", "de": "Jetzt nicht"}[language]
    assert {"en": "Not sent.", "de": "Nicht gesendet."}[language] in await me.press(
        confirm.button(no)
    )
    assert await _rows(store, introductions) == 0 and await _rows(store, outbox) == 0


async def test_a_personal_message_goes_with_the_request_in_the_readers_quotes(
    store: Store, chat: Callable[..., Chat], clock: FakeClock
) -> None:
    await register(store, "1", city="Stuttgart", department="mobility")
    sam = await register(store, "2", city="St. Louis", department="mobility", language="de")
    sent = await chat("1").send(f"/intro {sam.id}   We both   plan heat shelters.")
    assert "I've asked" in sent
    ((intro, _),) = await store.introductions.open_involving(sam.id, clock())
    text = await _request_text(store, intro.id)
    assert "Die Nachricht dazu: „We both plan heat shelters.“" in text


@pytest.mark.parametrize("language", ["en", "de"])
async def test_a_too_long_personal_message_is_refused_and_nothing_stored(
    store: Store, chat: Callable[..., Chat], language: str
) -> None:
    await register(store, "1", city="Stuttgart", department="mobility", language=language)
    sam = await register(store, "2", city="St. Louis", department="mobility")
    answer = await chat("1", language=language).send(f"/intro {sam.id} " + "word " * 100)
    assert {"en": "300 characters", "de": "höchstens 300 Zeichen"}[language] in answer
    assert await _rows(store, introductions) == 0 and await _rows(store, outbox) == 0


async def test_list_and_cancel_in_english_and_german(
    store: Store, chat: Callable[..., Chat], clock: FakeClock
) -> None:
    ada = await register(store, "1", city="Stuttgart", department="mobility", name="Ada Berg")
    sam = await register(
        store, "2", city="St. Louis", department="mobility", name="Sam Lee", language="de"
    )
    cleo = await register(store, "3", city="Leeds", department="mobility", name="Cleo Kim")
    assert "no open introduction requests" in await chat("1").send("/intro list")
    await chat("1").send(f"/intro {sam.id}")
    await chat("3").send(f"/intro {ada.id}")
    clock.advance(days=3)
    listing = await chat("1").send("/intro list")
    (mine,) = await store.introductions.between(ada.id, sam.id, clock())
    assert f"#{mine.id} · to Sam Lee · asked 3 days ago · /intro cancel {mine.id}" in listing
    assert "Requests to you" in listing and "from Cleo Kim · asked 3 days ago" in listing
    german = await chat("2", language="de").send("/intro liste")
    assert "von Ada Berg · gestellt vor 3 Tagen" in german and "Anfragen an Sie" in german

    # withdrawing: the queued request is not delivered, a press on a delivered one is stale
    assert await store.outbox.get(f"intro:{mine.id}:request") is not None
    done = await chat("1").send(f"/intro cancel {mine.id}")
    assert "Withdrawn: your request to Sam Lee." in done
    assert await store.outbox.get(f"intro:{mine.id}:request") is None
    assert "besteht nicht mehr" in await chat("2").press(f"meet:accept:{mine.id}")
    assert "Sie haben keine offenen Anfragen" in await chat("2").send("/intro list")

    # what cannot be withdrawn: someone else's, an unknown number, no number
    (theirs,) = await store.introductions.between(cleo.id, ada.id, clock())
    assert "no open request with the number" in await chat("1").send(f"/intro cancel {theirs.id}")
    assert "keine offene Anfrage mit der Nummer 999" in await chat("2", language="de").send(
        "/intro zurückziehen 999"
    )
    assert "Which request?" in await chat("1").send("/intro cancel")
    assert await _rows(store, introductions) == 1  # Cleo's request to Ada is untouched


async def test_the_withdraw_button_under_the_listing(
    store: Store, chat: Callable[..., Chat], clock: FakeClock
) -> None:
    ada = await register(store, "1", city="Stuttgart", department="mobility")
    sam = await register(store, "2", city="St. Louis", department="mobility", name="Sam Lee")
    await chat("1").send(f"/intro {sam.id}")
    listing = await chat("1").send("/intro list")
    assert "Withdrawn" in await chat("1").press(listing.button("Withdraw #"))
    assert await store.introductions.between(ada.id, sam.id, clock()) == []
    again = await chat("1").press(listing.button("Withdraw #"))
    assert "no open request" in again


@pytest.mark.parametrize("language", ["en", "de"])
async def test_an_expired_request_is_announced_once_with_a_suggestion(
    services: Services, store: Store, chat: Callable[..., Chat], clock: FakeClock, language: str
) -> None:
    ada = await register(store, "1", city="Stuttgart", department="mobility", language=language)
    sam = await register(store, "2", city="St. Louis", department="mobility", name="Sam Lee")
    other = await register(store, "3", city="St. Louis", department="mobility", name="Oli Ray")
    await chat("1", language=language).send(f"/intro {sam.id}")
    (intro,) = await store.introductions.between(ada.id, sam.id, clock())
    clock.advance(days=15)
    await housekeeping_job(services)
    await housekeeping_job(services)  # once only
    message = await store.outbox.get(f"intro:{intro.id}:expired")
    assert message is not None and message.participant_id == ada.id
    text = Reply.from_json(message.payload[0]).plain_text
    if language == "en":
        assert "Your introduction request to Sam Lee expired on" in text
        assert (
            f"You could ask Oli Ray (St. Louis, MO, Transportation) instead: /intro {other.id}"
            in text
        )
    else:
        assert "Ihre Anfrage, Sam Lee vorgestellt zu werden, ist am" in text
        assert "Sie könnten stattdessen Oli Ray (St. Louis, MO, Verkehrsplanung" in text
    async with store.db.read() as conn:
        keys = (await conn.execute(select(outbox.c.key))).scalars().all()
    assert sorted(keys) == sorted([f"intro:{intro.id}:request", f"intro:{intro.id}:expired"])
    # long expired: not announced any more
    clock.advance(days=30)
    assert await store.introductions.recently_expired(clock(), within=timedelta(days=7)) == []
