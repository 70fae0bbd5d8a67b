"""/home (the Slack App Home's content) through the real router, in English and German."""

from __future__ import annotations

from collections.abc import Callable

from tests.support import Chat
from udx_bot.context import Context, Services
from udx_bot.router import Router
from udx_bot.types import Reply


async def test_home_for_a_new_person(chat: Callable[..., Chat]) -> None:
    en = await chat("1").send("/home")
    assert "Welcome to the Urban Diplomacy Exchange" in en and "not set up your profile" in en
    assert [b.label for b in en.buttons] == ["Write a note", "All commands"]
    de = await chat("2", language="de").send("/home")
    assert "Willkommen beim Urban Diplomacy Exchange" in de and "noch nicht eingerichtet" in de
    assert [b.label for b in de.buttons][-1] == "Alle Befehle"


async def test_home_is_hidden_from_help(chat: Callable[..., Chat]) -> None:
    assert "/home" not in (await chat("1").send("/help")).text


async def test_home_for_a_registered_person(services: Services, chat: Callable[..., Chat]) -> None:
    anna = chat("7", language="de", name="Anna Berg")
    await anna.send("/home")
    person = await services.store.participants.by_identity("telegram", "7")
    assert person is not None
    stuttgart = next(c for c in await services.store.cities.all() if c.name == "Stuttgart")
    await services.store.participants.update(person.id, city_id=stuttgart.id, department="mobility")
    de = await anna.send("/home")
    assert "Stadt: Stuttgart (DE)" in de and "Ziele: nicht angegeben" in de
    assert "Fachbereich: " in de
    await services.store.participants.update(person.id, language="en")
    await services.store.participants.set_sdgs(person.id, [11, 13])
    en = await anna.send("/home")
    assert "City: Stuttgart (DE)" in en
    assert "Goals: SDG 11 Sustainable Cities and Communities and SDG 13 Climate Action" in en


async def test_shortcuts_run_their_command(services: Services, chat: Callable[..., Chat]) -> None:
    extra = Router()

    @extra.command("start", registered=False)
    async def start(ctx: Context) -> Reply:
        return Reply.text("Setup begins")

    services.router.include(extra)
    alice = chat("1")
    home = await alice.send("/home")
    assert home.button("Set up my profile").style == "primary"
    assert "Setup begins" in await alice.press(home.button("Set up my profile"))
    assert "Commands" in await alice.press(home.button("All commands"))
    de = await chat("2", language="de").send("/home")
    assert "Setup begins" in await chat("2", language="de").press(de.button("Profil einrichten"))


async def test_an_unknown_shortcut_shows_the_overview(chat: Callable[..., Chat]) -> None:
    assert "Welcome to the" in await chat("1").press("home:cmd:frobnicate")
    assert "Willkommen beim" in await chat("2", language="de").press("home:cmd:frobnicate")
