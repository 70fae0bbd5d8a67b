"""The console as a person tries the bot in it: line editing keys, pasted text, buttons pressed
by label or yes/no, and both sides of an introduction with the demo's second console person
(delivered through the outbox by the console's own transport). In-process, on the real router."""

from __future__ import annotations

import io
from collections.abc import Iterable

import pytest
from sqlalchemy import select

from storage.tables import outbox
from tests.counterparts_support import register
from udx_bot.context import Services
from udx_bot.demo import PERSONA, Persona, seed_persona
from udx_bot.outbox_wiring import console_delivery
from udx_bot.platforms.console import MAX_INPUT, ConsoleChat, press, render
from udx_bot.types import Actor, Button, Reply

CTRL_C, CTRL_D = object(), object()


def keyboard(*keys: str | object) -> object:
    """A reader as ``input()`` behaves at a terminal: each line typed, Ctrl-C raising
    KeyboardInterrupt, Ctrl-D (and the end of the script) raising EOFError."""
    pending = list(keys)

    def read(prompt: str) -> str:
        key = pending.pop(0) if pending else CTRL_D
        if key is CTRL_C:
            raise KeyboardInterrupt
        if key is CTRL_D:
            raise EOFError
        assert isinstance(key, str)
        return key

    return read


def console(
    services: Services, name: str, *keys: str | object, language: str = "en"
) -> ConsoleChat:
    actor = Actor("console", name, name, username=name, language_code=language)
    return ConsoleChat(services, actor, stdout=io.StringIO(), reader=keyboard(*keys))  # type: ignore[arg-type]


def out(chat: ConsoleChat) -> str:
    assert isinstance(chat.stdout, io.StringIO)
    return chat.stdout.getvalue()


async def rows(services: Services, user: str) -> list[str]:
    async with services.store.db.read() as conn:
        query = select(outbox.c.status).where(
            outbox.c.platform == "console", outbox.c.user_id == user
        )
        return list((await conn.execute(query)).scalars())


# --- buttons ----------------------------------------------------------------------------------


def test_labels_are_pressed_without_their_decoration() -> None:
    reply = Reply.text(
        "Pick",
        buttons=[
            [Button("« Other country", "a"), Button("Next »", "b"), Button("Done ✓", "c")],
            [Button("✓ English", "d"), Button("Vorstellung anfragen", "e")],
        ],
    )
    _, choices = render(reply)
    for typed, data in [("other country", "a"), ("NEXT", "b"), ("done", "c"), ("Done ✓", "c"),
                        ("english", "d"), ("vorstellung  anfragen!", "e")]:  # fmt: skip
        assert press(typed, choices) == data, typed
    assert press("next please", choices) is None and press("✓", choices) is None


@pytest.mark.parametrize(
    ("labels", "yes", "no"),
    [
        (("Accept", "Decline"), "yes", "no"),
        (("Annehmen", "Ablehnen"), "ja", "nein"),
        (("Send request", "Not now"), "Yes", "NO"),
        (("Anfrage senden", "Jetzt nicht"), "Ja.", "Nein!"),
    ],
)
def test_yes_and_no_answer_a_two_button_question(
    labels: tuple[str, str], yes: str, no: str
) -> None:
    _, choices = render(
        Reply.text("?", buttons=[[Button(labels[0], "do", "primary"), Button(labels[1], "not")]])
    )
    assert press(yes, choices) == "do" and press(no, choices) == "not"


def test_yes_presses_a_yes_button_and_never_guesses_among_plain_choices() -> None:
    _, erase = render(Reply.text("?", buttons=[[Button("Ja, alles löschen", "erase", "danger")],
                                               [Button("Abbrechen", "keep")]]))  # fmt: skip
    assert press("ja", erase) == "erase" and press("nein", erase) == "keep"
    _, languages = render(
        Reply.text("?", buttons=[[Button("Deutsch", "de"), Button("English", "en")]])
    )
    assert press("yes", languages) is None and press("no", languages) is None


# --- keys and pasted text ---------------------------------------------------------------------


async def test_ctrl_c_discards_the_line_and_ctrl_d_ends_with_a_newline(services: Services) -> None:
    chat = console(services, "Ada", CTRL_C, "/help", CTRL_C, CTRL_D, "/never")
    await chat.run()
    shown = out(chat)
    assert shown.startswith("^C\n")  # nothing was sent for the cancelled line
    assert "Commands" in shown and shown.count("^C\n") == 2
    assert shown.endswith("\n\n") and "/never" not in shown  # Ctrl-D ended the chat


async def test_ctrl_c_before_anything_stores_nothing(services: Services) -> None:
    await console(services, "Bea", CTRL_C).run()
    assert await services.store.participants.by_identity("console", "Bea") is None


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "That was 20,001 characters; the console takes at most 20,000"),
     ("de", "Das waren 20.001 Zeichen; die Konsole nimmt höchstens 20.000")],
)  # fmt: skip
async def test_a_paste_longer_than_the_console_takes_is_refused_saying_so(
    services: Services, language: str, said: str
) -> None:
    chat = console(services, "Cem", "/note " + "x" * (MAX_INPUT - 6 + 1), language=language)
    await chat.run()
    assert said in out(chat)
    assert await services.store.participants.by_identity("console", "Cem") is None


async def test_a_long_pasted_line_arrives_whole(services: Services) -> None:
    await register(services.store, "Dan", city="Leeds", department="planning", platform="console")
    note = "Long lessons from the heat plan. " * 90  # 2,970 characters in one line
    pasted = io.StringIO(f"/note {note}\n")
    piped = ConsoleChat(
        services, Actor("console", "Dan", "Dan"), stdin=pasted, stdout=io.StringIO()
    )
    await piped.run()
    me = await services.store.participants.by_identity("console", "Dan")
    assert me is not None
    saved = await services.store.notes.find(me.id, note.strip())
    assert saved is not None  # the whole text, not a cut one
    long = console(services, "Dan", "/note " + "y" * 3500)
    await long.run()
    assert "3,500" in out(long) and "3,000" in out(long)  # the note's own limit, said clearly


# --- the demo's second console person: an introduction, both sides ---------------------------


async def open_console(
    services: Services, name: str, *keys: str | object, language: str = "en"
) -> str:
    chat = console(services, name, *keys, language=language)
    async with console_delivery(services, chat):
        await chat.run()
    return out(chat)


@pytest.mark.parametrize(
    ("persona", "language", "heading", "buttons", "answer", "result"),
    [
        (PERSONA, "en", "Introduction request", ("[1] Accept", "[2] Decline"), "yes",
         "Here is how to reach Ada:\nAda (Console: Ada)"),
        (Persona("Jonas", "Jonas Weber", "Esslingen am Neckar", "sustainability", (13,), "de"),
         "de", "Anfrage", ("[1] Annehmen", "[2] Ablehnen"), "ja",
         "So erreichen Sie Ada:\nAda (Konsole: Ada)"),
    ],
)  # fmt: skip
async def test_an_introduction_between_two_console_people_end_to_end(
    services: Services,
    persona: Persona,
    language: str,
    heading: str,
    buttons: Iterable[str],
    answer: str,
    result: str,
) -> None:
    now = services.clock()
    other = await seed_persona(services.store, now=now, persona=persona)
    assert (await seed_persona(services.store, now=now, persona=persona)).id == other.id  # once
    await register(services.store, "Ada", city="Leeds", department="sustainability",
                   sdgs=[13], platform="console", name="Ada")  # fmt: skip

    asked = await open_console(services, "Ada", f"/intro {other.id}")
    assert f"I've asked {other.name}" in asked
    assert heading not in asked  # the request waits for the other person, not for Ada
    assert await rows(services, persona.user) == ["pending"]

    seen = await open_console(services, persona.user, "hello", answer, language=language)
    assert heading in seen and all(b in seen for b in buttons)
    # typed text that pressed nothing: the answer, then the buttons again, still pressable
    assert seen.count(next(iter(buttons))) == 2
    assert result in seen
    assert await rows(services, persona.user) == ["sent"]

    back = await open_console(services, "Ada")
    assert f"{other.name} accepted your introduction request" in back
    assert f"{other.name} (Console: {persona.user})" in back  # the contact, in Ada's English
    assert await rows(services, "Ada") == ["sent"]
    assert f"{other.name} accepted" not in await open_console(services, "Ada")  # shown once


async def test_a_declined_request_reaches_the_requester_and_no_one_else_opens_it(
    services: Services,
) -> None:
    sam = await seed_persona(services.store, now=services.clock())
    await register(services.store, "Ada", city="Leeds", department="sustainability",
                   platform="console", name="Ada")  # fmt: skip
    await open_console(services, "Ada", f"/intro {sam.id}")
    assert "Introduction request" not in await open_console(services, "Cem")  # not Cem's
    assert await rows(services, "Sam") == ["pending"]
    declined = await open_console(services, "Sam", "no")
    assert "Declined" in declined
    assert "can't take on an introduction" in await open_console(services, "Ada")


async def test_an_announcement_reaches_the_console_person_when_they_open_it(
    services: Services,
) -> None:
    await seed_persona(services.store, now=services.clock())
    ada = await register(services.store, "Ada", city="Leeds", department="sustainability",
                         platform="console", name="Ada")  # fmt: skip
    await services.store.participants.update(ada.id, role="coordinator", now=services.clock())
    sent = await open_console(services, "Ada", "/announce all en: Workshop on heat plans", "yes")
    assert "Preview" in sent and "Workshop on heat plans" in sent
    assert await rows(services, "Sam") == ["pending"]  # queued for Sam, not shown to Ada
    seen = await open_console(services, "Sam")
    assert "Workshop on heat plans" in seen
    assert await rows(services, "Sam") == ["sent"]
