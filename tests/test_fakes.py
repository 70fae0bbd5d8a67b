"""The fake platform servers, driven by the real python-telegram-bot and slack_sdk clients."""

from __future__ import annotations

import datetime as dtm
import json
from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.fakes.slack_api import FakeSlack, message_text, sign_slack_request
from tests.fakes.telegram_api import FakeTelegram
from udx_bot.platforms import slack_render, telegram_render
from udx_bot.types import Button, Reply, Section

TOKEN = "123456:TEST-token"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def make_bot(fake: FakeTelegram) -> Bot:
    return Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url)


# --- Telegram -----------------------------------------------------------------------------


async def test_fake_binds_localhost_free_port(telegram: FakeTelegram) -> None:
    assert telegram.url.startswith("http://127.0.0.1:")
    assert not telegram.url.endswith(":0")


async def test_bot_get_me_send_message_with_keyboard(telegram: FakeTelegram) -> None:
    async with make_bot(telegram) as bot:  # initialize() calls getMe
        me = await bot.get_me()
        assert me.is_bot and me.username == "udx_test_bot"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="f:yes")]])
        message = await bot.send_message(
            42, "<b>Hi</b> &amp; welcome", parse_mode=ParseMode.HTML, reply_markup=markup
        )
    assert message.chat.id == 42 and message.chat.type == "private"
    assert message.from_user is not None and message.from_user.is_bot
    assert message.text == "Hi & welcome"
    assert message.reply_markup == markup
    assert telegram.sent_messages(42) == ["<b>Hi</b> &amp; welcome"]
    assert telegram.visible_texts() == ["Hi & welcome"]
    assert telegram.last_keyboard(42) == [[("Yes", "f:yes")]]
    call = telegram.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == 42 and call.chat_id == 42
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "f:yes"
    assert [c.method for c in telegram.calls] == ["getMe", "getMe", "sendMessage"]


async def test_rendered_reply_round_trip(telegram: FakeTelegram) -> None:
    reply = Reply(
        sections=[Section("Note: <b> & *stars*", heading="Notes")],
        buttons=[[Button("Delete", "notes:del:1", "danger")]],
    )
    async with make_bot(telegram) as bot:
        for msg in telegram_render.render(reply):
            markup = (
                InlineKeyboardMarkup(
                    [
                        [InlineKeyboardButton(t, callback_data=d) for t, d in row]
                        for row in msg.keyboard
                    ]
                )
                if msg.keyboard
                else None
            )
            await bot.send_message(7, msg.text, parse_mode=ParseMode.HTML, reply_markup=markup)
    assert telegram.visible_texts(7) == ["Notes\nNote: <b> & *stars*"]
    assert telegram.last_keyboard(7) == [[("Delete", "notes:del:1")]]


async def test_get_updates_long_poll_and_offset(telegram: FakeTelegram) -> None:
    async with make_bot(telegram) as bot:
        assert await bot.get_updates(timeout=dtm.timedelta(seconds=0)) == ()
        telegram.push_message(42, "/start hello", language_code="de", first_name="Ana")
        (update,) = await bot.get_updates(timeout=dtm.timedelta(seconds=1))
        assert update.message is not None
        assert update.message.text == "/start hello"
        assert update.message.chat.id == 42
        assert update.effective_user is not None
        assert update.effective_user.language_code == "de"
        assert update.effective_user.first_name == "Ana"
        assert update.message.entities[0].type == "bot_command"
        # not confirmed yet: returned again; confirmed by offset: gone
        again = await bot.get_updates(timeout=dtm.timedelta(seconds=0))
        assert [u.update_id for u in again] == [update.update_id]
        assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
        # a long poll returns as soon as something arrives
        sent = await bot.send_message(
            42,
            "Pick",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="x:a")]]),
        )
        telegram.push_callback(42, "x:a", sent.message_id)
        (press,) = await bot.get_updates(offset=update.update_id + 1, timeout=5)
        assert press.callback_query is not None
        assert press.callback_query.data == "x:a"
        assert press.callback_query.message is not None
        assert press.callback_query.message.message_id == sent.message_id
        assert await bot.answer_callback_query(press.callback_query.id)


async def test_edit_message_and_not_modified(telegram: FakeTelegram) -> None:
    async with make_bot(telegram) as bot:
        sent = await bot.send_message(5, "one")
        edited = await bot.edit_message_text("two", chat_id=5, message_id=sent.message_id)
        assert not isinstance(edited, bool) and edited.text == "two"
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("two", chat_id=5, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="not found"):
            await bot.edit_message_text("x", chat_id=5, message_id=999)
    assert telegram.sent_messages(5) == ["one", "two"]


async def test_application_polling_answers_command(telegram: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_user is not None
        await update.message.reply_text(f"Hello {update.effective_user.first_name}")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(telegram.base_url)
        .base_file_url(telegram.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=1))
        telegram.push_message(42, "/start", first_name="Ana")
        texts = await telegram.wait_for_messages(42)
        await app.updater.stop()
        await app.stop()
    assert texts == ["Hello Ana"]


async def test_commands_webhook_document_and_unknown_method(telegram: FakeTelegram) -> None:
    async with make_bot(telegram) as bot:
        assert await bot.set_my_commands([("help", "Help"), ("notes", "Notes")])
        assert await bot.set_my_commands([("help", "Hilfe")], language_code="de")
        assert [c.command for c in await bot.get_my_commands()] == ["help", "notes"]
        assert [c.description for c in await bot.get_my_commands(language_code="de")] == ["Hilfe"]
        assert await bot.delete_my_commands(language_code="de")
        assert await bot.get_my_commands(language_code="de") == ()

        assert await bot.set_webhook("https://bot.example/tg", secret_token="s3cret")
        assert telegram.webhook is not None and telegram.webhook["secret_token"] == "s3cret"
        assert (await bot.get_webhook_info()).url == "https://bot.example/tg"
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""

        doc = await bot.send_document(
            9, InputFile(b'{"a": 1}', filename="export.json"), caption="Your data"
        )
        assert doc.document is not None and doc.document.file_name == "export.json"
        (uploaded,) = telegram.documents(9)
        assert uploaded.filename == "export.json" and json.loads(uploaded.content) == {"a": 1}

        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("noSuchMethod")
        assert await bot.log_out() and await bot.close()
    assert telegram.calls[-3].status == 404


async def test_update_dict_for_webhooks(telegram: FakeTelegram) -> None:
    async with make_bot(telegram) as bot:
        data = telegram.make_update_dict(77, "hi", username="ana", language_code="pt-BR")
        update = Update.de_json(data, bot)
        assert update.message is not None and update.message.text == "hi"
        assert update.effective_user is not None and update.effective_user.username == "ana"
        assert telegram.updates == []  # not queued


async def test_per_chat_rate_limit_raises_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as timedelta, no warning
    async with FakeTelegram(per_chat_rate=1, per_chat_burst=1) as fake, make_bot(fake) as bot:
        await bot.send_message(1, "first")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(1, "second")
        assert caught.value.retry_after == dtm.timedelta(seconds=1)
        await bot.send_message(2, "other chat is fine")
    assert fake.count_429 == 1
    assert fake.sent_messages() == ["first", "other chat is fine"]
    assert fake.calls_to("sendMessage")[1].status == 429


async def test_global_rate_limit_sliding_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error under filterwarnings=error) on creating RetryAfter without this
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegram(global_rate=2, rate_window=1.0) as fake, make_bot(fake) as bot:
        await bot.send_message(1, "a")
        await bot.send_message(2, "b")
        with pytest.raises(RetryAfter):
            await bot.send_message(3, "c")
    assert fake.count_429 == 1


async def test_failure_injection(telegram: FakeTelegram) -> None:
    telegram.fail[42] = 403
    telegram.fail_next(43, 500)
    async with make_bot(telegram) as bot:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(42, "hello")
        del telegram.fail[42]
        await bot.send_message(42, "hello again")
        with pytest.raises(Exception, match="Internal Server Error"):
            await bot.send_message(43, "x")
        await bot.send_message(43, "x")  # only the next call failed
    assert telegram.sent_messages() == ["hello again", "x"]


# --- Slack ---------------------------------------------------------------------------------


def make_client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.api_url)


async def test_slack_post_message_blocks(slack: FakeSlack) -> None:
    client = make_client(slack)
    auth = await client.auth_test()
    assert auth["team_id"] and auth["user_id"] and auth["bot_id"]
    reply = Reply(
        sections=[Section("Call *Ana* at 5 & <b>bring</b> `notes`", heading="Today")],
        buttons=[[Button("Done", "x:done", "primary")]],
    )
    (blocks,) = slack_render.render(reply)
    response = await client.chat_postMessage(
        channel="C123", blocks=blocks, text=slack_render.fallback_text(reply)
    )
    assert response["ok"] and response["channel"] == "C123" and response["ts"]
    (posted,) = slack.posted("C123")
    assert posted["blocks"] == blocks
    assert message_text(posted) == "*Today*\nCall *Ana* at 5 & <b>bring</b> `notes`"
    assert slack.calls_to("chat.postMessage")[0].params["channel"] == "C123"
    update = await client.chat_update(channel="C123", ts=response["ts"], text="changed")
    assert update["ok"]
    assert slack.messages[("C123", response["ts"])]["text"] == "changed"


async def test_slack_dm_and_user_locale(slack: FakeSlack) -> None:
    slack.add_user("U777", locale="de-DE", real_name="Anna Berg", tz="Europe/Berlin")
    client = make_client(slack)
    opened = await client.conversations_open(users="U777")
    channel = opened["channel"]["id"]
    assert channel == "DU777"
    info = await client.users_info(user="U777", include_locale=True)
    assert info["user"]["locale"] == "de-DE"
    assert info["user"]["real_name"] == "Anna Berg"
    assert "locale" not in (await client.users_info(user="U777"))["user"]
    assert slack.calls_to("users.info")[0].params["include_locale"] in ("1", "true")
    await client.chat_postMessage(channel="U777", text="to the user id")
    await client.chat_postEphemeral(channel=channel, user="U777", text="only you")
    assert [p["text"] for p in slack.posted("U777")] == ["to the user id", "only you"]
    assert slack.texts(channel) == ["to the user id", "only you"]


async def test_slack_rate_limit_and_failures() -> None:
    async with FakeSlack(per_channel_rate=1, per_channel_burst=1) as fake:
        fake.fail["C404"] = "channel_not_found"
        fake.fail["U_GONE"] = "account_inactive"
        fake.fail["C500"] = 500
        client = make_client(fake)
        await client.chat_postMessage(channel="C1", text="one")
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel="C1", text="two")
        assert caught.value.response.status_code == 429
        assert caught.value.response["error"] == "ratelimited"
        assert int(caught.value.response.headers["Retry-After"]) >= 1
        assert fake.count_429 == 1
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel="C404", text="x")
        assert caught.value.response.status_code == 200
        assert caught.value.response["error"] == "channel_not_found"
        with pytest.raises(SlackApiError) as caught:
            await client.conversations_open(users="U_GONE")
        assert caught.value.response["error"] == "account_inactive"
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel="C500", text="x")
        assert caught.value.response.status_code == 500
    assert [p["text"] for p in fake.posted()] == ["one"]


async def test_slack_views_and_response_url(slack: FakeSlack) -> None:
    client = make_client(slack)
    home = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert home["view"]["id"]
    opened = await client.views_open(trigger_id="t1", view={"type": "modal", "blocks": []})
    updated = await client.views_update(
        view_id=opened["view"]["id"], view={"type": "modal", "blocks": []}
    )
    assert updated["view"]["id"] == opened["view"]["id"]
    webhook = AsyncWebhookClient(slack.response_url("abc"))
    response = await webhook.send(text="ephemeral answer", replace_original=False)
    assert response.status_code == 200
    assert slack.responses("abc") == [{"text": "ephemeral answer", "replace_original": False}]


async def test_slack_unknown_method_and_auth(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:
        await make_client(slack).api_call("no.such.method")
    assert caught.value.response["error"] == "unknown_method"
    async with FakeSlack(token="xoxb-right") as strict:
        with pytest.raises(SlackApiError) as caught:
            await AsyncWebClient(token="xoxb-wrong", base_url=strict.api_url).auth_test()
        assert caught.value.response["error"] == "invalid_auth"


def test_sign_slack_request_matches_slack_sdk_verifier() -> None:
    body = b"token=x&payload=%7B%7D"
    headers = sign_slack_request("shh", body)
    verifier = SignatureVerifier("shh")
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    stale = sign_slack_request("shh", body, timestamp=1_000_000)
    assert not verifier.is_valid_request(body, stale)
