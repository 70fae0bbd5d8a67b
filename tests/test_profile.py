"""/profile: showing and one-line setters; every bad input is refused with a clear, localized
answer and changes nothing (German and English)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storage.participants import Participant
from tests.support import Chat, person
from udx_bot.context import Services


async def me(services: Services, user_id: str) -> Participant:
    found = await services.store.participants.by_identity("telegram", user_id)
    assert found is not None
    return found


async def registered(chat: Callable[..., Chat], user_id: str, language: str) -> Chat:
    person = chat(user_id, language=language)
    await person.send("/profile city Leeds")
    await person.send("/profile department mobility")
    return person


async def test_setters_register_a_newcomer(chat: Callable[..., Chat], services: Services) -> None:
    ada = chat("1", language="en")
    first = await ada.send("/profile city tuebingen")
    assert (
        "Saved: your city is now Tübingen." in first and "Still missing: your department" in first
    )
    assert not (await me(services, "1")).registered
    second = await ada.send("/profile department Umweltamt")
    assert "Environmental Department" in second and "Your profile is complete" in second
    assert (await me(services, "1")).registered
    shown = await ada.send("/profile")
    assert "City: Tübingen (DE)" in shown and "Weekly digest: Mondays at 8:00" in shown


async def test_all_setters_in_german(chat: Callable[..., Chat], services: Services) -> None:
    bea = await registered(chat, "2", "de")
    assert "Ihre SDGs sind jetzt SDG 11" in await bea.send("/profile sdgs 11 sdg13 #17")
    assert "Ich schreibe Ihnen ab jetzt auf Deutsch" in await bea.send("/profile sprache de")
    assert "Europe/Berlin" in await bea.send("/profile timezone europe/berlin")
    answer = await bea.send("/profile digest Fr 16:30")
    assert "Freitags um 16:30" in answer
    assert "keinen Wochenüberblick" in await bea.send("/profile digest aus")
    assert "Mittwochs" in await bea.send("/profile digest mittwoch")
    found = await me(services, "2")
    assert found.sdgs == (11, 13, 17) and found.language == "de"
    assert found.timezone == "Europe/Berlin" and found.digest_weekday == 2
    assert found.digest_minute == 16 * 60 + 30 and found.digest_enabled
    shown = await bea.send("/profil")
    assert "Zeitzone: Europe/Berlin" in shown and "SDG 13 Maßnahmen zum Klimaschutz" in shown


@pytest.mark.parametrize(
    ("typed", "minute"),
    [
        ("Thursday 2pm", 14 * 60),
        ("Thursday 2 pm", 14 * 60),
        ("thu 2:30 p.m.", 14 * 60 + 30),
        ("Thursday 12am", 0),
        ("Thursday 12pm", 12 * 60),
        ("Thursday 9.15", 9 * 60 + 15),
        ("Donnerstag 14 Uhr", 14 * 60),
        ("Do 14h30", 14 * 60 + 30),
    ],
)
async def test_digest_time_in_twelve_or_twenty_four_hours(
    chat: Callable[..., Chat], services: Services, typed: str, minute: int
) -> None:
    ada = await registered(chat, "1", "en")
    assert "Thursdays at" in await ada.send(f"/profile digest {typed}")
    found = await me(services, "1")
    assert (found.digest_weekday, found.digest_minute) == (3, minute)


async def test_a_half_made_profile_says_exactly_what_is_missing(
    chat: Callable[..., Chat], services: Services
) -> None:
    ada = chat("1", language="en")
    shown = await ada.send("/profile")
    assert "Timezone: UTC (until you set your city)" in shown and "(your city's)" not in shown
    first = await ada.send("/profile department mobility")
    assert "Still missing: your city. Send /start, or set it with /profile city <name>." in first
    bea = chat("2", language="de")
    angezeigt = await bea.send("/profil")
    assert "Zeitzone: UTC (bis Sie Ihre Stadt angeben)" in angezeigt
    assert "/profile stadt <Name> und /profile fachbereich <Name>" in angezeigt
    erst = await bea.send("/profile stadt Krefeld")
    assert "Es fehlt noch: Ihr Fachbereich." in erst and "/profile fachbereich <Name>" in erst
    assert "Ihr Profil ist vollständig" in await bea.send("/profile fachbereich Umweltamt")
    assert (await me(services, "2")).department == "environment"
    konsole = Chat(services, person("Mike", platform="console", language="de"))
    assert "Konten: Konsole" in await konsole.send("/profil")


async def test_language_switch_changes_the_reply_language(chat: Callable[..., Chat]) -> None:
    ada = await registered(chat, "1", "en")
    assert "Ich schreibe Ihnen ab jetzt auf Deutsch" in await ada.send("/profile language deutsch")
    assert "Ihr Profil" in await ada.send("/profile")
    assert "I will write to you in English" in await ada.send("/profile sprache en")


async def test_english_weekday_abbreviation_and_timezone_reset(
    chat: Callable[..., Chat], services: Services
) -> None:
    ada = await registered(chat, "1", "en")
    assert "Tuesdays at 07:15" in await ada.send("/profile digest 07:15 tue")  # en_GB: Leeds
    await ada.send("/profile timezone America/Chicago")
    assert "your city's again" in await ada.send("/profile timezone city")
    assert (await me(services, "1")).timezone is None


BAD_INPUTS = [
    ("/profile city Tuebingn", "Did you mean Tübingen", "Meinten Sie Tübingen"),
    ("/profile city Atlantis", "I don't know a city called “Atlantis”", "„Atlantis“ kenne ich"),
    ("/profile department Zauberamt", "Closest:", "Am ähnlichsten:"),
    ("/profile sdgs 11 18", "from 1 to 17; “18”", "von 1 bis 17 nummeriert; „18“"),
    ("/profile sdgs 0", "from 1 to 17", "von 1 bis 17"),
    ("/profile sdgs eleven", "from 1 to 17", "von 1 bis 17"),
    ("/profile timezone Mars/Olympus", "Europe/Berlin", "Europe/Berlin"),
    ("/profile digest Monday 25:00", "HH:MM, for example 08:00", "HH:MM an, zum Beispiel 08:00"),
    ("/profile digest Monday 8", "HH:MM", "HH:MM"),
    ("/profile digest Monday 13pm", "HH:MM", "HH:MM"),
    ("/profile digest Monday 0am", "HH:MM", "HH:MM"),
    ("/profile digest Funday 08:00", "not a weekday", "kein Wochentag"),
    ("/profile language fr", "de (Deutsch) or en (English)", "de (Deutsch) oder en (English)"),
    ("/profile deliver email", "telegram or slack", "telegram oder slack"),
    ("/profile deliver slack", "not linked yet", "noch nicht verbunden"),
    ("/profile colour blue", "I don't know the profile field", "kenne ich nicht"),
    ("/profile city", "Please add a value", "Bitte geben Sie einen Wert an"),
]


@pytest.mark.parametrize(("command", "english", "german"), BAD_INPUTS)
async def test_bad_input_changes_nothing(
    chat: Callable[..., Chat], services: Services, command: str, english: str, german: str
) -> None:
    for user_id, language, expected in (("1", "en", english), ("2", "de", german)):
        person = await registered(chat, user_id, language)
        await person.send("/profile sdgs 11")
        before = await me(services, user_id)
        answer = await person.send(command)
        assert expected in answer, answer.text
        assert await me(services, user_id) == before


async def test_newcomer_commands_point_to_start(chat: Callable[..., Chat]) -> None:
    from udx_bot.router import Router

    # A command that needs a profile (registered=True) sends a newcomer to /start.
    probe = Router()

    @probe.command("members")
    async def members(ctx: object) -> None:
        return None

    services = chat("1").services
    services.router.include(probe)
    assert "send /start" in await chat("1", language="en").send("/members")
    assert "Senden Sie /start" in await chat("2", language="de").send("/members")
    shown = await chat("3", language="en").send("/profile")
    assert "City: not set" in shown and "Still missing: your city and your department" in shown


async def test_coordinator_only_commands_are_refused(chat: Callable[..., Chat]) -> None:
    from udx_bot.router import Router

    probe = Router()

    @probe.command("moderate", role="coordinator")
    async def moderate(ctx: object) -> None:
        return None

    ada = await registered(chat, "1", "en")
    bea = await registered(chat, "2", "de")
    ada.services.router.include(probe)
    assert "only coordinators and admins" in await ada.send("/moderate")
    assert "nur Koordinator" in await bea.send("/moderate")
