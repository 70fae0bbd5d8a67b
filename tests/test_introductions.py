"""Introductions with consent: request, Accept, Decline, expiry, limits and bad input, across
platforms and in English and German; what reaches the other person is read from the outbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import update

from storage import Store
from storage.tables import identities
from tests.counterparts_support import register
from tests.support import TEST_NOW, Chat, FakeClock
from udx_bot.demo import PERSONA, seed_persona
from udx_bot.matching import counterpart_query
from udx_bot.platforms.slack_render import render_blocks
from udx_bot.types import Contact, Reply, Section


async def _outbox(store: Store, key: str) -> tuple[str, Reply]:
    message = await store.outbox.get(key)
    assert message is not None, key
    return message.platform, Reply.from_json(message.payload[0])


async def _intro_id(store: Store, a: int, b: int, clock: FakeClock) -> int:
    found = await store.introductions.between(a, b, clock())
    assert found
    return found[0].id


async def test_accept_across_platforms_and_languages(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice = await register(store, "1", city="Esslingen am Neckar", department="mobility", sdgs=[11])
    bob = await register(
        store,
        "U2",
        city="Sheboygan",
        department="mobility",
        sdgs=[11, 13],
        platform="slack",
        language="de",
        name="Bob Berg",
    )
    listing = await chat("1").send("/find")
    confirm = await chat("1").press(listing.button("Introduce me to Bob Berg"))
    assert "Ask Bob Berg (Sheboygan, WI, United States · Transportation) whether" in confirm
    assert await store.introductions.open_count(alice.id, clock()) == 0  # nothing sent yet
    answer = await chat("1").press(confirm.button("Send request"))
    assert "I've asked Bob Berg whether they'd like to be introduced" in answer
    intro = await _intro_id(store, alice.id, bob.id, clock)

    platform, request = await _outbox(store, f"intro:{intro}:request")
    assert platform == "slack"
    assert "User 1 möchte Ihnen gern vorgestellt werden." in request.plain_text
    assert "Esslingen am Neckar, Deutschland · Verkehrsplanung und Mobilität" in request.plain_text
    assert "@user1" not in request.plain_text  # no contact before Accept
    assert [b.label for b in request.all_buttons()] == ["Annehmen", "Ablehnen"]

    accepted = await chat("U2", platform="slack", language="de").press(request.all_buttons()[0])
    assert "So erreichen Sie User 1:" in accepted and "User 1 (Telegram: @user1)" in accepted
    shown_on_slack = "\n".join(
        b["text"]["text"] for b in render_blocks(accepted.replies[0]) if b["type"] == "section"
    )
    assert "<https://t.me/user1|@user1> (Telegram)" in shown_on_slack
    assert "Guten Tag User 1" in accepted and accepted.replies[0].edit
    platform, note = await _outbox(store, f"intro:{intro}:accepted")
    assert platform == "telegram"
    assert "Bob Berg accepted your introduction request" in note.plain_text
    assert "Bob Berg (Slack: @userU2)" in note.plain_text
    assert Contact("slack", "U2", "Bob Berg", "userU2", "Slack") in note.sections[0].contacts
    assert "<@U2>" in render_blocks(note)[0]["text"]["text"]  # on Slack: a mention
    assert "Hello Bob Berg" in note.plain_text and "Sustainable Cities" in note.plain_text

    # answering twice changes nothing; asking again shows the contact
    again = await chat("U2", platform="slack", language="de").press(request.all_buttons()[1])
    assert "bereits beantwortet" in again
    assert await store.outbox.get(f"intro:{intro}:declined") is None
    connected = await chat("1").send(f"/intro {bob.id}")
    assert "You are already connected with Bob Berg" in connected
    assert "Bob Berg (Slack: @userU2)" in connected


@pytest.mark.parametrize(("asker", "sam"), [("en", "de"), ("de", "en")])
async def test_a_console_contact_names_the_console_in_the_readers_language(
    store: Store, clock: FakeClock, chat: Callable[..., Chat], asker: str, sam: str
) -> None:
    """Console-only people (the demo's Sam, ``--as Sam``): each sees the other's contact with
    the platform as they call it, "Konsole" or "Console", on the reply and from the outbox."""
    word = {"en": "Console", "de": "Konsole"}
    persona = replace(PERSONA, language=sam)
    sam_okafor = await seed_persona(store, now=clock(), persona=persona)
    ada = await register(store, "Ada", city="Leeds", department="sustainability",
                         sdgs=[13], platform="console", name="Ada", language=asker)  # fmt: skip
    ada_chat = chat("Ada", platform="console", language=asker)
    await ada_chat.send(f"/intro {sam_okafor.id}")
    intro = await _intro_id(store, ada.id, sam_okafor.id, clock)
    platform, request = await _outbox(store, f"intro:{intro}:request")
    assert platform == "console" and "(Console" not in request.plain_text
    accepted = await chat("Sam", platform="console", language=sam).press(request.all_buttons()[0])
    assert f"Ada ({word[sam]}: Ada)" in accepted, accepted.text
    _, note = await _outbox(store, f"intro:{intro}:accepted")
    assert f"Sam Okafor ({word[asker]}: Sam)" in note.plain_text, note.plain_text
    other = {"en": "Konsole", "de": "Console"}[asker]
    assert f"({other}:" not in note.plain_text
    connected = await ada_chat.send(f"/intro {sam_okafor.id}")
    assert f"Sam Okafor ({word[asker]}: Sam)" in connected, connected.text


async def test_a_contact_queued_before_platform_names_were_kept_still_reads() -> None:
    raw = Reply(sections=[Section("Reach:", contacts=(Contact("console", "Sam", "Sam"),))])
    stored = json.loads(raw.to_json())
    stored["sections"][0]["contacts"] = [["console", "Sam", "Sam", None]]  # four fields
    assert "Sam (Console: Sam)" in Reply.from_json(json.dumps(stored)).plain_text


async def test_decline_is_kind_and_shares_nothing(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice = await register(
        store, "1", city="Esslingen am Neckar", department="mobility", language="de"
    )
    bob = await register(store, "2", city="Sheboygan", department="mobility", name="Bob Berg")
    asked = await chat("1", language="de").send(f"/intro {bob.id}")
    assert "Ich habe Bob Berg gefragt" in asked
    intro = await _intro_id(store, alice.id, bob.id, clock)
    _, request = await _outbox(store, f"intro:{intro}:request")
    assert "User 1 would like to be introduced to you." in request.plain_text
    declined = await chat("2").press(request.all_buttons()[1])
    assert "Declined. I've let User 1 know kindly" in declined
    assert "@user1" not in declined
    _, note = await _outbox(store, f"intro:{intro}:declined")
    assert "Bob Berg kann derzeit leider kein Kennenlernen wahrnehmen" in note.plain_text
    assert "@user2" not in note.plain_text
    # asking the same person again is refused, and nothing new is stored
    again = await chat("1", language="de").send(f"/intro {bob.id}")
    assert "leider ohne Zusage" in again
    assert len(await store.introductions.between(alice.id, bob.id, clock())) == 1


async def test_expiry_after_fourteen_days(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice = await register(store, "1", city="Esslingen am Neckar", department="mobility")
    bob = await register(store, "2", city="Sheboygan", department="mobility", language="de")
    await chat("1").send(f"/intro {bob.id}")
    intro = await _intro_id(store, alice.id, bob.id, clock)
    _, request = await _outbox(store, f"intro:{intro}:request")
    assert "still open" in await chat("1").send(f"/intro {bob.id}")
    clock.advance(days=15)
    late = await chat("2", language="de").press(request.all_buttons()[0])
    assert "Diese Anfrage ist am" in late and "abgelaufen" in late
    assert await store.outbox.get(f"intro:{intro}:accepted") is None
    assert (await store.introductions.get(intro, clock())).status == "expired"  # type: ignore[union-attr]
    # the scheduler's bulk expiry marks it for good; asking anew works
    assert await store.introductions.expire_due(clock()) == 1
    assert "I've asked" in await chat("1").send(f"/intro {bob.id}")


async def test_limits_and_the_other_side_asking_first(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice = await register(store, "1", city="Esslingen am Neckar", department="mobility")
    others = [
        await register(store, str(n), city="Sheboygan", department="mobility")
        for n in range(10, 16)
    ]
    for other in others[:5]:
        assert "I've asked" in await chat("1").send(f"/intro {other.id}")
    refused = await chat("1").send(f"/intro {others[5].id}")
    assert "You already have 5 open requests" in refused
    assert await store.introductions.between(alice.id, others[5].id, clock()) == []
    # the sixth person asks alice instead: alice may simply accept
    await chat("15").send(f"/intro {alice.id}")
    reverse = await chat("1").send(f"/intro {others[5].id}")
    assert "User 15 has already asked to be introduced to you" in reverse
    accepted = await chat("1").press(reverse.button("Accept"))
    assert "Here is how to reach User 15" in accepted and "@user15" in accepted


async def test_bad_input_in_both_languages(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice = await register(store, "1", city="Esslingen am Neckar", department="mobility")
    await register(store, "2", city="Sheboygan", department="mobility", language="de")
    en, de = chat("1"), chat("2", language="de")
    demo = next(
        i.participant
        for i in (await store.counterparts.rank(counterpart_query(alice))).items
        if i.participant.is_demo
    )
    unregistered, _ = await store.participants.touch(
        "telegram", "77", display_name="Half", now=TEST_NOW
    )
    carla = await register(store, "c1", city="Sheboygan", department="mobility", name="Carla")
    async with store.db.write() as conn:  # Telegram refused delivery for good: no way left
        await conn.execute(update(identities).values(blocked_at=TEST_NOW).where(
            identities.c.participant_id == carla.id
        ))  # fmt: skip
    cases = [
        ("/intro", "Please give the number of a person", "Bitte geben Sie die Nummer"),
        ("/intro abc", "Please give the number of a person", "Bitte geben Sie die Nummer"),
        ("/intro 999999", "There is no one with the number 999999", "Es gibt niemanden"),
        (f"/intro {demo.id}", "is a demo profile", "ist ein Demo-Profil"),
        (f"/intro {unregistered.id}", "has not (or no longer) registered", "nicht (mehr)"),
        (f"/intro {carla.id}", "I can't reach Carla", "Ich kann Carla derzeit"),
    ]
    for command, english, german in cases:
        assert english in await en.send(command), command
        assert german in await de.send(command), command
    assert "That's you!" in await en.send(f"/intro {alice.id}")
    assert "Das sind Sie selbst" in await de.send(
        f"/intro {(await store.participants.by_identity('telegram', '2')).id}"
    )  # type: ignore[union-attr]
    assert await store.introductions.open_count(alice.id, clock()) == 0
    assert "no longer active" in await en.press("intro:x:1")
    assert "This request no longer exists." in await en.press("meet:a:424242")
    # a request addressed to someone else cannot be answered by a third person
    await en.send("/intro " + str((await store.participants.by_identity("telegram", "2")).id))  # type: ignore[union-attr]
    bob = await store.participants.by_identity("telegram", "2")
    assert bob is not None
    intro = await _intro_id(store, alice.id, bob.id, clock)
    assert "addressed to someone else" in await en.press(f"meet:a:{intro}")
    assert (await store.introductions.get(intro, clock())).status == "open"  # type: ignore[union-attr]
