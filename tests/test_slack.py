"""Slack end to end: the real Bolt AsyncApp behind our aiohttp server, requests signed with the
signing secret, Web API calls and response_url posts recorded by FakeSlack; in English and German.

A small test-only feature (buttons, an edit, a multi-select, a prompt, a slow command) is included
into the real router, as tests/test_router.py does."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from storage.notes import NoteFilter
from tests.fakes.slack_api import FakeSlack, message_text, visible_mrkdwn
from tests.outbox_support import running_clock, slack_route
from tests.slack_support import SECRET, TOKEN, SlackHarness, button, elements, harness
from tests.slack_support import fake_slack as fake_slack  # the fixture
from tests.support import TEST_NOW
from udx_bot.callback_data import CallbackData
from udx_bot.config import Settings
from udx_bot.context import Context, Services
from udx_bot.outbox_worker import OutboxWorker
from udx_bot.platforms import slack as slack_platform
from udx_bot.router import Router
from udx_bot.runner import build_services
from udx_bot.types import Button, Document, MultiSelect, Option, Prompt, Reply, Section

GERMAN = "UDE"  # a Slack user whose locale is de-DE
ENGLISH = "UEN"


@dataclass(frozen=True)
class Pick(CallbackData, prefix="pick"):
    choice: str


@dataclass(frozen=True)
class Chosen(CallbackData, prefix="choose"):
    """The multi-select ``choose``: the selection comes in ``ctx.incoming.values``."""


def feature(gate: asyncio.Event) -> Router:
    router = Router()

    @router.command("buttons", registered=False)
    async def buttons(ctx: Context) -> Reply:
        return Reply.text(
            "Pick one",
            buttons=[[Button("Pick A", Pick("a").pack()), Button("Pick B", Pick("b").pack())]],
        )

    @router.callback(Pick, registered=False)
    async def pick(ctx: Context, data: Pick) -> Reply:
        return Reply.text(f"Picked {data.choice}", edit=True)

    @router.command("choose", registered=False)
    async def choose(ctx: Context) -> Reply:
        options = tuple(Option(v, f"Goal {v}") for v in ("11", "13", "17"))
        return Reply(
            sections=[Section("Choose your goals")],
            multi_select=MultiSelect("choose", options, frozenset({"11"}), "Goals"),
        )

    @router.callback(Chosen, registered=False)
    async def chosen(ctx: Context, data: Chosen) -> Reply:
        return Reply.text(f"You chose {', '.join(ctx.incoming.values or ())}", edit=True)

    @router.command("ask", registered=False)
    async def ask(ctx: Context) -> Reply:
        await ctx.wait_for("test:answer")
        return Reply(
            sections=[Section("What is your answer?")],
            prompt=Prompt("Your answer", "Answer", multiline=True),
        )

    @router.input("test:answer")
    async def answer(ctx: Context) -> Reply:
        await ctx.stop_waiting()
        return Reply.text(f"You said {ctx.args}")

    @router.command("slow", registered=False)
    async def slow(ctx: Context) -> Reply:
        await gate.wait()
        return Reply.text("Finally done")

    @router.command("datafile", registered=False)
    async def export(ctx: Context) -> Reply:
        return data_reply()

    return router


def data_reply() -> Reply:
    """What ``datafile`` answers: a text and a document (as /mydata does)."""
    content = json.dumps({"note": "*bold* <b> `x`"}).encode()
    return Reply(sections=[Section("Your data")], document=Document("udx.json", content))


@pytest.fixture
def gate() -> asyncio.Event:
    return asyncio.Event()


@pytest.fixture
async def h(
    services: Services, fake_slack: FakeSlack, gate: asyncio.Event
) -> AsyncIterator[SlackHarness]:
    services.router.include(feature(gate))
    fake_slack.add_user(GERMAN, locale="de-DE", real_name="Anna Berg")
    fake_slack.add_user(ENGLISH, locale="en-US", real_name="Sam Lee")
    async for ready in harness(services, fake_slack):
        yield ready


def last_response(fake: FakeSlack, key: str) -> dict[str, Any]:
    responses = fake.responses(key)
    assert responses, f"nothing posted to response_url {key}"
    return responses[-1]


def shown(message: dict[str, Any]) -> str:
    return message_text(message)


# --- slash command -------------------------------------------------------------------------------


async def test_slash_help_in_german_and_english(h: SlackHarness) -> None:
    sent = await h.command(GERMAN, "help")
    assert sent.status == 200 and sent.body == ""
    await h.settle()
    german = last_response(h.fake, GERMAN)
    assert german["response_type"] == "ephemeral"
    assert "Befehle" in shown(german) and german["text"]  # fallback text always sent
    assert h.fake.calls_to("users.info")[0].params["include_locale"] in ("1", "true")

    await h.command(ENGLISH, "")  # /udx alone -> help
    await h.settle()
    assert "Commands" in shown(last_response(h.fake, ENGLISH))

    identity = await h.service.services.store.participants.identity("slack", GERMAN)
    assert identity is not None and identity.language_code == "de-DE"
    assert identity.display_name == "Anna Berg"


async def test_slash_unknown_command_is_answered_in_the_users_language(h: SlackHarness) -> None:
    await h.command(GERMAN, "frobnicate now")
    await h.command(ENGLISH, "frobnicate")
    await h.settle()
    german = shown(last_response(h.fake, GERMAN))
    assert "Den Befehl /udx frobnicate kenne ich nicht. Senden Sie /udx help" in german
    assert "I don't know the command /udx frobnicate" in shown(last_response(h.fake, ENGLISH))


async def test_a_mention_in_a_channel_gets_a_private_hint_in_the_users_language(
    h: SlackHarness,
) -> None:
    for user, n in ((GERMAN, 1), (ENGLISH, 2)):
        mention = {
            "type": "app_mention",
            "user": user,
            "channel": "C0PLANNING",
            "text": "<@U0UDXBOT> hello?",
            "ts": f"1700002000.00000{n}",
            "event_ts": f"1700002000.00000{n}",
        }
        assert (await h.event(mention)).status == 200
    await h.settle()
    hints = h.fake.calls_to("chat.postEphemeral", ok_only=True)
    assert [(c.params["channel"], c.params["user"]) for c in hints] == [
        ("C0PLANNING", GERMAN),
        ("C0PLANNING", ENGLISH),
    ]
    german, english = (str(c.params["text"]) for c in hints)
    assert "Direktnachricht" in german and "/udx help" in german
    assert "direct message" in english and "/udx help" in english
    assert h.fake.calls_to("chat.postMessage") == []  # nothing in the channel itself
    store = h.service.services.store
    assert await store.participants.identity("slack", GERMAN) is None  # nothing stored


async def test_the_manifest_subscribes_what_the_app_answers() -> None:
    from udx_bot.catalogs import ROOT

    listed = [
        line.split("#")[0].strip().removeprefix("- ")
        for line in (ROOT / "slack-manifest.yaml").read_text().splitlines()
        if line.strip().startswith("- ")
    ]
    assert {"app_home_opened", "app_mention", "message.im", "app_mentions:read"} <= set(listed)
    assert "im:read" not in listed  # not used: the app opens DMs with im:write


async def test_the_wizard_offers_typing_only_where_typed_text_reaches_the_bot(
    h: SlackHarness,
) -> None:
    await h.command(ENGLISH, "start")  # in a channel: typed text never reaches the bot
    await h.settle()
    first = last_response(h.fake, ENGLISH)
    city = await h.press(ENGLISH, button(first["blocks"], "English"))
    assert city.status == 200
    await h.settle()
    step = shown(last_response(h.fake, ENGLISH))
    assert "Choose the country (or send /udx profile city <name>)." in step
    assert "type the city's name" not in step
    await h.command(GERMAN, "start", in_dm=True)  # in the DM, typing works
    await h.settle()
    first = last_response(h.fake, GERMAN)
    dm = {
        "type": "message",
        "message_ts": "1700000999.000002",
        "channel_id": f"D{GERMAN}",
        "is_ephemeral": True,
    }
    await h.press(GERMAN, button(first["blocks"], "Deutsch"), container=dm)
    await h.settle()
    step = shown(last_response(h.fake, GERMAN))
    assert "Wählen Sie das Land, oder schreiben Sie" in step and "/udx profile" not in step


async def test_the_user_lookup_is_cached(h: SlackHarness) -> None:
    await h.command(ENGLISH, "help")
    await h.command(ENGLISH, "help")
    await h.settle()
    assert len(h.fake.calls_to("users.info")) == 1


async def test_ack_returns_before_the_slow_work(h: SlackHarness, gate: asyncio.Event) -> None:
    sent = await h.command(ENGLISH, "slow")
    assert sent.status == 200  # acknowledged while the handler is still waiting
    assert h.fake.responses(ENGLISH) == []
    gate.set()
    await h.settle()
    assert "Finally done" in shown(last_response(h.fake, ENGLISH))


# --- direct messages -----------------------------------------------------------------------------


async def test_a_command_typed_in_a_dm(h: SlackHarness) -> None:
    assert (await h.dm(GERMAN, "hilfe")).status == 200
    assert (await h.dm(ENGLISH, "help")).status == 200
    await h.settle()
    (german,) = h.fake.posted(f"D{GERMAN}")
    assert german["method"] == "chat.postMessage" and "Befehle" in shown(german)
    assert german["text"]
    (english,) = h.fake.posted(f"D{ENGLISH}")
    assert "Commands" in shown(english)
    identity = await h.service.services.store.participants.identity("slack", ENGLISH)
    assert identity is not None and identity.chat_id == f"D{ENGLISH}"


async def test_bot_messages_and_edits_in_a_dm_are_ignored(h: SlackHarness) -> None:
    base = {"type": "message", "channel": "DUEN", "channel_type": "im", "text": "help"}
    await h.event({**base, "user": "U0UDXBOT", "bot_id": "B0UDXBOT"})
    await h.event({**base, "user": ENGLISH, "subtype": "message_changed"})
    await h.event({**base, "user": ENGLISH, "channel_type": "channel", "channel": "C1"})
    await h.settle()
    assert h.fake.posted() == []


async def test_an_event_retry_is_processed_once(h: SlackHarness) -> None:
    first = await h.dm(ENGLISH, "help", event_id="Ev0RETRY")
    await h.settle()
    h.fake.calls.clear()
    body = {
        "type": "message",
        "channel": f"D{ENGLISH}",
        "channel_type": "im",
        "user": ENGLISH,
        "text": "help",
        "ts": "1700001000.000001",
    }
    retry = await h.event(body, event_id="Ev0RETRY", retry=1)
    await h.settle()
    assert first.status == retry.status == 200
    assert len(h.fake.posted(f"D{ENGLISH}")) == 1


# --- buttons and multi-selects -------------------------------------------------------------------


async def test_a_button_press_replaces_the_ephemeral_message(h: SlackHarness) -> None:
    await h.command(ENGLISH, "buttons")
    await h.settle()
    offered = last_response(h.fake, ENGLISH)
    pick_b = button(offered["blocks"], "Pick B")
    assert pick_b["action_id"].startswith("udx:") and pick_b["value"] == "pick:b"

    assert (await h.press(ENGLISH, pick_b)).status == 200
    await h.settle()
    edited = last_response(h.fake, ENGLISH)
    assert edited["replace_original"] is True
    assert "Picked b" in shown(edited)


async def test_a_button_in_the_dm_updates_the_message(h: SlackHarness) -> None:
    await h.dm(GERMAN, "buttons")
    await h.settle()
    (offered,) = h.fake.posted(f"D{GERMAN}")
    container = {
        "type": "message",
        "message_ts": offered["ts"],
        "channel_id": offered["channel"],
        "is_ephemeral": False,
    }
    await h.press(GERMAN, button(offered["blocks"], "Pick A"), container=container)
    await h.settle()
    (update,) = h.fake.calls_to("chat.update", ok_only=True)
    assert update.params["ts"] == offered["ts"]
    assert "Picked a" in shown(h.fake.messages[(offered["channel"], offered["ts"])])


async def test_a_stale_button_is_answered_in_german(h: SlackHarness) -> None:
    stale = {"type": "button", "action_id": "udx:0", "value": "gone:away", "text": {}}
    await h.press(GERMAN, stale)
    await h.settle()
    answer = last_response(h.fake, GERMAN)
    assert "nicht mehr aktiv" in shown(answer)
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False


async def test_a_multi_select_submits_the_whole_selection(h: SlackHarness) -> None:
    await h.command(ENGLISH, "choose")
    await h.settle()
    (menu,) = elements(last_response(h.fake, ENGLISH)["blocks"], "multi_static_select")
    assert menu["action_id"] == "choose"
    assert [o["value"] for o in menu["initial_options"]] == ["11"]
    selected = [o for o in menu["options"] if o["value"] in ("11", "17")]
    await h.press(ENGLISH, menu, selected=selected)
    await h.settle()
    edited = last_response(h.fake, ENGLISH)
    assert edited["replace_original"] is True and "You chose 11, 17" in shown(edited)


# --- the modal -----------------------------------------------------------------------------------


async def test_a_prompt_opens_a_modal_and_its_submission_is_the_awaited_input(
    h: SlackHarness,
) -> None:
    await h.command(GERMAN, "ask")
    await h.settle()
    (opened,) = h.fake.calls_to("views.open", ok_only=True)
    assert opened.params["trigger_id"]
    view = h.fake.views[opened.response["view"]["id"]]
    assert view["type"] == "modal" and view["title"]["text"] == "Your answer"
    assert view["submit"]["text"] == "Senden" and view["close"]["text"] == "Abbrechen"
    assert any(b["type"] == "input" and b["element"]["multiline"] for b in view["blocks"])
    assert "What is your answer?" in shown(view)
    assert h.fake.responses(GERMAN) == []  # the question is in the modal, not posted

    assert (await h.submit(GERMAN, view, "Radwege *sind* wichtig")).status == 200
    await h.settle()
    answered = last_response(h.fake, GERMAN)  # back where the command was typed
    assert answered["response_type"] == "ephemeral"
    assert "You said Radwege *sind* wichtig" in shown(answered)


async def test_without_a_trigger_the_prompt_is_asked_in_the_dm(h: SlackHarness) -> None:
    await h.dm(ENGLISH, "ask")
    await h.settle()
    assert h.fake.calls_to("views.open") == []
    assert "What is your answer?" in h.fake.texts(f"D{ENGLISH}")[0]
    await h.dm(ENGLISH, "forty-two")
    await h.settle()
    assert "You said forty-two" in h.fake.texts(f"D{ENGLISH}")[1]


# --- App Home ------------------------------------------------------------------------------------


async def test_app_home_shows_the_profile_and_shortcuts(h: SlackHarness) -> None:
    store = h.service.services.store
    await h.event({"type": "app_home_opened", "user": ENGLISH, "channel": "DUEN", "tab": "home"})
    await h.settle()
    view = h.fake.home[ENGLISH]
    assert view["type"] == "home"
    text = shown(view)
    assert "Your profile" in text and "not set up your profile yet" in text
    labels = [e["text"]["text"] for e in elements(view["blocks"], "button")]
    assert labels == ["Set up my profile", "Write a note", "All commands"]

    person = await store.participants.by_identity("slack", GERMAN)
    assert person is None
    await h.command(GERMAN, "help")
    await h.settle()
    person = await store.participants.by_identity("slack", GERMAN)
    assert person is not None
    stuttgart = next(c for c in await store.cities.all() if c.name == "Stuttgart")
    await store.participants.update(
        person.id, city_id=stuttgart.id, department="international", now=TEST_NOW
    )
    await store.participants.set_sdgs(person.id, [11, 17])
    await h.event({"type": "app_home_opened", "user": GERMAN, "channel": "DUDE", "tab": "home"})
    await h.settle()
    german = shown(h.fake.home[GERMAN])
    assert "Ihr Profil" in german and "Stuttgart (DE)" in german
    assert "Internationales" in german and "SDG 11" in german and "SDG 17" in german


async def test_the_messages_tab_and_a_retried_home_event_publish_nothing_more(
    h: SlackHarness,
) -> None:
    event = {"type": "app_home_opened", "user": ENGLISH, "channel": "DUEN"}
    await h.event({**event, "tab": "messages"})
    await h.event({**event, "tab": "home"}, event_id="Ev0HOME")
    await h.event({**event, "tab": "home"}, event_id="Ev0HOME", retry=1)
    await h.settle()
    assert len(h.fake.calls_to("views.publish")) == 1


async def test_home_buttons_answer_in_the_dm_and_open_the_modal(h: SlackHarness) -> None:
    await h.event({"type": "app_home_opened", "user": ENGLISH, "channel": "DUEN", "tab": "home"})
    await h.settle()
    home = h.fake.home[ENGLISH]
    on_home = {"type": "view", "view_id": home["id"]}
    await h.press(ENGLISH, button(home["blocks"], "All commands"), container=on_home)
    await h.settle()
    assert "Commands" in h.fake.texts(f"D{ENGLISH}")[0]

    store = h.service.services.store
    person = await store.participants.by_identity("slack", ENGLISH)
    assert person is not None
    krefeld = next(c for c in await store.cities.all() if c.name == "Charlotte")
    await store.participants.update(
        person.id, city_id=krefeld.id, department="planning", now=TEST_NOW
    )
    await h.press(ENGLISH, button(home["blocks"], "Write a note"), container=on_home)
    await h.settle()
    (opened,) = h.fake.calls_to("views.open", ok_only=True)
    view = h.fake.views[opened.response["view"]["id"]]
    await h.submit(ENGLISH, view, "Met Krefeld's planners #Krefeld")
    await h.settle()
    assert "Saved as note" in h.fake.texts(f"D{ENGLISH}")[-1]
    (note,) = await store.notes.latest(NoteFilter(author_id=person.id))
    assert note.text == "Met Krefeld's planners #Krefeld"


# --- documents -----------------------------------------------------------------------------------


async def test_a_document_is_uploaded_as_a_file(h: SlackHarness) -> None:
    await h.dm(ENGLISH, "datafile")
    await h.settle()
    (text_message,) = h.fake.posted(f"D{ENGLISH}")
    assert "Your data" in shown(text_message)
    (file,) = h.fake.files(f"D{ENGLISH}")
    assert file["filename"] == "udx.json" and file["title"] == "udx.json"
    assert json.loads(file["content"]) == {"note": "*bold* <b> `x`"}


async def test_a_document_asked_for_by_slash_command_goes_to_the_dm(h: SlackHarness) -> None:
    await h.command(ENGLISH, "datafile")
    await h.settle()
    assert "Your data" in shown(last_response(h.fake, ENGLISH))  # the answer: ephemeral
    (file,) = h.fake.files(ENGLISH)  # the file: in the DM, where a response_url cannot go
    assert json.loads(file["content"]) == {"note": "*bold* <b> `x`"}


def sending_calls(fake: FakeSlack, since: int) -> list[tuple[Any, ...]]:
    """The Web API calls that post or upload, from ``since`` on, without what differs by
    nature between two sends (message timestamps, file ids): method, channel, and the
    text and blocks of a message or the name, length and title of a file."""
    found: list[tuple[Any, ...]] = []
    for call in fake.calls[since:]:
        p = call.params
        if call.method == "chat.postMessage":
            found.append((call.method, p.get("channel"), p.get("text"), p.get("blocks")))
        elif call.method == "files.getUploadURLExternal":
            found.append((call.method, p.get("filename"), p.get("length")))
        elif call.method == "files.completeUploadExternal":
            titles = [f.get("title") for f in json.loads(str(p.get("files")))]
            found.append((call.method, p.get("channel_id"), titles))
        elif call.method.startswith(("chat.", "files.", "conversations.")):
            found.append((call.method, p.get("channel") or p.get("users")))
    return found


async def test_a_document_goes_out_the_same_way_as_a_reply_and_from_the_outbox(
    h: SlackHarness,
) -> None:
    """One send path: the reply to a DM (through Bolt) and the same reply queued in the outbox
    (delivered by the outbox worker with a transport of its own) make the same Web API calls
    and leave the same file in the DM."""
    await h.dm(ENGLISH, "datafile")
    await h.settle()
    as_reply = sending_calls(h.fake, 0)
    assert [c[0] for c in as_reply] == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ], as_reply
    services = h.service.services
    person = await services.store.participants.by_identity("slack", ENGLISH)
    assert person is not None
    mark = len(h.fake.calls)
    assert await services.outbox.send(person, [data_reply()], key="datafile:1", kind="test")
    worker = OutboxWorker(
        services.store, slack_route(TOKEN, h.fake.api_url), clock=running_clock(TEST_NOW)
    )
    await worker.run_until_idle(within=20)
    await worker.stop()
    assert sending_calls(h.fake, mark) == as_reply
    replied, queued = h.fake.files(ENGLISH)
    for file in (replied, queued):
        file.pop("id")
    assert replied == queued and replied["channel"] == f"D{ENGLISH}"
    assert replied["filename"] == replied["title"] == "udx.json"
    assert json.loads(replied["content"]) == {"note": "*bold* <b> `x`"}


# --- signatures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "age"),
    [("wrong-secret", 0), (None, 0), (SECRET, 301)],
    ids=["wrong", "missing", "stale"],
)
async def test_a_bad_signature_gets_401_and_nothing_happens(
    h: SlackHarness, secret: str | None, age: int
) -> None:
    from urllib.parse import urlencode

    body = urlencode(
        {"command": "/udx", "text": "help", "user_id": ENGLISH, "response_url": "x"}
    ).encode()
    sent = await h.post(
        body,
        "application/x-www-form-urlencoded",
        secret=secret,
        timestamp=int(time.time()) - age,
    )
    assert sent.status == 401
    await h.settle()
    assert h.fake.calls == [] and h.fake.responses() == []
    store = h.service.services.store
    assert await store.participants.identity("slack", ENGLISH) is None


async def test_url_verification_is_answered(h: SlackHarness) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"}).encode()
    sent = await h.post(body, "application/json")
    assert sent.status == 200 and sent.json() == {"challenge": "c-123"}


# --- configuration and Socket Mode ---------------------------------------------------------------


def test_the_runner_starts_slack_only_when_configured(services: Services) -> None:
    def with_settings(**values: str) -> Services:
        return Services(
            settings=Settings(**values),  # type: ignore[arg-type]
            store=services.store,
            router=services.router,
            clock=services.clock,
        )

    assert build_services(with_settings()) == ([], [])  # nothing configured: nothing runs
    assert slack_platform.service(with_settings()) is None
    assert slack_platform.service(with_settings(slack_bot_token=TOKEN)) is None
    assert slack_platform.service(with_settings(slack_signing_secret=SECRET)) is None
    http = slack_platform.service(with_settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET))
    assert http is not None and http.mode == "http"
    assert [r.path for r in http.routes()] == ["/slack/events"]  # type: ignore[attr-defined]
    found, _ = build_services(
        with_settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url="http://x/")
    )
    assert [s.name for s in found] == ["slack"]


async def test_socket_mode_is_wired_to_the_same_app(
    services: Services, fake_slack: FakeSlack
) -> None:
    """Socket Mode cannot reach the real Slack here: this checks the construction and feeds one
    envelope through the handler as the socket client would (its reply to Slack recorded)."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
    from slack_sdk.socket_mode.request import SocketModeRequest
    from slack_sdk.socket_mode.response import SocketModeResponse

    settings = Settings(
        slack_bot_token=TOKEN, slack_app_token="xapp-1-test", slack_api_url=fake_slack.api_url
    )
    socket_services = Services(
        settings=settings, store=services.store, router=services.router, clock=services.clock
    )
    slack = slack_platform.service(socket_services)
    assert slack is not None and slack.mode == "socket" and slack.routes() == []
    handler = slack.socket_handler
    assert isinstance(handler, AsyncSocketModeHandler)
    assert handler.app is slack.app and handler.app_token == "xapp-1-test"
    assert handler.client.web_client is slack.client

    acks: list[SocketModeResponse] = []

    async def record(response: SocketModeResponse) -> None:
        acks.append(response)

    handler.client.send_socket_mode_response = record  # type: ignore[method-assign]
    payload = {
        "command": "/udx",
        "text": "help",
        "user_id": ENGLISH,
        "user_name": "sam",
        "team_id": "T0UDXTEST",
        "response_url": fake_slack.response_url("socket"),
        "trigger_id": "t-1",
    }
    await handler.handle(
        handler.client,
        SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=payload),
    )
    assert [a.envelope_id for a in acks] == ["env-1"]
    await slack.drain()
    assert "Commands" in visible_mrkdwn(
        last_response(fake_slack, "socket")["blocks"][1]["text"]["text"]
    )
    await slack.stop()  # closes the socket client and the session the answers went over


async def test_closing_the_modal_cancels_the_waiting(h: SlackHarness) -> None:
    await h.command(ENGLISH, "ask")
    await h.settle()
    (opened,) = h.fake.calls_to("views.open", ok_only=True)
    view = h.fake.views[opened.response["view"]["id"]]
    assert view["notify_on_close"] is True
    payload = {
        "type": "view_closed",
        "team": {"id": "T0UDXTEST"},
        "user": {"id": ENGLISH, "username": "uen", "team_id": "T0UDXTEST"},
        "api_app_id": "A0UDX",
        "token": "legacy",
        "view": view,
        "is_cleared": False,
    }
    assert (await h.interaction(payload)).status == 200
    await h.settle()
    assert "OK, cancelled" in shown(last_response(h.fake, ENGLISH))
    await h.dm(ENGLISH, "forty-two")  # no longer taken as the answer
    await h.settle()
    assert "didn't understand" in h.fake.texts(f"D{ENGLISH}")[-1]


async def test_rate_limited_posts_are_retried(services: Services) -> None:
    async with FakeSlack(
        token=TOKEN, per_channel_rate=1, per_channel_burst=1, retry_after=1
    ) as fake:
        async for h in harness(services, fake):
            await h.dm(ENGLISH, "help")
            await h.dm(ENGLISH, "help")
            await h.settle()
            assert fake.count_429 == 1
            assert len(fake.calls_to("chat.postMessage", ok_only=True)) == 2


async def test_an_answer_whose_connection_dropped_is_not_posted_again(h: SlackHarness) -> None:
    h.fake.answer_badly_next(f"D{ENGLISH}", "drop")  # posted, then the connection closes
    await h.dm(ENGLISH, "help")
    await h.settle()
    posts = [c for c in h.fake.calls_to("chat.postMessage") if c.params["channel"] == f"D{ENGLISH}"]
    assert len(posts) == 1 and len(h.fake.posted(f"D{ENGLISH}")) == 1


# The bot scope each Web API method the adapter and the transport call needs (None: no scope),
# and the scopes the manifest's features need (the slash command, the events it subscribes).
METHOD_SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "conversations_open": "im:write",  # a DM for the outbox and for documents
    "files_upload_v2": "files:write",
    "users_info": "users:read",  # include_locale needs nothing more
    "views_open": None,
    "views_publish": None,
}
FEATURE_SCOPES = {"commands", "im:history", "app_mentions:read"}  # /udx, message.im, app_mention


def used_scopes() -> set[str]:
    """The scopes of every Web API call (``client.<method>(`` or ``api().<method>(``, the
    transport's client) in udx_bot/platforms/slack*.py; a method not in METHOD_SCOPES fails, so
    a new call has to say which scope it needs."""
    import re
    from pathlib import Path

    platforms = Path(slack_platform.__file__).parent
    called = {
        name
        for path in platforms.glob("slack*.py")
        for name in re.findall(
            r"\b(?:client|api\(\))\.([a-z]+_[A-Za-z0-9_]+)\(", path.read_text("utf-8")
        )
    }
    assert called and called <= METHOD_SCOPES.keys(), called - METHOD_SCOPES.keys()
    return {s for m in called if (s := METHOD_SCOPES[m])} | FEATURE_SCOPES


def manifest_scopes(manifest: str) -> set[str]:
    """The bot scopes listed under ``oauth_config: scopes: bot:``."""
    lines = manifest.split("    bot:\n", 1)[1].splitlines()
    scopes = []
    for line in lines:
        if not line.startswith("      - "):
            break
        scopes.append(line.split("#")[0].strip().removeprefix("- ").strip())
    return set(scopes)


def test_the_manifest_matches_the_adapter() -> None:
    from pathlib import Path

    manifest = (Path(__file__).parent.parent / "slack-manifest.yaml").read_text("utf-8")
    assert f"command: {slack_platform.SLASH_COMMAND}\n" in manifest
    assert manifest.count(f"https://YOUR-HOST{slack_platform.EVENTS_PATH}\n") == 3
    for needed in ("app_home_opened", "message.im", "home_tab_enabled: true", "users:read"):
        assert needed in manifest
    for needed in ("chat:write", "im:write", "files:write"):  # what the transport calls need
        assert needed in manifest
    assert manifest_scopes(manifest) == used_scopes()  # exactly these: none missing, none unused
    assert "socket_mode_enabled: false" in manifest
