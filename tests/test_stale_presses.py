"""A repeated or stale button press never destroys information: it is answered with a short
notice (Telegram: the callback answer; Slack: an ephemeral message; console: one line) and the
pressed message stays as it is. Through the real adapters against the fake platform servers,
and through the router for every button whose action can already have happened."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from storage import Store
from storage.tables import introductions
from tests.counterparts_support import register
from tests.fakes.slack_api import FakeSlack, message_text
from tests.outbox_support import slack_route, telegram_route
from tests.slack_support import TOKEN as SLACK_TOKEN
from tests.slack_support import SlackHarness, button, harness
from tests.support import TEST_NOW, Chat, FakeClock, person
from tests.telegram_support import TOKEN, polling_bot
from udx_bot.context import Services
from udx_bot.outbox_worker import OutboxWorker
from udx_bot.platforms.console import ConsoleChat, console_actor
from udx_bot.types import Button, Reply

GERTRUD, EMMA = 601, 602


def callback_answer(fake: Any, update: dict[str, Any]) -> dict[str, Any]:
    query_id = update["callback_query"]["id"]
    (call,) = [
        c
        for c in fake.calls_to("answerCallbackQuery")
        if c.params.get("callback_query_id") == query_id
    ]
    return dict(call.params)


async def test_a_second_press_on_accept_keeps_the_contact_on_telegram(
    services: Services, clock: FakeClock
) -> None:
    store = services.store
    await register(store, str(EMMA), city="St. Louis", department="environment", name="Emma")
    gertrud = await register(
        store, str(GERTRUD), city="Stuttgart", department="environment", language="de"
    )
    async with polling_bot(services) as tg:
        worker = OutboxWorker(
            store,
            telegram_route(TOKEN, tg.fake.base_url, rate=100.0, per_chat_rate=100.0),
            clock=clock,
        )
        try:
            await tg.send(EMMA, f"/intro {gertrud.id}")
            await worker.run_until_idle(within=5)
            request_id = tg.fake.last_message_id(GERTRUD)
            assert request_id is not None
            _, accept = tg.button(GERTRUD, "Annehmen")
            seen, first = await tg.press(GERTRUD, "Annehmen", language="de")
            assert "Wunderbar! So erreichen Sie Emma" in seen[0]
            assert callback_answer(tg.fake, first).get("text") is None
            message = tg.fake.message(GERTRUD, request_id)
            assert message is not None
            with_contact = message["text"]
            calls = len(tg.fake.calls)

            # the same button again: a double tap, or Telegram delivering the press twice
            again = tg.fake.push_callback(
                GERTRUD, accept, message_id=request_id, language_code="de"
            )
            await tg.processed(again)
            assert "Sie haben diese Anfrage bereits beantwortet" in str(
                callback_answer(tg.fake, again)["text"]
            )
            new_calls = [c.method for c in tg.fake.calls[calls:] if c.method != "getUpdates"]
            assert new_calls == ["answerCallbackQuery"]  # nothing edited, nothing sent
            message = tg.fake.message(GERTRUD, request_id)
            assert message is not None and message["text"] == with_contact
        finally:
            await worker.stop()


async def test_a_stale_button_on_telegram_is_a_callback_answer_only(
    services: Services,
) -> None:
    async with polling_bot(services) as tg:
        await tg.send(GERTRUD, "/help", language="de")
        shown = list(tg.fake.visible_texts(GERTRUD))
        update = tg.fake.push_callback(GERTRUD, "gone:away", language_code="de")
        await tg.processed(update)
        assert "nicht mehr aktiv" in str(callback_answer(tg.fake, update)["text"])
        assert tg.fake.visible_texts(GERTRUD) == shown


@pytest.fixture
async def slack_h(services: Services) -> AsyncIterator[SlackHarness]:
    async with FakeSlack(token=SLACK_TOKEN) as fake:
        async for made in harness(services, fake):
            yield made


async def test_a_second_press_on_accept_keeps_the_contact_on_slack(
    slack_h: SlackHarness, services: Services, clock: FakeClock
) -> None:
    store = services.store
    h = slack_h
    await register(store, "1", city="Stuttgart", department="environment", name="Gertrud")
    emma = await register(
        store, "U2", city="St. Louis", department="environment", platform="slack", name="Emma"
    )
    await Chat(services, person("1")).send(f"/intro {emma.id}")
    worker = OutboxWorker(
        store, slack_route(SLACK_TOKEN, h.fake.api_url, per_chat_rate=100.0), clock=clock
    )
    try:
        await worker.run_until_idle(within=5)
    finally:
        await worker.stop()
    (request,) = h.fake.posted("DU2")
    container = {
        "type": "message",
        "message_ts": request["ts"],
        "channel_id": request["channel"],
        "is_ephemeral": False,
    }
    accept = button(request["blocks"], "Accept")
    await h.press("U2", accept, container=container)
    await h.settle()
    assert len(h.fake.calls_to("chat.update", ok_only=True)) == 1
    with_contact = message_text(h.fake.messages[(request["channel"], request["ts"])])
    assert "Wonderful! Here is how to reach Gertrud" in with_contact

    await h.press("U2", accept, container=container)  # again
    await h.settle()
    assert len(h.fake.calls_to("chat.update")) == 1  # the message keeps the contact
    assert message_text(h.fake.messages[(request["channel"], request["ts"])]) == with_contact
    (notice,) = h.fake.calls_to("chat.postEphemeral", ok_only=True)
    assert notice.params["user"] == "U2"
    assert "You have already answered this request" in str(notice.params["text"])


async def test_a_stale_button_in_the_console_is_one_line(services: Services) -> None:
    out = io.StringIO()
    console = ConsoleChat(services, console_actor("Mike"), stdout=out)
    stale = Button("Old", "gone:away")
    console.choices = {1: stale}
    await console.send("1")
    assert out.getvalue() == "(That button is no longer active. Send /help to start again.)\n"
    assert console.choices == {1: stale}  # still there to press


# --- every button whose action can already have happened, through the router ------------------


async def test_forget_pressed_again_after_erasing(
    chat: Callable[..., Chat], services: Services, clock: FakeClock
) -> None:
    for language, yes, erased, again in (
        ("en", "Yes, erase", "have been erased", "already been erased"),
        ("de", "Ja, alles löschen", "wurden gelöscht", "bereits gelöscht"),
    ):
        person = chat(f"f{language}", language=language)
        ask = await person.send("/forget")
        gone = await person.press(ask.button(yes))
        assert erased in gone and gone.replies[0].edit
        clock.advance(seconds=1)  # the press comes again a moment later
        for pressed in (ask.buttons[0], ask.buttons[1]):  # Yes again, or Cancel afterwards
            answer = await person.press(pressed)
            assert again in answer and answer.replies[0].notice, answer.text


async def test_accept_or_decline_after_answering(
    store: Store, chat: Callable[..., Chat], services: Services
) -> None:
    await register(store, "a1", city="Stuttgart", department="mobility")
    target = await register(store, "a2", city="St. Louis", department="mobility", language="de")
    listing = await chat("a1").send("/find")
    confirm = await chat("a1").press(listing.button("Introduce me"))
    await chat("a1").press(confirm.button("Send request"))
    (message,) = await store.outbox.by_ref("introduction", (await _intros(store))[0])
    request = Reply.from_json(message.payload[0])
    accept, decline = request.all_buttons()
    gertrud = chat("a2", language="de")
    assert "Wunderbar" in await gertrud.press(accept)
    for pressed in (accept, decline):
        answer = await gertrud.press(pressed)
        assert "bereits beantwortet" in answer and answer.replies[0].notice
    english = chat("a3", language="en")
    answer = await english.press(accept)  # not addressed to them
    assert "addressed to someone else" in answer and answer.replies[0].notice
    gone = await english.press("meet:a:999999")
    assert "no longer exists" in gone and gone.replies[0].notice
    assert target.registered


async def _intros(store: Store) -> list[int]:
    async with store.db.read() as conn:
        return list((await conn.execute(select(introductions.c.id))).scalars())


async def test_note_keep_after_delete_says_it_is_gone(
    chat: Callable[..., Chat], store: Store
) -> None:
    for language, delete, gone in (("en", "Delete", "no note"), ("de", "Löschen", "gibt es nicht")):
        uid = f"n{language}"
        await register(store, uid, city="Stuttgart", department="mobility", language=language)
        writer = chat(uid, language=language)
        saved = await writer.send("/note Heat plan with our partners")
        number = saved.text.split("#", 1)[1].split()[0].rstrip(".:")
        ask = await writer.send(f"/note delete {number}")
        assert (await writer.press(ask.button(delete))).replies[0].edit
        for pressed in ask.buttons:  # Delete again, or Cancel afterwards
            answer = await writer.press(pressed)
            assert gone in answer and answer.replies[0].notice, answer.text


async def test_announcement_buttons_after_sending(chat: Callable[..., Chat], store: Store) -> None:
    for language, send, done in (
        ("en", "Send", "already sent or cancelled"),
        ("de", "Senden", "bereits gesendet oder abgebrochen"),
    ):
        uid = f"c{language}"
        await register(store, uid, city="Krefeld", department="international", language=language)
        await store.roster.set_role("telegram", uid, "coordinator", now=TEST_NOW)
        coordinator = chat(uid, language=language)
        preview = await coordinator.send("/announce all Hello")
        assert (await coordinator.press(preview.button(send))).replies[0].edit
        for pressed in preview.buttons:  # Send again, or Cancel afterwards
            answer = await coordinator.press(pressed)
            assert done in answer and answer.replies[0].notice, answer.text


async def test_stale_wizard_and_listing_buttons_leave_the_message(
    chat: Callable[..., Chat], store: Store
) -> None:
    await register(store, "s1", city="Stuttgart", department="mobility")
    await register(store, "s2", city="Stuttgart", department="mobility", language="de")
    for data in ("ob:city:99999", "ob:sdgs:18", "gone:away", "find:x:y", "intro:x:1"):
        answer = await chat("s1").press(data)
        assert "no longer active" in answer and answer.replies[0].notice, data
        answer = await chat("s2", language="de").press(data)
        assert "nicht mehr aktiv" in answer and answer.replies[0].notice, data
