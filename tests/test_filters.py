"""The one filter grammar (udx_bot/filters.py): the same words mean the same in /find and
/notes, and bad input gets the same localized errors, in English and German, through the router;
then the options a command like /announce needs (several values, languages, all, text after)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage import Store
from storage.cities import City
from storage.tables import announcements, outbox
from tests.notes_support import member
from udx_bot.announcements import AUDIENCE  # several values, languages, all, text after
from udx_bot.context import Services, UserError
from udx_bot.filters import Grammar, parse
from udx_bot.i18n import N_, Translator

# (what is typed after the command, English, German): the same answer from /find and /notes.
ERRORS = [
    (
        "sdg18",
        "There is no SDG 18: the goals are numbered 1 to 17.",
        "Ein SDG 18 gibt es nicht: Die Ziele sind von 1 bis 17 nummeriert.",
    ),
    ("SDG 0", "There is no SDG 0:", "Ein SDG 0 gibt es nicht"),
    ("99", "There is no SDG 99:", "Ein SDG 99 gibt es nicht"),
    (
        "#Sheboygn",
        "#Sheboygn is not a city in the network. Did you mean #Sheboygan?",
        "#Sheboygn ist keine Stadt im Netzwerk. Meinten Sie #Sheboygan?",
    ),
    ("#Atlantis", "#Atlantis is not a city in the network.", "#Atlantis ist keine Stadt im"),
    (
        "#Leeds #Sheboygan",
        "Please filter by one city at a time.",
        "Bitte filtern Sie jeweils nach nur einer Stadt.",
    ),
    (
        "Parkamtx sdg13",
        'I don\'t know a department "Parkamtx". Did you mean Parks and Recreation',
        "Einen Fachbereich „Parkamtx“ kenne ich nicht. Meinten Sie Grünflächenamt",
    ),
    ("basket weaving", 'I don\'t know a department "basket weaving".', "„basket weaving“"),
]


@pytest.mark.parametrize(("typed", "english", "german"), ERRORS)
@pytest.mark.parametrize("command", ["/find", "/notes"])
async def test_the_same_errors_for_find_and_notes(
    services: Services, command: str, typed: str, english: str, german: str
) -> None:
    en = await member(services, "1")
    de = await member(services, "2", language="de")
    answer = await en.send(f"{command} {typed}")
    assert english in answer, answer.text
    answer = await de.send(f"{command} {typed}")
    assert german in answer, answer.text


async def test_an_unknown_department_shows_how_to_filter(services: Services) -> None:
    en = await member(services, "1")
    de = await member(services, "2", language="de")
    assert "Filter with: /find [department] [13|sdg13 …] [#City]" in await en.send("/find zzz")
    assert "Filter with: /notes [13|sdg13] [#City] [department]" in await en.send("/notes zzz")
    assert "Filtern mit: /find [Fachbereich] [13|sdg13 …] [#Stadt]" in await de.send("/find zzz")
    assert "Filtern mit: /notes [13|sdg13] [#Stadt] [Fachbereich]" in await de.send("/notes zzz")


async def test_notes_take_one_sdg_find_several(services: Services) -> None:
    en = await member(services, "1")
    de = await member(services, "2", language="de")
    assert "Please filter by one SDG at a time." in await en.send("/notes sdg11 13")
    assert "Bitte filtern Sie jeweils nach nur einem SDG." in await de.send("/notes 11 SDG 13")
    assert "one SDG" not in await en.send("/find sdg11 13")
    assert "Notes on SDG 13" in await en.send("/notes sdg13 SDG13")  # the same one twice


async def test_a_bare_number_is_an_sdg_in_find_and_notes(services: Services) -> None:
    en = await member(services, "1", city="Leeds")
    await en.send("/note Heat plan #sdg13")
    for typed in ("13", "sdg13", "SDG 13", "#sdg13", "sdg-13"):
        answer = await en.send(f"/notes {typed}")
        assert "Notes on SDG 13 Climate Action" in answer and "Heat plan" in answer, typed
    de = await member(services, "2", language="de")
    assert "Notizen zu SDG 13 Maßnahmen zum Klimaschutz" in await de.send("/notizen 13")
    assert "Your counterparts" in await en.send("/find SDG 13")  # was "no department 'SDG'"


async def test_help_says_how_to_write_an_sdg(services: Services) -> None:
    en = await member(services, "1")
    de = await member(services, "2", language="de")
    assert "/notes [13|sdg13] [#City] [department]" in await en.send("/help")
    assert "/find [department] [13|sdg13 …] [#City]" in await en.send("/help")
    assert "/notes [13|sdg13] [#Stadt] [Fachbereich]" in await de.send("/hilfe")
    assert "/find [Fachbereich] [13|sdg13 …] [#Stadt]" in await de.send("/hilfe")


# One SDG syntax in /find, /notes and /announce -------------------------------------------------

SPELLINGS = ("13", "sdg13", "SDG 13", "#sdg13")


async def _drafts(services: Services) -> list[str]:
    """The audience of every stored announcement (a preview stores a draft)."""
    async with services.store.db.read() as conn:
        return list((await conn.execute(select(announcements.c.audience))).scalars())


@pytest.mark.parametrize(
    ("language", "find", "notes", "announce", "heading", "text"),
    [
        ("en", "/find", "/notes", "/announce", "To: SDG 13 Climate Action", "Heat plan"),
        ("de", "/finden", "/notizen", "/ankuendigen", "An: SDG 13 Maßnahmen zum Klimaschutz",
         "Hitzeplan"),
    ],
)  # fmt: skip
async def test_the_four_spellings_of_an_sdg_mean_the_same_everywhere(
    services: Services,
    language: str,
    find: str,
    notes: str,
    announce: str,
    heading: str,
    text: str,
) -> None:
    """``13``, ``sdg13``, ``SDG 13`` and ``#sdg13``: the same counterparts in /find, the same
    notes in /notes and the same audience (and reach) in /announce, in English and German."""
    writer = await member(services, "1", city="Leeds", sdgs=(13,), language=language)
    await writer.send(f"/note {text} #sdg13")
    await member(services, "2", city="Krefeld", sdgs=(13,), language=language)
    await member(services, "3", city="Krefeld", sdgs=(4,), language=language)
    coordinator = await member(services, "9", language=language, role="coordinator", sdgs=(13,))
    found = {typed: (await coordinator.send(f"{find} {typed}")).text for typed in SPELLINGS}
    assert len(set(found.values())) == 1, found
    assert "User 2" in found["13"] and "User 3" not in found["13"]
    listed = {typed: (await coordinator.send(f"{notes} {typed}")).text for typed in SPELLINGS}
    assert len(set(listed.values())) == 1, listed
    assert "SDG 13" in listed["13"] and text in listed["13"]
    previews = {
        typed: (await coordinator.send(f"{announce} {typed} Hallo")).text for typed in SPELLINGS
    }
    assert len(set(previews.values())) == 1, previews
    recipients = "Empfänger" if language == "de" else "recipients"
    assert heading in previews["13"] and f"3 {recipients}" in previews["13"]  # 1, 2 and 9
    drafts = await _drafts(services)
    assert len(drafts) == len(SPELLINGS) and len(set(drafts)) == 1, drafts


BAD_SDGS = [
    ("sdg99", "There is no SDG 99: the goals are numbered 1 to 17.",
     "Ein SDG 99 gibt es nicht: Die Ziele sind von 1 bis 17 nummeriert."),
    ("#sdg0", "There is no SDG 0: the goals are numbered 1 to 17.",
     "Ein SDG 0 gibt es nicht: Die Ziele sind von 1 bis 17 nummeriert."),
    ("SDG 18", "There is no SDG 18:", "Ein SDG 18 gibt es nicht:"),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "english", "german"), BAD_SDGS)
async def test_a_bad_sdg_is_the_same_error_everywhere_and_stores_nothing(
    services: Services, typed: str, english: str, german: str
) -> None:
    en = await member(services, "1", role="coordinator")
    de = await member(services, "2", language="de", role="coordinator")
    for chat, expected, commands in (
        (en, english, ("/find", "/notes", "/announce")),
        (de, german, ("/finden", "/notizen", "/ankuendigen")),
    ):
        for command in commands:
            answer = await chat.send(f"{command} {typed} Hello")
            assert expected in answer, (command, answer.text)
            assert not answer.buttons, command
    assert await _drafts(services) == []
    async with services.store.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 0


async def test_an_announcement_text_may_start_with_a_number_after_the_audience(
    services: Services,
) -> None:
    en = await member(services, "1", role="coordinator", sdgs=(3,))
    de = await member(services, "2", language="de", role="coordinator")
    preview = await en.send("/announce 3 new events")  # a bare number is an SDG, as in /find
    assert "To: SDG 3 Good Health and Well-being" in preview and "new events" in preview
    preview = await en.send("/announce all 3 new events")
    assert "To: all registered participants" in preview and "3 new events" in preview
    preview = await de.send("/ankuendigen alle 2026 wird gefeiert")
    assert "An: alle registrierten" in preview and "2026 wird gefeiert" in preview
    answer = await en.send("/announce 2026 budget news")  # no SDG: says how to write it
    assert "There is no SDG 2026" in answer and "put the audience first, e.g. all" in answer
    answer = await de.send("/ankuendigen 2026 wird gefeiert")
    assert "Ein SDG 2026 gibt es nicht" in answer and "z. B. alle 2026" in answer
    answer = await en.send("/find 2026")  # outside /announce, no text follows a filter
    assert "There is no SDG 2026" in answer and "audience" not in answer
    assert len(await _drafts(services)) == 3


# The options other commands need (/announce's audience, reports, exports) ---------------------


@pytest.fixture
async def cities(store: Store) -> list[City]:
    return await store.cities.all()


def _id(cities: list[City], name: str) -> int:
    return next(c.id for c in cities if c.name == name)


def test_leading_filter_words_then_the_text(cities: list[City]) -> None:
    t = Translator("en")
    found = parse(
        "sdg11 SDG 13 #Leeds 5 #Sheboygan Umweltamt lang:de New events", t, cities, AUDIENCE
    )
    assert found.filter.sdgs == (11, 13, 5)  # a bare number is an SDG here too
    assert found.filter.city_ids == (_id(cities, "Leeds"), _id(cities, "Sheboygan"))
    assert found.filter.departments == ("environment",) and found.filter.languages == ("de",)
    assert found.rest == "New events"
    everyone = parse("all Hello  there", t, cities, AUDIENCE)
    assert everyone.filter.everyone and everyone.filter.empty and everyone.rest == "Hello  there"
    # "all" is the last audience word: a text may start with a number (or a filter-like word)
    everyone = parse("all 3 new events", t, cities, AUDIENCE)
    assert everyone.filter.everyone and everyone.filter.empty and everyone.rest == "3 new events"
    assert parse("alle sdg13 #Leeds", t, cities, AUDIENCE).rest == "sdg13 #Leeds"
    assert parse("dept:public-works hi", t, cities, AUDIENCE).filter.departments == (
        "public_works",
    )


def test_the_errors_of_the_options_in_both_languages(cities: list[City]) -> None:
    for language, typed, message in (
        ("en", "lang:fr Hello", "lang:fr: the language must be lang:de or lang:en."),
        ("de", "lang:fr Hallo", "lang:fr: Die Sprache muss lang:de oder lang:en sein."),
        ("en", "#Krfeld Hello", "Did you mean #Krefeld or"),
        ("de", "sdg20 Hallo", "Ein SDG 20 gibt es nicht"),
        ("en", "dept:zauberamt Hello", 'I don\'t know a department "zauberamt".'),
    ):
        with pytest.raises(UserError) as error:
            parse(typed, Translator(language), cities, AUDIENCE)
        assert message in error.value.message
    one = Grammar(usage=N_("/notes [13|sdg13] [#City] [department]"))
    with pytest.raises(UserError, match="one department at a time"):
        parse("dept:parks dept:youth", Translator("en"), cities, one)
    # without the options, lang: and all are ordinary words (here: no department)
    with pytest.raises(UserError, match="know a department"):
        parse("lang:de", Translator("en"), cities, one)


@pytest.mark.parametrize(
    "typed", ["é" * 40_000, ("Umweltamtt Stadtplanung " * 1700)[:40_000], "é" * 4096]
)
async def test_a_filter_of_any_length_gets_a_short_answer(services: Services, typed: str) -> None:
    """Matching is bounded (udx_bot/reference.py) and a filter over 300 characters is refused."""
    en = await member(services, "1")
    de = await member(services, "2", language="de")
    answer = await en.send(f"/find {typed}")
    assert "That filter is too long: at most 300 characters." in answer, answer.text
    assert "Filter with: /find [department]" in answer and len(answer.text) < 500
    answer = await de.send(f"/notes {typed}")
    assert "Dieser Filter ist zu lang: höchstens 300 Zeichen." in answer, answer.text
    assert "Filtern mit: /notes" in answer


async def test_a_long_direct_message_on_slack_gets_an_answer(services: Services) -> None:
    slack = await member(services, "U1", platform="slack")
    answer = await slack.send("find " + "é" * 40_000)  # a command without the slash, as in a DM
    assert "That filter is too long" in answer, answer.text
    answer = await slack.send("find " + "é" * 250 + " Umweltamtt")  # under the limit
    assert "Environmental Department" in answer, answer.text
    answer = await slack.send("find Zauberamt " + "é" * 200)
    assert "I don't know a department \"Zauberamt éééé" in answer, answer.text
    assert "é" * 60 not in answer.text  # what was typed is repeated shortened
