"""The Telegram adapter end to end: the real PTB Application against FakeTelegram, long polling
and webhook, in English and German."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from tests.fakes.telegram_api import FakeTelegram, visible_text
from tests.telegram_support import (
    TOKEN,
    TelegramHarness,
    feature_router,
    polling_bot,
    with_telegram,
)
from udx_bot import runner
from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.platforms.telegram import (
    SECRET_HEADER,
    WEBHOOK_PATH,
    TelegramService,
    service,
)
from udx_bot.platforms.telegram_render import MAX_TEXT_LENGTH
from udx_bot.platforms.telegram_transport import api_urls, file_url_for
from udx_bot.web import build_app, start_server

ALICE, BERND = 501, 502  # an English and a German user


@pytest.fixture
async def tg(services: Services) -> AsyncIterator[TelegramHarness]:
    services.router.include(feature_router())
    async with polling_bot(services) as harness:
        yield harness


def answered(fake: FakeTelegram, update: dict[str, Any]) -> bool:
    query_id = update["callback_query"]["id"]
    return any(
        c.params.get("callback_query_id") == query_id for c in fake.calls_to("answerCallbackQuery")
    )


# --- polling: what users see -------------------------------------------------------------------


async def test_help_in_english_and_german(tg: TelegramHarness) -> None:
    (en,) = await tg.send(ALICE, "/help", language="en")
    assert "Commands" in en and "/help — Show what the bot can do" in en
    assert "Send /start" in en
    (de,) = await tg.send(BERND, "/help", language="de")
    assert "Befehle" in de and "Senden Sie /start" in de
    sent = tg.fake.calls_to("sendMessage")[-1]
    assert sent.params["parse_mode"] == "HTML" and "<b>Befehle</b>" in sent.params["text"]


async def test_unknown_input_is_answered_in_the_users_language(tg: TelegramHarness) -> None:
    assert "I don't know the command /frobnicate" in (await tg.send(ALICE, "/frobnicate"))[0]
    assert "nicht verstanden" in (await tg.send(BERND, "hallo", language="de"))[0]


async def test_a_button_press_edits_the_same_message_and_is_answered(tg: TelegramHarness) -> None:
    assert await tg.send(ALICE, "/menu") == ["Pick a colour"]
    assert tg.fake.last_keyboard(ALICE) == [[("Red", "tt:pick:red"), ("Blue", "tt:pick:blue")]]
    menu_id = tg.fake.last_message_id(ALICE)

    seen, update = await tg.press(ALICE, "Blue")
    assert seen == ["You picked blue."]
    edit = tg.fake.calls_to("editMessageText")[-1]
    assert edit.ok and edit.params["message_id"] == menu_id
    assert tg.fake.last_keyboard(ALICE) == [[("Again", "tt:again")]]
    assert answered(tg.fake, update)
    assert len(tg.fake.calls_to("sendMessage")) == 1  # nothing piled up

    seen, update = await tg.press(ALICE, "Again")
    assert seen == ["Pick a colour"] and answered(tg.fake, update)
    assert tg.fake.message(ALICE, menu_id)["text"] == "Pick a colour"  # type: ignore[index]


async def test_an_unchanged_edit_is_not_an_error(
    tg: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await tg.send(ALICE, "/same")
    seen, update = await tg.press(ALICE, "Same")
    assert seen == []  # Telegram said "message is not modified": nothing else happens
    assert tg.fake.calls_to("editMessageText")[-1].status == 400
    assert answered(tg.fake, update)
    assert len(tg.fake.calls_to("sendMessage")) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_press_is_answered_even_when_sending_fails(
    tg: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await tg.send(ALICE, "/menu")
    tg.fake.fail_next(ALICE, 500)
    _, update = await tg.press(ALICE, "Red")
    assert answered(tg.fake, update)  # the spinner stops
    assert any("handling update" in r.message for r in caplog.records)
    # and the bot keeps working
    assert "Commands" in (await tg.send(ALICE, "/help"))[0]


async def test_a_short_flood_wait_is_waited_out(tg: TelegramHarness) -> None:
    tg.fake.fail_next(ALICE, 429)  # "retry after 1"
    assert "Commands" in (await tg.send(ALICE, "/help"))[0]
    assert tg.fake.count_429 == 1


async def test_a_user_who_blocked_the_bot_is_not_an_error(
    tg: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    tg.fake.fail[ALICE] = 403
    assert await tg.send(ALICE, "/help") == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    del tg.fake.fail[ALICE]
    assert "Commands" in (await tg.send(ALICE, "/help"))[0]


async def test_stale_button_gets_a_notice_and_no_message(tg: TelegramHarness) -> None:
    await tg.send(BERND, "/help", language="de")
    shown = tg.fake.visible_texts(BERND)
    update = tg.fake.push_callback(BERND, "gone:away", language_code="de")
    await tg.processed(update)
    assert tg.fake.visible_texts(BERND) == shown
    assert answered(tg.fake, update)
    (answer,) = tg.fake.calls_to("answerCallbackQuery")
    assert "nicht mehr aktiv" in answer.params["text"]


async def test_multi_select_toggles_on_the_same_message(tg: TelegramHarness) -> None:
    await tg.send(BERND, "/choose", language="de")
    message_id = tg.fake.last_message_id(BERND)
    keyboard = tg.fake.last_keyboard(BERND)
    assert keyboard == [
        [("⬜ Water", "sdg:6"), ("⬜ Energy", "sdg:7"), ("⬜ Cities", "sdg:11")],
        [("Save", "tt:same")],
    ]
    await tg.press(BERND, "Water", language="de")
    await tg.press(BERND, "Cities", language="de")
    assert tg.fake.last_keyboard(BERND) == [
        [("✅ Water", "sdg:6"), ("⬜ Energy", "sdg:7"), ("✅ Cities", "sdg:11")],
        [("Save", "tt:same")],
    ]
    await tg.press(BERND, "Water", language="de")
    assert tg.fake.last_keyboard(BERND)[0][0] == ("⬜ Water", "sdg:6")  # type: ignore[index]
    edits = tg.fake.calls_to("editMessageText", ok_only=True)
    assert len(edits) == 3 and {c.params["message_id"] for c in edits} == {message_id}
    assert len(tg.fake.calls_to("sendMessage")) == 1


async def test_a_document_is_sent_as_a_file(tg: TelegramHarness) -> None:
    assert await tg.send(ALICE, "/datafile") == ["Here is your data."]
    await tg.fake.wait_for_calls("sendDocument")
    (upload,) = tg.fake.documents(ALICE)
    assert upload.filename == "export.json"
    assert json.loads(upload.content) == {"notes": ["<b> & co"]}


async def test_a_prompt_asks_with_force_reply_and_takes_the_answer(tg: TelegramHarness) -> None:
    assert await tg.send(ALICE, "/ask") == ["What did your department learn?"]
    markup = tg.fake.calls_to("sendMessage")[-1].params["reply_markup"]
    assert markup["force_reply"] is True and markup["input_field_placeholder"] == "Your note"
    assert await tg.send(ALICE, "Shared bikes & <b>bold</b> plans") == [
        "Noted: Shared bikes & <b>bold</b> plans"
    ]


async def test_user_text_is_escaped(tg: TelegramHarness) -> None:
    seen = await tg.send(ALICE, "/echo <b>not bold</b> & <i>co</i>")
    assert seen == ["You wrote\n<b>not bold</b> & <i>co</i>"]
    html = tg.fake.sent_messages(ALICE)[-1]
    assert html == "<b>You wrote</b>\n&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;i&gt;co&lt;/i&gt;"


async def test_long_text_is_split_with_the_keyboard_on_the_last_message(
    tg: TelegramHarness,
) -> None:
    seen = await tg.send(ALICE, "/long")
    assert len(seen) >= 2
    assert all(len(text.encode("utf-16-le")) // 2 <= MAX_TEXT_LENGTH for text in seen)
    for n in (1, 2, 3):
        assert f"Part {n}\n{n}. Lorem" in "\n\n".join(seen)
    calls = tg.fake.calls_to("sendMessage")[-len(seen) :]
    assert [("reply_markup" in c.params) for c in calls] == [False] * (len(seen) - 1) + [True]


async def test_command_menu_registered_per_language(tg: TelegramHarness) -> None:
    default = tg.fake.commands[('{"type": "default"}', "")]
    de = tg.fake.commands[('{"type": "default"}', "de")]
    en = tg.fake.commands[('{"type": "default"}', "en")]
    assert {"command": "help", "description": "Show what the bot can do"} in en
    assert default == en  # the default language is English
    help_de = next(c for c in de if c["command"] == "help")
    assert help_de["description"] not in ("", "Show what the bot can do")
    assert "/cancel" not in [c["command"] for c in en]
    for commands in (default, de, en):
        assert commands and all(
            c["command"] == c["command"].lower() and 1 <= len(c["description"]) <= 256
            for c in commands
        )
        assert "echo" not in [c["command"] for c in commands]  # menu=False stays out


async def test_group_commands_get_a_request_to_talk_privately(tg: TelegramHarness) -> None:
    group = -100555
    for language, expected in (("en", "private chat"), ("de", "privaten Chat")):
        update = tg.fake.make_update_dict(ALICE, "/help@udx_test_bot", language_code=language)
        update["message"]["chat"] = {"id": group, "type": "supergroup", "title": "Partners"}
        tg.fake.push_update(update)
        await tg.processed(update)
        assert expected in tg.fake.visible_texts(group)[-1]
        markup = tg.fake.calls_to("sendMessage")[-1].params["reply_markup"]
        assert markup["inline_keyboard"][0][0]["url"] == "https://t.me/udx_test_bot"
    chatter = tg.fake.make_update_dict(ALICE, "hello everyone")
    chatter["message"]["chat"] = {"id": group, "type": "supergroup", "title": "Partners"}
    tg.fake.push_update(chatter)
    await tg.processed(chatter)
    assert len(tg.fake.visible_texts(group)) == 2  # plain group chatter is ignored
    assert await tg.service.services.store.participants.by_identity("telegram", str(ALICE)) is None


async def test_non_text_messages_get_a_hint(tg: TelegramHarness) -> None:
    update = tg.fake.make_update_dict(BERND, "x", language_code="de")
    del update["message"]["text"]
    update["message"]["location"] = {"latitude": 52.5, "longitude": 13.4}
    tg.fake.push_update(update)
    await tg.processed(update)
    assert "nur Textnachrichten" in tg.fake.visible_texts(BERND)[-1]


# --- settings and wiring -----------------------------------------------------------------------


def test_api_urls_follow_the_base_url() -> None:
    assert api_urls(Settings()) == (
        "https://api.telegram.org/bot",
        "https://api.telegram.org/file/bot",
    )
    self_hosted = Settings(telegram_api_base_url="http://tg.internal:8081/bot/")
    assert api_urls(self_hosted) == (
        "http://tg.internal:8081/bot",
        "http://tg.internal:8081/file/bot",
    )
    assert file_url_for("http://h/api/bot{token}") == "http://h/api/file/bot{token}"


async def test_factory_needs_a_token(services: Services) -> None:
    assert service(services) is None
    services.settings = replace(services.settings, telegram_bot_token=TOKEN)
    made = service(services)
    assert isinstance(made, TelegramService) and made.routes() == []
    assert made.application.bot.base_url == f"https://api.telegram.org/bot{TOKEN}"


async def test_udx_bot_run_serves_telegram_and_stops(services: Services) -> None:
    async with FakeTelegram() as fake:
        with_telegram(services, fake)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.serve(services, stop, port=0))
        fake.push_message(ALICE, "/help")
        texts = await fake.wait_for_messages(ALICE, within=10)
        stop.set()
        assert await asyncio.wait_for(task, runner.STOP_TIMEOUT_S) == 0
    assert "Commands" in visible_text(texts[0])
    assert fake.updates == []  # the processed update was confirmed to Telegram
    assert fake.calls_to("getMe") and fake.calls_to("setMyCommands")


async def test_a_refused_token_stops_run_with_one_line(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeTelegram(token="the-right-token") as fake:
        with_telegram(services, fake)  # configured with another token
        code = await asyncio.wait_for(runner.serve(services, asyncio.Event(), port=0), 10)
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("udx-bot: telegram could not start") and "\n" not in err
    assert TOKEN not in err


async def test_stop_finishes_fetched_updates_and_confirms_them(services: Services) -> None:
    gate, started = asyncio.Event(), asyncio.Event()
    services.router.include(feature_router(gate, started))
    async with polling_bot(services) as tg:
        # Both arrive in one getUpdates answer: once /slow runs, /help waits in PTB's queue.
        tg.fake.push_update(tg.fake.make_update_dict(ALICE, "/slow"))
        tg.fake.push_update(tg.fake.make_update_dict(BERND, "/help", language_code="de"))
        await asyncio.wait_for(started.wait(), 5)
        stopping = asyncio.create_task(tg.service.stop())
        await tg.fake.wait_until(lambda: tg.fake.updates == [])  # confirmed to Telegram ...
        assert not stopping.done()  # ... while the update in progress is still running
        gate.set()
        await asyncio.wait_for(stopping, runner.STOP_TIMEOUT_S)
        assert tg.fake.visible_texts(ALICE) == ["Finally done."]
        assert "Befehle" in tg.fake.visible_texts(BERND)[0]  # the queued one was not dropped


# --- webhook -----------------------------------------------------------------------------------

SECRET = "s3cret-Token_1"


class Webhook:
    def __init__(self, fake: FakeTelegram, service: TelegramService, url: str) -> None:
        self.fake, self.service, self.url = fake, service, url

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, json=update, headers=headers) as response,
        ):
            return response.status


@pytest.fixture
async def webhook(services: Services) -> AsyncIterator[Webhook]:
    services.router.include(feature_router())
    async with FakeTelegram() as fake:
        with_telegram(
            services,
            fake,
            telegram_webhook_url="https://bot.example/telegram/webhook",
            telegram_webhook_secret=SECRET,
        )
        service = TelegramService(services)
        web_runner, port = await start_server(build_app(service.routes()), 0, host="127.0.0.1")
        try:
            hook = Webhook(fake, service, f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
            update = fake.make_update_dict(ALICE, "/help")
            assert await hook.post(update) == 503  # not started yet: Telegram retries later
            await service.start()
            try:
                yield hook
            finally:
                await service.stop()
        finally:
            await web_runner.cleanup()


async def test_webhook_is_registered_with_the_secret(webhook: Webhook) -> None:
    assert webhook.fake.webhook is not None
    assert webhook.fake.webhook["url"] == "https://bot.example/telegram/webhook"
    assert webhook.fake.webhook["secret_token"] == SECRET
    assert set(webhook.fake.webhook["allowed_updates"]) == {"message", "callback_query"}
    assert not webhook.fake.calls_to("getUpdates")  # no polling in webhook mode


async def test_webhook_with_the_right_secret_is_processed_before_200(webhook: Webhook) -> None:
    fake = webhook.fake
    assert await webhook.post(fake.make_update_dict(BERND, "/help", language_code="de")) == 200
    assert "Befehle" in fake.visible_texts(BERND)[0]  # already sent when 200 came back
    assert await webhook.post(fake.make_update_dict(BERND, "/menu", language_code="de")) == 200
    press = fake.make_update_dict(
        BERND, data="tt:pick:red", message_id=fake.last_message_id(BERND), language_code="de"
    )
    assert await webhook.post(press) == 200
    assert fake.visible_texts(BERND)[-1] == "You picked red."
    assert answered(fake, press)


async def test_webhook_with_a_wrong_or_missing_secret_is_refused(webhook: Webhook) -> None:
    fake = webhook.fake
    assert await webhook.post(fake.make_update_dict(ALICE, "/help"), secret="wrong") == 403
    assert await webhook.post(fake.make_update_dict(ALICE, "/help"), secret=None) == 403
    assert await webhook.post(fake.make_update_dict(ALICE, "/help"), secret="") == 403
    assert fake.calls_to("sendMessage") == []
    assert await webhook.service.services.store.participants.by_identity("telegram", "501") is None


async def test_webhook_repeated_update_is_processed_once(webhook: Webhook) -> None:
    fake = webhook.fake
    update = fake.make_update_dict(ALICE, "/echo once")
    assert await webhook.post(update) == 200
    assert await webhook.post(update) == 200  # Telegram's retry: acknowledged, not redone
    assert fake.visible_texts(ALICE) == ["You wrote\nonce"]


async def test_webhook_rejects_a_body_that_is_not_an_update(webhook: Webhook) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(webhook.url, data=b"{nope", headers={SECRET_HEADER: SECRET}) as response,
    ):
        assert response.status == 400


async def test_webhook_answers_500_when_sending_failed(webhook: Webhook) -> None:
    fake = webhook.fake
    fake.fail_next(ALICE, 502)
    assert await webhook.post(fake.make_update_dict(ALICE, "/help")) == 500


@pytest.mark.parametrize("how", ["garbage", "drop"])
async def test_webhook_an_answer_telegram_perhaps_showed_is_not_redone(
    webhook: Webhook, how: str
) -> None:
    fake = webhook.fake
    update = fake.make_update_dict(ALICE, "/echo once")
    fake.answer_badly_next(ALICE, how)  # shown, but the answer is lost or unreadable
    assert await webhook.post(update) == 200  # no 500: Telegram's retry would show it twice
    assert await webhook.post(update) == 200
    assert fake.visible_texts(ALICE) == ["You wrote\nonce"]
    assert len(fake.calls_to("sendMessage")) == 1


GROUP = -100555


def _in_group(update: dict[str, Any]) -> dict[str, Any]:
    update["message"]["chat"] = {"id": GROUP, "type": "supergroup", "title": "Partners"}
    return update


def _not_text(update: dict[str, Any]) -> dict[str, Any]:
    del update["message"]["text"]
    update["message"]["location"] = {"latitude": 52.5, "longitude": 13.4}
    return update


# (what the person sends, the chat the answer goes to, what they see): the router's updates and
# those the adapter answers itself, all de-duplicated by the router.
KINDS = {
    "text": (lambda fake: fake.make_update_dict(ALICE, "/echo again"), ALICE, "You wrote\nagain"),
    "not text": (lambda fake: _not_text(fake.make_update_dict(ALICE, "x")), ALICE, "only read"),
    "group command": (
        lambda fake: _in_group(fake.make_update_dict(ALICE, "/help@udx_test_bot")),
        GROUP,
        "private chat",
    ),
}


@pytest.mark.parametrize("kind", KINDS)
async def test_webhook_retry_of_a_failed_update_is_processed_again_and_then_once(
    webhook: Webhook, kind: str
) -> None:
    fake = webhook.fake
    make, chat, expected = KINDS[kind]
    update = make(fake)
    fake.fail_next(chat, 502)
    assert await webhook.post(update) == 500  # Telegram sends it again later
    assert fake.visible_texts(chat) == []
    assert await webhook.post(update) == 200  # the retry is handled, not dropped as seen
    (seen,) = fake.visible_texts(chat)
    assert expected in seen
    assert await webhook.post(update) == 200  # handled once: a further copy changes nothing
    assert fake.visible_texts(chat) == [seen]


async def test_webhook_retry_of_a_failed_button_press_is_processed_again(
    webhook: Webhook,
) -> None:
    fake = webhook.fake
    assert await webhook.post(fake.make_update_dict(ALICE, "/menu")) == 200
    press = fake.make_update_dict(
        ALICE, data="tt:pick:blue", message_id=fake.last_message_id(ALICE)
    )
    fake.fail_next(ALICE, 502)  # the edit fails
    assert await webhook.post(press) == 500
    assert fake.visible_texts(ALICE) == ["Pick a colour"]
    assert await webhook.post(press) == 200
    assert await webhook.post(press) == 200
    assert fake.visible_texts(ALICE) == ["Pick a colour", "You picked blue."]
    assert answered(fake, press)  # every copy's spinner is stopped


@pytest.mark.parametrize("kind", KINDS)
async def test_a_repeated_update_is_processed_once_when_polling(
    tg: TelegramHarness, kind: str
) -> None:
    make, chat, expected = KINDS[kind]
    update = make(tg.fake)
    tg.fake.push_update(update)
    tg.fake.push_update(update)  # the same update twice (a restart before the offset was saved)
    # both copies through the adapter (other chats' updates may be handled in between)
    await tg.fake.wait_until(lambda: tg.times[update["update_id"]] == 2)
    (seen,) = tg.fake.visible_texts(chat)
    assert expected in seen


async def test_webhook_stop_finishes_requests_in_flight_and_refuses_new_ones(
    services: Services,
) -> None:
    gate, started = asyncio.Event(), asyncio.Event()
    services.router.include(feature_router(gate, started))
    async with FakeTelegram() as fake:
        with_telegram(
            services,
            fake,
            telegram_webhook_url="https://bot.example/telegram/webhook",
            telegram_webhook_secret=SECRET,
        )
        service = TelegramService(services)
        web_runner, port = await start_server(build_app(service.routes()), 0, host="127.0.0.1")
        hook = Webhook(fake, service, f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
        try:
            await service.start()
            slow = asyncio.create_task(hook.post(fake.make_update_dict(ALICE, "/slow")))
            await asyncio.wait_for(started.wait(), 5)
            stopping = asyncio.create_task(service.stop())
            assert await hook.post(fake.make_update_dict(BERND, "/help")) == 503
            assert not stopping.done()
            gate.set()
            assert await slow == 200
            await asyncio.wait_for(stopping, runner.STOP_TIMEOUT_S)
            assert fake.visible_texts(ALICE) == ["Finally done."]
            assert fake.visible_texts(BERND) == []
        finally:
            await web_runner.cleanup()
