"""/home (the Slack App Home's content) through the real router, in English and German."""

from __future__ import annotations

from collections.abc import Callable

from tests.support import Chat
from udx_bot.context import Services


async def test_home_for_a_new_person(chat: Callable[..., Chat]) -> None:
    en = await chat("1").send("/home")
    assert "Welcome to the Urban Diplomacy Exchange" in en and "not set up your profile" in en
    assert [b.label for b in en.buttons] == ["Set up my profile", "Write a note", "All commands"]
    de = await chat("2", language="de").send("/home")
    assert "Willkommen beim Urban Diplomacy Exchange" in de and "noch nicht eingerichtet" in de
    assert [b.label for b in de.buttons][-1] == "Alle Befehle"


async def test_home_is_hidden_from_help(chat: Callable[..., Chat]) -> None:
    assert "/home" not in (await chat("1").send("/help")).text


async def test_home_for_a_registered_person(services: Services, chat: Callable[..., Chat]) -> None:
    anna = chat("7", language="de", name="Anna Berg")
    await anna.send("/profile city Stuttgart")
    await anna.send("/profile department Verkehrsplanung")
    de = await anna.send("/home")
    assert "Stadt: Stuttgart (DE)" in de and "Ihre neuesten Notizen" in de
    assert "Teilen Sie mit /note" in de  # no notes yet
    assert "Ihre besten Ansprechpersonen" in de and "In einer Ihrer Partnerstädte" in de
    assert de.buttons[0].label == "Mein Profil ändern"
    await anna.send("/note Radschnellwege mit St. Louis verglichen #StLouis #sdg11")
    await anna.send("/profile language en")
    en = await anna.send("/home")
    assert "City: Stuttgart (DE)" in en and "Radschnellwege mit St. Louis" in en
    assert "Your best counterparts" in en and "In a partner city of yours" in en


async def test_shortcuts_run_their_command(chat: Callable[..., Chat]) -> None:
    alice = chat("1")
    home = await alice.send("/home")
    assert home.button("Set up my profile").style == "primary"
    assert "Welcome" in await alice.press(home.button("Set up my profile"))
    assert "Commands" in await alice.press(home.button("All commands"))
    assert "set up your profile first" in await alice.press(home.button("Write a note"))
    bea = chat("2", language="de")
    de = await bea.send("/home")
    assert "Willkommen" in await bea.press(de.button("Profil einrichten"))


async def test_an_unknown_shortcut_shows_the_overview(chat: Callable[..., Chat]) -> None:
    assert "Welcome to the" in await chat("1").press("home:cmd:frobnicate")
    assert "Willkommen beim" in await chat("2", language="de").press("home:cmd:frobnicate")
