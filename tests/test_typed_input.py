"""Numbers and characters people type reach the database only when it can store them: a number
that names a row is 1 to 2^31-1 (one helper, udx_bot/typed.py), NUL and other control characters
are removed by the router's first middleware. Through the real router, on SQLite and PostgreSQL,
in English and German: a clear answer, nothing stored, no ERROR (and no typed text) in the log."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from storage import Store
from storage.tables import announcements, introductions, notes
from tests.notes_support import member
from tests.support import TEST_NOW, Chat, person
from udx_bot.context import Services
from udx_bot.typed import MAX_ECHO, MAX_ROW_ID, clean, row_id, shorten, typed_number

TOO_LARGE = ("2147483648", "9223372036854775808", "99999999999999999999999999")


async def count(store: Store, table: object) -> int:
    async with store.db.read() as conn:
        query = select(func.count()).select_from(table)  # type: ignore[arg-type]
        return int((await conn.execute(query)).scalar_one())


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == []


def test_the_helpers() -> None:
    assert typed_number(" #42 ") == 42 and row_id("42") == 42
    assert [typed_number(t) for t in ("-5", "+5", "1_000", "١٢", "4 2", "", "#")] == [None] * 7
    assert row_id("0") is None and row_id(str(MAX_ROW_ID)) == MAX_ROW_ID
    assert row_id(str(MAX_ROW_ID + 1)) is None
    assert clean("a\x00b\x07c\r\nd\re\tf\x7f\x85g") == "abc\nd\ne\tfg"
    assert clean("x\ud800y") == "x\ufffdy" and clean("Grüße 👋") == "Grüße 👋"


@pytest.mark.parametrize("number", [*TOO_LARGE, "0"])
async def test_intro_with_a_number_no_row_can_have(
    any_services: Services, caplog: pytest.LogCaptureFixture, number: str
) -> None:
    en = await member(any_services, "1")
    de = await member(any_services, "2", language="de")
    assert f"There is no one with the number {number}" in await en.send(f"/intro {number}")
    assert f"Es gibt niemanden mit der Nummer {number}" in await de.send(f"/vorstellen {number}")
    pressed = await en.press(f"intro:request:{number}")  # a forged button
    assert ("There is no one" if number == "0" else "no longer active") in pressed
    assert await count(any_services.store, introductions) == 0
    no_errors(caplog)


async def test_intro_with_what_is_not_a_number(any_services: Services) -> None:
    en = await member(any_services, "1")
    de = await member(any_services, "2", language="de")
    for typed in ("-5", "١٢", "1_000", "+3"):
        assert "Please give the number of a person" in await en.send(f"/intro {typed}")
        assert "Nummer" in await de.send(f"/intro {typed}")
    assert await count(any_services.store, introductions) == 0


@pytest.mark.parametrize("number", TOO_LARGE)
async def test_note_subcommands_with_a_number_too_large(
    any_services: Services, caplog: pytest.LogCaptureFixture, number: str
) -> None:
    en = await member(any_services, "1")
    de = await member(any_services, "2", language="de")
    before = await count(any_services.store, notes)
    assert f"There is no note #{number}" in await en.send(f"/note delete {number}")
    assert f"#{number}" in await de.send(f"/notiz zeigen {number}")
    assert f"There is no note #{number}" in await en.send(f"/note edit {number} new text")
    assert await count(any_services.store, notes) == before
    no_errors(caplog)


@pytest.mark.parametrize("number", TOO_LARGE)
async def test_forged_buttons_with_huge_numbers_are_stale(
    any_services: Services, caplog: pytest.LogCaptureFixture, number: str
) -> None:
    en = await member(any_services, "1", role="coordinator")
    for data in (f"intro:request:{number}", f"ann:cancel:{number}", f"ann:send:{number}"):
        answer = await en.press(data)
        assert "no longer active" in answer, (data, answer.text)
    de = await member(any_services, "2", language="de", role="coordinator")
    assert "nicht mehr aktiv" in await de.press(f"ann:cancel:{number}")
    no_errors(caplog)


@pytest.mark.parametrize("number", [*TOO_LARGE, "0"])
async def test_announce_cancel_with_a_number_no_row_can_have(
    any_services: Services, caplog: pytest.LogCaptureFixture, number: str
) -> None:
    en = await member(any_services, "1", role="coordinator")
    de = await member(any_services, "2", language="de", role="coordinator")
    assert f"There is no announcement #{number}" in await en.send(f"/announce cancel {number}")
    assert f"#{number}" in await de.send(f"/announce stornieren {number}")
    assert await count(any_services.store, announcements) == 0
    no_errors(caplog)


async def test_nul_and_control_characters_are_removed_before_storage(
    any_services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    en = await member(any_services, "1")
    de = await member(any_services, "2", language="de")
    assert "Saved" in await en.send("/note Cool\x00ing centres\x07 in libraries\ud800")
    assert "gespeichert" in await de.send("/notiz Hitze\x00schutz\x1b[31m")
    texts = sorted(n.text for n in await any_services.store.notes.latest(limit=2))
    assert texts == ["Cooling centres in libraries\ufffd", "Hitzeschutz[31m"]
    no_errors(caplog)


async def test_a_note_of_only_nul_is_no_note(
    any_services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    en = await member(any_services, "1")
    before = await count(any_services.store, notes)
    answer = await en.send("/note \x00\x00")
    assert "Send the note as your next message" in answer  # as a bare /note
    assert (await en.send("\x00")).replies == []  # an empty message is nothing, not a note
    assert await count(any_services.store, notes) == before
    no_errors(caplog)


async def test_a_name_with_control_characters_is_stored_clean(any_services: Services) -> None:
    actor = person("77", name="Ro\x00sa\x1f Lux", language="en")
    await Chat(any_services, actor).send("/help")
    stored = await any_services.store.participants.by_identity("telegram", "77")
    assert stored is not None and stored.name == "Rosa Lux"


async def test_a_failed_statement_never_carries_its_values(any_services: Services) -> None:
    """Below the router (a CLI import, a bug): the error that gets logged names no value."""
    store = any_services.store
    participant, _ = await store.participants.touch("telegram", "5", now=TEST_NOW)
    secret_text = "private-note-words"
    with pytest.raises(Exception) as failed:
        await store.notes.add(
            participant.id,
            secret_text,
            city_id=MAX_ROW_ID + 10**12,  # no such city id fits: the driver refuses
            department=None,
            now=TEST_NOW,
        )
    assert secret_text not in str(failed.value)
    assert secret_text not in repr(failed.value)


def test_an_answer_repeats_a_long_typed_text_shortened() -> None:
    assert shorten("Umweltamt") == "Umweltamt"
    cut = shorten("é" * 40_000)
    assert len(cut) == MAX_ECHO and cut.endswith("…")
    assert shorten("abc " * 30, limit=10) == "abc abc a…"
