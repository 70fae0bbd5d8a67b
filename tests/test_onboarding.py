"""/start: the guided setup, in German and English, with buttons and typed answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support import Chat
from udx_bot.context import Services
from udx_bot.types import Actor, Incoming


async def test_wizard_in_english_with_buttons(
    chat: Callable[..., Chat], services: Services
) -> None:
    ada = chat("1", language="en")
    first = await ada.send("/start")
    assert "Welcome to the Urban Diplomacy Exchange" in first and "Step 1 of 4" in first
    step2 = await ada.press(first.button("English"))
    assert step2.replies[0].edit and "Which city" in step2
    de = await ada.press(step2.button("Germany"))
    assert de.replies[0].edit and "Cities in Germany" in de
    step3 = await ada.press(de.button("Tübingen"))
    assert "City: Tübingen" in step3 and "Which department" in step3
    step4 = await ada.press(step3.button("Environmental Department"))
    assert "Department: Environmental Department" in step4
    reply = step4.replies[0]
    assert reply.multi_select is not None and reply.edit
    assert [o.value for o in reply.multi_select.options][:3] == ["11", "16", "17"]
    toggled = await ada.press(step4.button("13 Climate Action"))
    toggled = await ada.press(toggled.button("11 Sustainable Cities"))
    assert toggled.replies[0].multi_select is not None
    assert toggled.replies[0].multi_select.selected == {"11", "13"}
    untoggled = await ada.press(toggled.button("13 Climate Action"))
    assert untoggled.replies[0].multi_select is not None
    assert untoggled.replies[0].multi_select.selected == {"11"}
    done = await ada.press(untoggled.button("Done"))
    assert "Your profile is saved" in done and "What to try next" in done
    assert "Tübingen (DE)" in done and "Environmental Department" in done
    assert "Mondays at 8:00" in done and "Europe/Berlin (your city's)" in done
    me = await services.store.participants.by_identity("telegram", "1")
    assert me is not None and me.registered and me.sdgs == (11,) and me.language == "en"
    assert me.digest_weekday == 0 and me.digest_minute == 480
    assert await services.store.conversations.get(me.id) is None


@pytest.mark.parametrize(
    ("language", "country", "phrase"),
    [
        ("en", "United States", "Cities in the United States: choose yours"),
        ("en", "United Kingdom", "Cities in the United Kingdom: choose yours"),
        ("de", "Vereinigte Staaten", "Städte in den USA: Wählen Sie Ihre"),
        ("de", "Vereinigtes Königreich", "Städte im Vereinigten Königreich: Wählen Sie Ihre"),
        ("de", "Deutschland", "Städte in Deutschland: Wählen Sie Ihre"),
    ],
)
async def test_the_cities_of_a_country_are_introduced_as_a_sentence_says_it(
    chat: Callable[..., Chat], language: str, country: str, phrase: str
) -> None:
    person = chat("1", language=language)
    first = await person.send("/start")
    step2 = await person.press(first.button("English" if language == "en" else "Deutsch"))
    assert phrase in await person.press(step2.button(country))


async def test_wizard_in_german_by_typing(chat: Callable[..., Chat], services: Services) -> None:
    bea = chat("2", language="de-DE")
    first = await bea.send("/start")
    assert "Willkommen" in first and "Schritt 1 von 4" in first
    step2 = await bea.send("deutsch")
    assert "Für welche Stadt" in step2
    wrong = await bea.send("Tuebingn")
    assert "Meinten Sie Tübingen" in wrong
    step3 = await bea.send("Esslingen")
    assert "Stadt: Esslingen am Neckar" in step3
    unknown = await bea.send("Zauberamt")
    assert "„Zauberamt“ konnte ich keinem Fachbereich zuordnen" in unknown
    assert (await services.store.participants.by_identity("telegram", "2")).department is None  # type: ignore[union-attr]
    step4 = await bea.send("Office of Sustainability")
    assert "Fachbereich: Nachhaltigkeit und Klimaschutz" in step4
    bad = await bea.send("11 18")
    assert "von 1 bis 17" in bad
    me = await services.store.participants.by_identity("telegram", "2")
    assert me is not None and me.sdgs == ()
    step = await bea.send("11 13")
    assert step.replies[0].multi_select is not None
    assert step.replies[0].multi_select.selected == {"11", "13"}
    done = await bea.send("fertig")
    assert "Ihr Profil ist gespeichert" in done and "Montags um 08:00" in done


async def test_slack_submits_the_whole_selection(
    chat: Callable[..., Chat], services: Services
) -> None:
    cy = chat("U1", platform="slack", language="en")
    await cy.send("/profile city Leeds")
    await cy.send("/profile department planning")
    step = await cy.send("/start")
    step = await cy.press("ob:keep:city")
    step = await cy.press("ob:keep:department")
    assert step.replies[0].multi_select is not None
    answer = await cy.press("ob:sdgs", values=("11", "17", "99"))
    assert answer.replies[0].multi_select is not None
    assert answer.replies[0].multi_select.selected == {"11", "17"}
    me = await services.store.participants.by_identity("slack", "U1")
    assert me is not None and me.sdgs == (11, 17)


async def test_start_again_edits_and_keeps(chat: Callable[..., Chat], services: Services) -> None:
    ada = chat("1", language="en")
    await ada.send("/profile city Leeds")
    await ada.send("/profile department parks")
    again = await ada.send("/start")
    assert "current choices are kept" in again
    city = await ada.press(again.button("English"))
    keep = await ada.press(city.button("Keep Leeds"))
    assert "Which department" in keep and "✓ Parks and Recreation" in keep.button("Parks").label
    sdgs = await ada.press(keep.button("Keep Parks"))
    done = await ada.press(sdgs.button("Done"))
    assert "Leeds (GB)" in done and "Parks and Recreation" in done


async def test_a_restart_mid_wizard_loses_nothing(
    chat: Callable[..., Chat], services: Services
) -> None:
    ada = chat("1", language="en")
    first = await ada.send("/start")
    await ada.press(first.button("English"))
    # A new router (as after a restart) on the same database continues at the city step.
    from handlers import build_router

    services.router = build_router()
    answer = await ada.send("Leeds")
    assert "City: Leeds" in answer and "Which department" in answer


async def test_stale_buttons(chat: Callable[..., Chat]) -> None:
    assert "no longer active" in await chat("1").press("ob:city:99999")
    assert "nicht mehr aktiv" in await chat("2", language="de").press("ob:dep:nope")
    assert "no longer active" in await chat("1").press("ob:sdgs:18")


async def test_newcomer_is_pointed_to_start(chat: Callable[..., Chat], services: Services) -> None:
    answer = await services.router.dispatch(
        services, Incoming(chat("9").actor, text="/link")
    )  # /link is allowed for newcomers
    assert answer and "code" in answer[0].plain_text


async def _at_sdg_step(person: Chat) -> None:
    await person.send("/profile city Leeds")
    await person.send("/profile department planning")
    await person.send("/start")
    await person.press("ob:keep:city")
    await person.press("ob:keep:department")


async def test_every_typed_sdg_toggles_in_any_form(
    chat: Callable[..., Chat], services: Services
) -> None:
    """One rule for the SDG step: each SDG typed (13, sdg13, SDG 13, #sdg13, several at once)
    is added, or removed when already chosen, like pressing its button; the prompt says so."""
    ada = chat("1", language="en")
    await _at_sdg_step(ada)
    step = ada.history[-1]
    assert "each SDG you type (13, sdg13 or several: 11 17) is added" in step
    assert "or removed if it was already chosen" in step

    async def selected(answer_text: str) -> set[str]:
        answer = await ada.send(answer_text)
        assert answer.replies[-1].multi_select is not None, answer.text
        return set(answer.replies[-1].multi_select.selected)

    pressed = await ada.press("ob:sdgs:13")
    assert pressed.replies[0].multi_select is not None
    assert pressed.replies[0].multi_select.selected == {"13"}
    assert await selected("sdg11") == {"11", "13"}  # used to replace the choice with {11}
    assert await selected("11 17") == {"13", "17"}
    assert "Added: SDG 11 · Removed: SDG 13, SDG 17" in await ada.send("SDG 13, #sdg17 11")
    assert await selected("4") == {"4", "11"}
    assert "1 to 17" in await ada.send("11 18")  # a bad one: nothing changes
    me = await services.store.participants.by_identity("telegram", "1")
    assert me is not None and me.sdgs == (4, 11)

    bea = chat("2", language="de")
    await _at_sdg_step(bea)
    assert "jedes eingegebene SDG (13, sdg13 oder mehrere: 11 17)" in bea.history[-1]
    await bea.send("11 13")
    answer = await bea.send("sdg13")
    assert "Entfernt: SDG 13" in answer
    assert answer.replies[-1].multi_select is not None
    assert answer.replies[-1].multi_select.selected == {"11"}


async def test_the_console_toggles_typed_sdgs_the_same_way(services: Services) -> None:
    import io

    from udx_bot.platforms.console import ConsoleChat

    out = io.StringIO()
    console = ConsoleChat(services, Actor("console", "Mike Johnson", "Mike Johnson"), stdout=out)
    for line in ("/profile city Leeds", "/profile department planning", "/start"):
        await console.send(line)
    await console.send("English")
    await console.send("Leeds")
    await console.send("planning")
    await console.send("13")  # the numbered option: a toggle
    await console.send("11 17")  # typed: toggles too, instead of replacing 13
    me = await services.store.participants.by_identity("console", "Mike Johnson")
    assert me is not None and me.sdgs == (11, 13, 17)
    await console.send("13")
    me = await services.store.participants.by_identity("console", "Mike Johnson")
    assert me is not None and me.sdgs == (11, 17)


async def test_a_very_long_typed_department_gets_a_short_answer(
    chat: Callable[..., Chat], services: Services
) -> None:
    """A 40,000-character direct message at the department step: matched on its first short
    words (udx_bot/reference.py), answered with what was typed shortened, nothing stored."""
    for user_id, language, first, unknown in (
        ("U1", "en", "english", "I couldn't match “éééé"),
        ("U2", "de", "deutsch", "„éééé"),
    ):
        person = chat(user_id, platform="slack", language=language)
        await person.send("/start")
        await person.send(first)
        await person.send("Esslingen")
        answer = await person.send("é" * 40_000)
        assert unknown in answer and len(answer.text) < 600, answer.text
        me = await services.store.participants.by_identity("slack", user_id)
        assert me is not None and me.department is None
        step4 = await person.send("Umweltamtt " + "é" * 40_000)
        assert "Environmental Department" in step4 or "Umweltamt" in step4, step4.text
