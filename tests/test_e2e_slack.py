"""End to end on Slack: the real Bolt AsyncApp behind the project's aiohttp server, every request
signed with the signing secret, Web API calls going to a fake Slack server on 127.0.0.1.

A Slack user in Leeds (en-GB) sets up the profile by text commands, writes a note in the modal,
lists it, finds a Telegram participant from Dortmund (Leeds' partner city) and asks to be
introduced; App Home shows it all; a badly signed request and an event retry change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest

from handlers.introductions import MeetAccept, MeetDecline
from storage.notes import NoteFilter
from tests.fakes.slack_api import FakeSlack, message_text
from tests.slack_support import SlackHarness, button, elements, harness
from tests.slack_support import fake_slack as fake_slack  # the fixture
from tests.support import Chat, FakeClock, person
from udx_bot.context import Services
from udx_bot.types import Reply

HARRIET = "UGB0HARRIET"  # Slack, locale en-GB
DIETER = "701"  # Telegram, German


@pytest.fixture
async def h(services: Services, fake_slack: FakeSlack) -> AsyncIterator[SlackHarness]:
    fake_slack.add_user(HARRIET, locale="en-GB", real_name="Harriet Lane")
    async for ready in harness(services, fake_slack):
        yield ready


async def answer(h: SlackHarness, text: str) -> str:
    """``/udx <text>`` from Harriet; the visible text of the ephemeral answer."""
    before = len(h.fake.responses(HARRIET))
    sent = await h.command(HARRIET, text)
    assert sent.status == 200
    await h.settle()
    responses = h.fake.responses(HARRIET)
    assert len(responses) == before + 1, f"no answer to {text!r}"
    return message_text(responses[-1])


async def test_a_slack_user_meets_a_telegram_user(
    h: SlackHarness, services: Services, clock: FakeClock
) -> None:
    store = services.store
    fake = h.fake

    # --- the profile by text commands ---------------------------------------------------------
    assert (await answer(h, "profile city Leeds")).startswith("Saved: your city is now Leeds.")
    done = await answer(h, "profile department planning")
    assert "your department is now Planning Department" in done
    assert "Your profile is complete. Welcome to the network!" in done
    assert (await answer(h, "profile sdgs 11 13")) == (
        "Saved: your SDGs are now SDG 11 Sustainable Cities and Communities and "
        "SDG 13 Climate Action."
    )
    harriet = await store.participants.by_identity("slack", HARRIET)
    assert harriet is not None and harriet.registered and harriet.name == "Harriet Lane"
    assert harriet.sdgs == (11, 13) and harriet.city_name == "Leeds"

    # --- /udx note without text: the modal, then the confirmation ----------------------------
    before = len(fake.responses(HARRIET))
    assert (await h.command(HARRIET, "note")).status == 200
    await h.settle()
    (opened,) = fake.calls_to("views.open", ok_only=True)
    view = fake.views[opened.response["view"]["id"]]
    assert view["type"] == "modal" and view["title"]["text"] == "New note"
    assert "What did your department learn?" in message_text(view)
    assert len(fake.responses(HARRIET)) == before  # the question is in the modal
    typed = "Walked Dortmund's Nordstadt: *pop-up* parks <3 & shade `now` #Dortmund #sdg11"
    assert (await h.submit(HARRIET, view, typed)).status == 200
    await h.settle()
    (note,) = await store.notes.latest(NoteFilter(author_id=harriet.id))
    assert note.text == typed
    confirmation = fake.responses(HARRIET)[-1]
    assert confirmation["response_type"] == "ephemeral"
    assert message_text(confirmation) == f"Saved as note #{note.id}, tagged SDG 11 · Dortmund."

    # --- /udx notes: her partner city's first, en_GB dates, the text as typed ---------------
    listing = (await answer(h, "notes")).splitlines()
    assert listing[:4] == [
        "Notes, your partner cities and SDGs first — page 1",
        f"*#{note.id} · Harriet Lane · Leeds · Planning Department · 25 Nov 2026*",
        "SDG 11 Sustainable Cities and Communities",
        typed,
    ]

    # --- a Telegram participant in Dortmund (Leeds' partner city), found from Slack ----------
    dieter = Chat(
        services, person(DIETER, platform="telegram", language="de", name="Dieter Brandt")
    )
    assert "Ihre Stadt ist jetzt Dortmund" in await dieter.send("/profile city Dortmund")
    assert "Willkommen" in await dieter.send("/profile department Stadtplanungsamt")
    await dieter.send("/profile sdgs 11 13")
    d = await store.participants.by_identity("telegram", DIETER)
    assert d is not None and d.registered

    found = await answer(h, "find")
    entries = found.split("\n*#")
    assert entries[0].startswith("*Your counterparts 1–10*")
    assert entries[1].splitlines() == [
        f"{d.id} Dieter Brandt*",
        "Dortmund, Germany · Planning Department",
        "In a partner city of yours",
        "Shared goals: SDG 11 Sustainable Cities and Communities and SDG 13 Climate Action",
    ]
    blocks = fake.responses(HARRIET)[-1]["blocks"]
    introduce = button(blocks, "Introduce me to Dieter Brandt")
    assert elements(blocks, "button")[0] is introduce  # the first button: the first person
    assert (await h.press(HARRIET, introduce)).status == 200
    await h.settle()
    confirm = fake.responses(HARRIET)[-1]["blocks"]
    assert (await h.press(HARRIET, button(confirm, "Send request"))).status == 200
    await h.settle()
    asked = message_text(fake.responses(HARRIET)[-1])
    assert asked == (
        "I've asked Dieter Brandt whether they'd like to be introduced. If they accept, you both "
        "get each other's contact; the request expires on 9 Dec 2026."
    )
    (intro,) = await store.introductions.between(harriet.id, d.id, clock())
    assert (intro.requester_id, intro.target_id, intro.status) == (harriet.id, d.id, "open")
    queued = await store.outbox.get(f"intro:{intro.id}:request")
    assert queued is not None and queued.status == "pending"
    assert (queued.platform, queued.user_id, queued.chat_id) == ("telegram", DIETER, DIETER)
    (request,) = [Reply.from_json(doc) for doc in queued.payload]
    assert "Harriet Lane möchte Ihnen gern vorgestellt werden." in request.plain_text
    assert "Leeds, Vereinigtes Königreich · Stadtplanungsamt" in request.plain_text
    assert [(b.label, b.data) for b in request.all_buttons()] == [
        ("Annehmen", MeetAccept(intro.id).pack()),
        ("Ablehnen", MeetDecline(intro.id).pack()),
    ]
    assert fake.posted() == []  # nothing for the Telegram person went to Slack

    # --- App Home: the profile, the note and the counterpart ----------------------------------
    await h.event(
        {"type": "app_home_opened", "user": HARRIET, "channel": f"D{HARRIET}", "tab": "home"}
    )
    await h.settle()
    (published,) = fake.calls_to("views.publish", ok_only=True)
    assert published.params["user_id"] == HARRIET
    home = message_text(fake.home[HARRIET])
    assert "Hello Harriet Lane!" in home and "Leeds (GB)" in home
    assert "Planning Department" in home and "SDG 13 Climate Action" in home
    assert f"#{note.id} · Harriet Lane · Leeds · Planning Department · 25 Nov 2026" in home
    assert typed in home
    assert f"#{d.id} Dieter Brandt" in home and "In a partner city of yours" in home
    labels = [e["text"]["text"] for e in elements(fake.home[HARRIET]["blocks"], "button")]
    assert labels == ["Update my profile", "Write a note", "All commands"]

    # --- a request with a bad signature: 401, nothing stored, nothing called -----------------
    calls = len(fake.calls)
    form = {"command": "/udx", "text": "note Forged #sdg13", "user_id": HARRIET}
    forged = await h.post(
        urlencode(form).encode(), "application/x-www-form-urlencoded", secret="not-the-secret"
    )
    assert forged.status == 401
    await h.settle()
    assert len(fake.calls) == calls
    assert await store.notes.search("Forged") == []

    # --- an event retry (same event_id, X-Slack-Retry-Num) is processed once ------------------
    event = {
        "type": "message",
        "channel": f"D{HARRIET}",
        "channel_type": "im",
        "user": HARRIET,
        "text": "note Retried delivery, logged once #sdg13",
        "ts": "1700003000.000001",
    }
    first = await h.event(event, event_id="Ev0E2ERETRY")
    await h.settle()
    retry = await h.event(event, event_id="Ev0E2ERETRY", retry=1)
    await h.settle()
    assert first.status == retry.status == 200
    assert len(await store.notes.search("Retried delivery")) == 1
    (posted,) = fake.posted(f"D{HARRIET}")
    assert message_text(posted).startswith("Saved as note #")
