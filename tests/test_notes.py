"""/note, /notes and /search through the real router, in English and German."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.notes import NoteFilter
from tests.notes_support import member
from tests.support import FakeClock
from udx_bot.context import Services
from udx_bot.types import CALLBACK_DATA_MAX_BYTES


async def my_notes(services: Services, user_id: str, platform: str = "telegram") -> list[str]:
    participant = await services.store.participants.by_identity(platform, user_id)
    assert participant is not None
    return [n.text for n in await services.store.notes.latest(NoteFilter(author_id=participant.id))]


async def test_note_is_saved_with_tags_in_english_and_german(services: Services) -> None:
    en = await member(services, "1", city="Esslingen am Neckar")
    answer = await en.send("/note Compared heat plans with #Sheboygan #sdg13")
    assert "Saved as note #" in answer and "tagged SDG 13 · Sheboygan, WI." in answer
    de = await member(services, "2", language="de", city="Sheboygan")
    answer = await de.send("/notiz Radwege mit #tuebingen und #StLouis verglichen #SDG11")
    assert "Als Notiz #" in answer
    assert "verschlagwortet mit SDG 11 · Tübingen · St. Louis, MO." in answer
    assert await my_notes(services, "2") == [
        "Radwege mit #tuebingen und #StLouis verglichen #SDG11"
    ]


async def test_unknown_tags_and_invalid_sdgs_are_mentioned_and_kept(services: Services) -> None:
    en = await member(services, "1")
    answer = await en.send("/note Met #Atlantis people #sdg18")
    assert "Saved as note #" in answer
    assert "#Atlantis is not a city in the network" in answer
    assert "There is no SDG 18: the goals are numbered 1 to 17" in answer
    de = await member(services, "2", language="de")
    answer = await de.send("/note Treffen mit #Atlantis #sdg0")
    assert "#Atlantis ist keine Stadt im Netzwerk" in answer
    assert "Ein SDG 0 gibt es nicht" in answer
    assert await my_notes(services, "1") == ["Met #Atlantis people #sdg18"]
    note = (await services.store.notes.search("Atlantis people"))[0]
    assert note.sdgs == () and note.tagged_cities == ()


async def test_too_long_note_is_refused_with_limit_and_length(services: Services) -> None:
    en = await member(services, "1")
    answer = await en.send("/note " + "x" * 3001)
    assert "That note has 3,001 characters; the limit is 3,000. Nothing was saved." in answer
    de = await member(services, "2", language="de")
    answer = await de.send("/note " + "ä" * 4500)
    assert "Diese Notiz hat 4.500 Zeichen; erlaubt sind höchstens 3.000." in answer
    assert await my_notes(services, "1") == [] and await my_notes(services, "2") == []
    assert "Saved" in await en.send("/note " + "y" * 3000)


async def test_note_without_text_asks_for_it_and_takes_the_next_message(
    services: Services,
) -> None:
    en = await member(services, "1")
    answer = await en.send("/note")
    prompt = answer.replies[0].prompt
    assert prompt is not None and prompt.multiline and prompt.max_length == 3000
    assert prompt.title == "New note" and "Send the note as your next message" in answer
    refused = await en.send("z" * 3100)
    assert "3,100 characters" in refused and "Send a shorter text, or /cancel." in refused
    saved = await en.send("Learned a lot in #Leeds today")
    assert "Saved as note #" in saved and "tagged Leeds." in saved
    assert "I didn't understand that" in await en.send("an ordinary message")
    assert await my_notes(services, "1") == ["Learned a lot in #Leeds today"]

    de = await member(services, "2", language="de")
    answer = await de.send("/note")
    assert answer.replies[0].prompt is not None
    assert answer.replies[0].prompt.title == "Neue Notiz"
    assert "/help" in await de.send("/cancel")
    assert "nicht verstanden" in await de.send("kein Notiztext mehr")
    assert await my_notes(services, "2") == []


async def test_markup_and_sql_are_stored_and_shown_exactly(services: Services) -> None:
    en = await member(services, "1")
    text = "<b>bold</b> *star* _under_ `code` Robert'); DROP TABLE notes;-- &amp;"
    await en.send(f"/note {text}")
    assert await my_notes(services, "1") == [text]
    listing = await en.send("/search DROP TABLE")
    assert text in listing.text
    de = await member(services, "2", language="de")
    assert text in (await de.send("/search robert")).text


async def test_notes_lists_entries_in_the_readers_language_and_timezone(
    services: Services, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 25, 2, 30, tzinfo=UTC))  # 03:30 in Rostock, 21:30 in Raleigh
    de = await member(services, "1", language="de", city="Rostock", department="integration",
                      name="Greta Test")  # fmt: skip
    await de.send("/note Willkommenswoche geplant #sdg10 #Raleigh")
    # an English reader in Raleigh (Rostock's partner, America/New_York)
    en = await member(services, "2", city="Raleigh", sdgs=(10,))
    answer = await en.send("/notes")
    assert "Notes, your partner cities and SDGs first — page 1" in answer
    entry = answer.replies[0].sections[1]
    assert entry.heading is not None
    assert (
        entry.heading.startswith("#")
        and "· Greta Test · Rostock · Immigrant Inclusion ·" in entry.heading
    )
    assert entry.heading.endswith("Nov 24, 2026")  # en_US, New York time
    assert entry.text == "SDG 10 Reduced Inequalities\nWillkommenswoche geplant #sdg10 #Raleigh"
    german = await de.send("/notizen sdg10")
    first = german.replies[0].sections[1]
    assert first.heading is not None and first.heading.endswith("25.11.2026")
    assert (
        "· Integration und Migration ·" in first.heading
        and "SDG 10 Weniger Ungleichheiten" in first.text
    )
    assert "Notizen zu SDG 10" in german


async def test_paging_with_previous_and_next(services: Services) -> None:
    en = await member(services, "1", city="Leeds", department="parks")
    for i in range(12):
        await en.send(f"/note Park note {i} #sdg15")
    page1 = await en.send("/notes sdg15 parks")
    assert "Notes on SDG 15 Life on Land · Parks and Recreation — page 1" in page1.text
    assert "Park note 11" in page1 and "Park note 2" in page1 and "Park note 1\n" not in page1.text
    assert [b.label for b in page1.buttons] == ["Next »"]
    assert all(len(b.data.encode()) <= CALLBACK_DATA_MAX_BYTES for b in page1.buttons)
    page2 = await en.press(page1.button("Next"))
    assert page2.replies[0].edit and "page 2" in page2
    assert "Park note 1" in page2 and "Park note 0" in page2 and "Park note 5" not in page2
    assert [b.label for b in page2.buttons] == ["« Previous"]
    back = await en.press(page2.button("Previous"))
    assert "Park note 11" in back
    de = await member(services, "2", language="de")
    german = await de.press(page1.button("Next"))
    assert "Seite 2" in german and "« Zurück" in [b.label for b in german.buttons]


async def test_notes_filter_errors_in_both_languages(services: Services) -> None:
    en = await member(services, "1")
    assert "There is no SDG 18: the goals are numbered 1 to 17." in await en.send("/notes sdg18")
    assert "There is no SDG 0" in await en.send("/notes SDG 0")
    answer = await en.send("/notes #Atlantis")
    assert "#Atlantis is not a city in the network." in answer
    answer = await en.send("/notes #Sheboigan")
    assert "Did you mean #Sheboygan?" in answer
    assert 'I don\'t know a department "basket weaving"' in await en.send("/notes basket weaving")
    de = await member(services, "2", language="de")
    assert "Ein SDG 18 gibt es nicht" in await de.send("/notes sdg18")
    assert "#Atlantis ist keine Stadt im Netzwerk." in await de.send("/notes #Atlantis")
    assert "Einen Fachbereich „Korbflechten“ kenne ich nicht." in await de.send(
        "/notes Korbflechten"
    )
    assert "Keine Notizen zu" in await de.send("/notes sdg14 #Leeds")


async def test_search_finds_best_first_and_folds_umlauts(services: Services) -> None:
    en = await member(services, "1")
    answer = await en.send("/search Hitzeaktionsplane")
    assert "Search: hitzeaktionsplane — page 1" in answer
    assert "Hitzeaktionspläne verglichen" in answer and "Till Vogelsang (demo)" in answer
    assert "No notes contain" in await en.send("/search quokka")
    empty = await en.send("/notes #Leeds sdg14")
    assert "No notes match SDG 14 Life Below Water · Leeds." in empty  # the filter, once
    assert "Notes on" not in empty
    assert "What should I look for?" in await en.send("/search")
    assert "What should I look for?" in await en.send("/search \"*' --")
    de = await member(services, "2", language="de")
    assert "Keine Notiz enthält „quokka“" in await de.send("/suche Quokka")
    leer = await de.send("/notes #Leeds sdg14")
    assert "Keine Notizen zu SDG 14 Leben unter Wasser · Leeds." in leer
    assert "Notizen zu Notizen" not in leer
    assert "Wonach soll ich suchen?" in await de.send("/suche")
    assert "at least two letters" in await en.send("/search a b")
    assert "mindestens zwei Buchstaben" in await de.send("/suche x")
    await en.send("/note Street trees counted with #Tuebingen")
    answer = await en.send("/search Tübingen")
    assert "Search: tübingen" in answer and "Street trees counted" in answer  # as typed
    long_query = "/search " + " ".join(f"word{i}" for i in range(30))
    answer = await en.send(long_query)
    assert "No notes contain" in answer  # cut to what page buttons can carry, no error


async def test_edit_own_note_only(services: Services) -> None:
    en = await member(services, "1")
    saved = await en.send("/note First draft #sdg11")
    note_id = int(saved.text.split("#")[1].split(",")[0])
    answer = await en.send(f"/note edit {note_id} Final text #sdg13 #Leeds")
    assert f"Note #{note_id} updated, tagged SDG 13 · Leeds." in answer
    note = await services.store.notes.get(note_id)
    assert note is not None and note.text == "Final text #sdg13 #Leeds" and note.sdgs == (13,)
    assert "(edited)" in await en.send("/notes sdg13 #Leeds")

    other = await member(services, "2", language="de")
    refused = await other.send(f"/note edit {note_id} Hijacked")
    assert f"Notiz #{note_id} stammt nicht von Ihnen" in refused
    coordinator = await member(services, "3", role="coordinator")
    assert "you can only edit your own notes" in await coordinator.send(
        f"/note edit {note_id} Moderated"
    )
    assert "There is no note #99999." in await en.send("/note edit 99999 x")
    note = await services.store.notes.get(note_id)
    assert note is not None and note.text == "Final text #sdg13 #Leeds"

    # edit without text asks for it
    asked = await en.send(f"/note edit {note_id}")
    assert asked.replies[0].prompt is not None
    assert f"Note #{note_id} updated." in await en.send("Third version")


async def test_delete_needs_confirmation_and_ownership_or_coordinator(
    services: Services,
) -> None:
    en = await member(services, "1")
    saved = await en.send("/note To be removed")
    note_id = int(saved.text.split("#")[1].split(".")[0])
    ask = await en.send(f"/note delete {note_id}")
    assert f"Delete note #{note_id}? This cannot be undone." in ask and "To be removed" in ask
    kept = await en.press(ask.button("Cancel"))
    assert f"OK, note #{note_id} stays." in kept
    assert await services.store.notes.get(note_id) is not None

    other = await member(services, "2", language="de")
    assert "Sie können nur Ihre eigenen Notizen löschen" in await other.send(
        f"/note löschen {note_id}"
    )
    assert "Sie können nur" in await other.press(f"notes:del:{note_id}")  # forged button
    assert await services.store.notes.get(note_id) is not None

    coordinator = await member(services, "3", language="de", role="coordinator")
    ask = await coordinator.send(f"/note delete {note_id}")
    assert f"Notiz #{note_id} löschen?" in ask
    done = await coordinator.press(ask.button("Löschen"))
    assert f"Notiz #{note_id} gelöscht." in done
    assert await services.store.notes.get(note_id) is None
    assert "There is no note" in await en.press(f"notes:del:{note_id}")


async def test_notes_from_telegram_are_seen_on_slack(services: Services) -> None:
    telegram = await member(services, "T1", platform="telegram", name="Tele Author")
    await telegram.send("/note Cross-platform marmot report #sdg17")
    slack = await member(services, "U1", platform="slack", language="de", city="Leeds")
    answer = await slack.send("search marmot")  # a Slack DM without the slash
    assert "Cross-platform marmot report #sdg17" in answer and "Tele Author" in answer
    assert "Tele Author" in await slack.send("/notes sdg17")


async def test_long_notes_are_shortened_in_listings_and_shown_whole(services: Services) -> None:
    en = await member(services, "1")
    text = "Walrus " + "lorem ipsum " * 240
    saved = await en.send(f"/note {text.strip()}")
    note_id = int(saved.text.split("#")[1].split(".")[0])
    listing = await en.send("/search walrus")
    assert f"(shortened; the whole note: /note show {note_id})" in listing
    full = await en.send(f"/note show {note_id}")
    assert text.strip() in full.text


async def test_unregistered_people_are_sent_to_start(services: Services) -> None:
    from tests.support import Chat, person

    stranger = Chat(services, person("99"))
    assert "set up your profile first" in await stranger.send("/note hello")
    assert "set up your profile first" in await stranger.send("/notes")


async def test_the_whole_flow_on_both_databases(any_services: Services) -> None:
    """Save, refuse, tag problems, exact markup, search and paging on SQLite and PostgreSQL."""
    en = await member(any_services, "1", city="Kiel")
    de = await member(any_services, "2", language="de", platform="slack", city="San Francisco")
    text = "<b>Kühlzentren</b> *in* _Bibliotheken_ `x`; DELETE FROM notes; #SanFrancisco #sdg13"
    saved = await en.send(f"/note {text}")
    assert "tagged SDG 13 · San Francisco, CA." in saved
    assert "#Atlantis ist keine Stadt" in await de.send("/note Besuch aus #Atlantis")
    assert "3.001 Zeichen" in await de.send("/note " + "a" * 3001)
    assert "3,500 characters" in await en.send("/note " + "b" * 3500)
    found = await de.send("/suche kuhlzentren bibliotheken")
    assert text in found.text and "SDG 13 Maßnahmen zum Klimaschutz" in found.text
    assert "Search: kuehlzentren — page 1" in await en.send("/search Kuehlzentren")
    assert text in (await en.send("/notes #SanFrancisco sdg13")).text
    assert "Ein SDG 18 gibt es nicht" in await de.send("/notes sdg18")
    texts = [n.text for n in await any_services.store.notes.latest(limit=5)]
    assert texts[:2] == ["Besuch aus #Atlantis", text]
    assert await any_services.store.notes.count() == 17  # 15 demo notes + 2


async def test_subcommand_words_are_reserved_and_bad_numbers_refused(services: Services) -> None:
    """`/note show abc` is a mistyped command, never a note "show abc" (nor any other form)."""
    en = await member(services, "1")
    for typed, expected in [
        ("/note show", "Which note? Send /note show <n>, for example /note show 12."),
        ("/note show abc", "“abc” is not a note number. Send /note show <n>, for example"),
        ("/note delete", "Which note? Send /note delete <n>, for example /note delete 12."),
        ("/note delete -1", "“-1” is not a note number. Send /note delete <n>"),
        ("/note edit", "Which note? Send /note edit <n> <text>, for example"),
        ("/note edit x1 new text", "“x1” is not a note number. Send /note edit <n> <text>"),
        ("/note show 12 please", "/note show takes only the note's number"),
        ("/note Delete 3 now", "/note Delete takes only the note's number"),
    ]:
        answer = await en.send(typed)
        assert expected in answer, (typed, answer.text)
        assert "Nothing was saved." in answer
    assert "send /note alone, then the text" in await en.send("/note show and tell")
    assert "There is no note #99999999999999999999." in await en.send(
        "/note show 99999999999999999999"
    )
    de = await member(services, "2", language="de")
    for typed, expected in [
        ("/notiz zeigen", "Welche Notiz? Senden Sie /note zeigen <Nr.>, zum Beispiel"),
        ("/notiz löschen abc", "„abc“ ist keine Notiznummer. Senden Sie /note löschen <Nr.>"),
        ("/note bearbeiten", "Welche Notiz? Senden Sie /note bearbeiten <Nr.> <Text>"),
        ("/note anzeigen 4 bitte", "/note anzeigen nimmt nur die Nummer der Notiz"),
    ]:
        answer = await de.send(typed)
        assert expected in answer, (typed, answer.text)
        assert "Es wurde nichts gespeichert." in answer
    assert await my_notes(services, "1") == [] and await my_notes(services, "2") == []


async def test_a_note_of_only_tags_is_refused_as_empty(services: Services) -> None:
    en = await member(services, "1")
    for typed in ("/note #sdg13", "/note #sdg13 #Leeds", "/note  #SDG 11 , #Atlantis ."):
        answer = await en.send(typed)
        assert "A note needs some text besides its tags. Nothing was saved." in answer, typed
    asked = await en.send("/note")
    assert asked.replies[0].prompt is not None
    refused = await en.send("#sdg13")  # the text asked for: still waiting
    assert "besides its tags" in refused and "or /cancel" in refused
    assert "Saved as note #" in await en.send("#sdg13 heat plan")
    note_id = (await services.store.notes.latest(limit=1))[0].id
    assert "besides its tags" in await en.send(f"/note edit {note_id} #Leeds")
    de = await member(services, "2", language="de")
    assert "Eine Notiz braucht außer ihren Schlagwörtern auch Text." in await de.send(
        "/notiz #sdg13"
    )
    assert await my_notes(services, "1") == ["#sdg13 heat plan"]
    assert await my_notes(services, "2") == []


async def test_numbers_are_never_reused_after_a_deletion(any_services: Services) -> None:
    """Deleting the newest note must not hand its number to the next one (SQLite reused ids)."""
    en = await member(any_services, "1")
    saved = await en.send("/note Newest note, soon deleted")
    first = int(saved.text.split("#")[1].split(".")[0])
    ask = await en.send(f"/note delete {first}")
    assert f"Note #{first} deleted." in await en.press(ask.button("Delete"))
    again = await en.send("/note The next note")
    second = int(again.text.split("#")[1].split(".")[0])
    assert second > first
    assert "There is no note" in await en.send(f"/note show {first}")
    de = await member(any_services, "2", language="de")
    assert f"Eine Notiz #{first} gibt es nicht." in await de.send(f"/notiz zeigen {first}")
