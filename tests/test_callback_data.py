"""Typed callback data: every button kind packs and unpacks to itself within Telegram's 64 bytes;
buttons sent before the typed kinds (the old wire formats) still work through the router; data no
kind reads gets the feature's "no longer active" notice, in English and German."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from handlers import build_router
from handlers.announcements import DropDraft, SendDraft
from handlers.counterparts import FindPage, IntroRequest
from handlers.home import SHOW, Overview, Shortcut
from handlers.introductions import MeetAccept, MeetAsk, MeetDecline, MeetNotNow
from handlers.introductions.manage import IntroWithdraw
from handlers.introductions.meet import MeetFind, MeetSlot
from handlers.introductions.outcome import MeetNoteSave
from handlers.membership import MemberApprove, MemberDecline
from handlers.notes.buttons import NoteDelete, NoteKeep, NoteOriginal, NotePage, NoteSearchPage
from handlers.onboarding.buttons import (
    ObCities,
    ObCity,
    ObCountry,
    ObDepartment,
    ObDepartments,
    ObDone,
    ObKeep,
    ObLanguage,
    ObSdgs,
)
from handlers.privacy import Erase, KeepData
from storage import Store
from tests.counterparts_support import city_id, register
from tests.support import TEST_NOW, Chat
from udx_bot.callback_data import CallbackData
from udx_bot.router import Router
from udx_bot.typed import MAX_ROW_ID
from udx_bot.types import CALLBACK_DATA_MAX_BYTES, SHOW_HOME
from udx_bot.usecases.meetings import MeetDid, MeetOutcome

SAMPLES: list[CallbackData] = [
    NotePage(0),
    NotePage(10_000, 13, 123_456, "neighbourhood"),
    NotePage(3, None, 7, None),
    NoteSearchPage(2, "heat action: plan"),
    NoteDelete(42),
    NoteKeep(42),
    NoteOriginal(42),
    FindPage(0),
    FindPage(99, "youth_council", tuple(range(1, 18)), 123_456),
    IntroRequest(7),
    MeetAccept(5),
    MeetDecline(5),
    MeetAsk(MAX_ROW_ID),
    MeetNotNow(7),
    IntroWithdraw(MAX_ROW_ID),
    MeetFind(MAX_ROW_ID),
    MeetSlot(MAX_ROW_ID, 29_000_000),
    MeetDid(MAX_ROW_ID, 2, "not_yet"),
    MeetOutcome(MAX_ROW_ID),
    MeetNoteSave(MAX_ROW_ID),
    MemberApprove(MAX_ROW_ID),
    MemberDecline(3),
    Erase("12.1764061200000000"),
    Erase(),
    KeepData("12.1764061200000000"),
    Overview(),
    Shortcut("note"),
    ObLanguage("de"),
    ObCountry("GB"),
    ObCity(31),
    ObCities(),
    ObDepartment("neighbourhood"),
    ObDepartments(),
    ObKeep("city"),
    ObSdgs(13),
    ObSdgs(),
    ObDone(),
    SendDraft(1),
    DropDraft(MAX_ROW_ID),
]


@pytest.mark.parametrize("data", SAMPLES, ids=repr)
def test_every_kind_round_trips_within_the_budget(data: CallbackData) -> None:
    packed = data.pack()
    assert len(packed.encode()) <= CALLBACK_DATA_MAX_BYTES
    assert type(data).unpack(packed) == data
    assert packed.startswith(data.prefix)


def test_every_registered_kind_has_a_sample() -> None:
    registered = {r.kind for routes in build_router().buttons.values() for r in routes}
    assert registered == {type(d) for d in SAMPLES}


def test_readable_names_and_the_forms_that_stay() -> None:
    assert NotePage(2, 13).pack() == "notes:page:2:13"
    assert NoteDelete(7).pack() == "notes:delete:7"
    assert MeetAccept(5).pack() == "meet:accept:5"
    assert IntroRequest(9).pack() == "intro:request:9"
    assert FindPage(1, None, (11, 13)).pack() == "find:page:1::2800"
    assert ObSdgs().pack() == "ob:sdgs" and ObSdgs(13).pack() == "ob:sdgs:13"  # MultiSelect
    assert SHOW == Overview().pack() == SHOW_HOME == "home"  # what Slack's App Home sends
    assert Erase("1.2").pack() == "pv:forget:1.2"


def test_the_size_check() -> None:
    @dataclass(frozen=True)
    class Long(CallbackData, prefix="long", action="words"):
        words: str

    fits = Long("x" * (CALLBACK_DATA_MAX_BYTES - len("long:words:")))
    assert fits.fits() and len(fits.pack().encode()) == CALLBACK_DATA_MAX_BYTES
    over = Long("ü" * 30)  # 60 bytes of text, 71 in all
    assert not over.fits()
    with pytest.raises(ValueError, match="over 64 bytes"):
        over.pack()


def test_malformed_data_is_not_a_kind() -> None:
    for kind, data in (
        (NotePage, "notes:page:x"),
        (NotePage, "notes:search:1:words"),  # another kind of the same prefix
        (NotePage, "find:page:1"),
        (FindPage, "find:page:1:no-such-department"),
        (FindPage, "find:page:1::zz"),
        (FindPage, "find:page:-1"),
        (ObSdgs, "ob:sdgs:18"),
        (ObLanguage, "ob:language:fr"),
        (ObDone, "ob:done:now"),
        (MeetAccept, "meet:accept:"),
    ):
        with pytest.raises(ValueError):
            kind.unpack(data)


def test_a_kind_that_cannot_be_packed_fails_at_registration() -> None:
    @dataclass(frozen=True)
    class Odd(CallbackData, prefix="odd"):
        when: float

    with pytest.raises(TypeError, match="unsupported callback field type"):
        Router().callback(Odd)

    router = Router()

    async def handler(_ctx: object, _data: ObDone) -> None:
        return None

    router.callback(ObDone)(handler)
    with pytest.raises(ValueError, match="registered twice"):
        router.callback(ObDone)(handler)


# Buttons in messages sent before the typed kinds still reach the bot ----------------------------


async def test_old_note_buttons_still_work(store: Store, chat: Callable[..., Chat]) -> None:
    await register(store, "o1", city="Stuttgart", department="mobility")
    writer = chat("o1")
    for n in range(12):
        await writer.send(f"/note Radweg {n} #sdg11")
    stuttgart = await city_id(store, "Stuttgart")
    old_page = await writer.press(f"notes:p:1:11.{stuttgart}.mobility")
    assert "Notes on SDG 11" in old_page and "page 2" in old_page
    assert "Radweg 1" in old_page and old_page.replies[0].edit
    assert "page 2" in await writer.press("notes:p:1:")  # the reader's own ordering
    assert "page 2" in await writer.press("notes:s:1:radweg")
    note_id = (await store.notes.search("Radweg 0"))[0].id
    assert f"Note #{note_id} deleted" in await writer.press(f"notes:del:{note_id}")


async def test_old_find_intro_and_wizard_buttons_still_work(
    store: Store, chat: Callable[..., Chat]
) -> None:
    me = await register(store, "o2", city="Stuttgart", department="mobility")
    other = await register(store, "o3", city="St. Louis", department="mobility")
    assert "Your counterparts" in await chat("o2").press("find:0:mobility:800:-")
    confirm = await chat("o2").press(f"intro:r:{other.id}")
    asked = await chat("o2").press(confirm.button("Send request"))
    assert "I've asked" in asked
    (intro,) = await store.introductions.between(me.id, other.id, TEST_NOW)
    accepted = await chat("o3").press(f"meet:a:{intro.id}")
    assert "Wonderful!" in accepted
    newcomer = chat("o4")
    await newcomer.send("/start")
    assert "Schritt 2 von 4" in await newcomer.press("ob:lang:de")
    assert "Schritt 3 von 4" in await newcomer.press(f"ob:city:{await city_id(store, 'Leeds')}")
    assert "Schritt 4 von 4" in await newcomer.press("ob:dep:environment")
    assert "Schritt 3 von 4" in await newcomer.press("ob:deps")


def test_announcement_buttons_keep_their_hand_built_data() -> None:
    """Previews sent before the typed kinds carry ``ann:send:<id>`` / ``ann:cancel:<id>``."""
    assert SendDraft(12).pack() == "ann:send:12" and DropDraft(12).pack() == "ann:cancel:12"
    assert SendDraft.unpack("ann:send:12") == SendDraft(12)


@pytest.mark.parametrize(
    ("data", "english", "german"),
    [
        ("notes:page:x", "Send /notes to start again", "/notes"),
        ("notes:p:1:1.2", "Send /notes to start again", "/notes"),  # a broken old one
        ("find:page:1:nope", "Send /find to start again", "/find"),
        ("find:1:-:2000", "Send /find to start again", "/find"),
        ("intro:request:me", "Send /find to start again", "/find"),
        ("ob:language:fr", "Send /start to begin again", "/start"),
        ("ob:department:nope", "Send /start to begin again", "/start"),
        ("meet:maybe:1", "This request no longer exists", "Anfrage"),
        ("pv:perhaps", "Send /help to start again", "/help"),
        ("home:elsewhere", "Send /help to start again", "/help"),
        ("ann:send:0", "Send /help to start again", "/help"),  # no row has id 0
        ("ann:cancel:x", "Send /help to start again", "/help"),
        ("ann:publish:1", "Send /help to start again", "/help"),
    ],
)
async def test_unreadable_data_gets_the_notice(
    store: Store, chat: Callable[..., Chat], data: str, english: str, german: str
) -> None:
    await register(store, "s1", city="Stuttgart", department="mobility")
    await register(store, "s2", city="Stuttgart", department="mobility", language="de")
    answer = await chat("s1").press(data)
    assert english in answer and answer.replies[0].notice, answer.text
    answer = await chat("s2", language="de").press(data)
    assert german in answer and answer.replies[0].notice, answer.text
    assert "no longer" not in answer.text and answer.text != ""
