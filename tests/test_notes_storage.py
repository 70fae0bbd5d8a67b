"""The notes repository on SQLite and PostgreSQL: tags, listings, full-text search, digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Store
from storage.note_search import search_terms
from storage.notes import NoteFilter
from tests.notes_support import city_id
from tests.support import TEST_NOW

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def author(store: Store, user_id: str, city: str = "Rostock", name: str = "") -> int:
    participant, _ = await store.participants.touch(
        "telegram", user_id, display_name=name, now=TEST_NOW
    )
    await store.participants.update(
        participant.id, name=name or f"Author {user_id}", city_id=await city_id(store, city),
        department="mobility", now=TEST_NOW,
    )  # fmt: skip
    return participant.id


async def test_a_note_keeps_text_tags_author_and_city(any_store: Store) -> None:
    aid = await author(any_store, "a1", name="Ana")
    shebo = await city_id(any_store, "Sheboygan")
    text = "<b>bold</b> *star* _under_ `tick` '; DROP TABLE notes; -- #sdg13"
    note = await any_store.notes.add(
        aid, text, city_id=await city_id(any_store, "Rostock"), department="mobility",
        sdgs=[13, 11, 13], city_ids=[shebo], now=T0,
    )  # fmt: skip
    got = await any_store.notes.get(note.id)
    assert got == note
    assert got.text == text and got.author_name == "Ana" and got.city_name == "Rostock"
    assert got.sdgs == (11, 13) and got.tagged_cities == ("Sheboygan",)
    assert got.created_at == T0 and got.updated_at is None

    edited = await any_store.notes.edit(note.id, "now #sdg7 only", sdgs=[7], now=T0)
    assert edited is not None and edited.sdgs == (7,) and edited.tagged_cities == ()
    assert edited.updated_at == T0
    assert await any_store.notes.delete(note.id)
    assert await any_store.notes.get(note.id) is None
    assert not await any_store.notes.delete(note.id)
    assert await any_store.notes.edit(note.id, "gone", now=TEST_NOW) is None


async def test_latest_is_newest_first_and_filters_use_tags_and_city(any_store: Store) -> None:
    aid = await author(any_store, "a2", city="Rostock")
    rostock = await city_id(any_store, "Rostock")
    raleigh = await city_id(any_store, "Raleigh")
    ids = []
    for i in range(5):
        note = await any_store.notes.add(
            aid, f"zeta note {i}", city_id=rostock, department="mobility",
            sdgs=[13] if i % 2 == 0 else [], city_ids=[raleigh] if i == 1 else [],
            now=T0 + timedelta(days=30 + i),
        )  # fmt: skip
        ids.append(note.id)
    newest = await any_store.notes.latest(limit=5)
    assert [n.id for n in newest] == ids[::-1]  # after the demo notes, which are older
    page2 = await any_store.notes.latest(offset=2, limit=2)
    assert [n.id for n in page2] == [ids[2], ids[1]]
    mine = NoteFilter(author_id=aid)
    assert [n.id for n in await any_store.notes.latest(mine)] == ids[::-1]
    sdg = await any_store.notes.latest(NoteFilter(sdg=13, author_id=aid))
    assert [n.id for n in sdg] == [ids[4], ids[2], ids[0]]
    # Raleigh: notes written there (demo) and this one tagged #Raleigh
    tagged = await any_store.notes.latest(NoteFilter(city_id=raleigh, department="mobility"))
    assert ids[1] in [n.id for n in tagged]
    assert all(n.city_id == raleigh or raleigh in n.tagged_city_ids for n in tagged)
    assert await any_store.notes.latest(NoteFilter(department="no-such")) == []


async def test_for_reader_puts_partner_cities_and_sdgs_first(any_store: Store) -> None:
    aid = await author(any_store, "a3", city="Rostock")
    rostock = await city_id(any_store, "Rostock")
    later = T0 + timedelta(days=60)
    other = [
        await any_store.notes.add(aid, f"other {i}", city_id=rostock, department="mobility",
                                  now=later + timedelta(hours=i))
        for i in range(3)
    ]  # fmt: skip
    sdg_note = await any_store.notes.add(
        aid, "sdg note", city_id=rostock, department="mobility", sdgs=[14],
        now=later - timedelta(hours=1),
    )  # fmt: skip
    # a reader in Raleigh (partner of Rostock) with SDG 14: every Rostock note concerns them
    raleigh_partners = await any_store.cities.partner_ids(await city_id(any_store, "Raleigh"))
    assert rostock in raleigh_partners
    first = await any_store.notes.for_reader(city_ids=raleigh_partners, sdgs=[14], limit=4)
    assert [n.id for n in first] == [other[2].id, other[1].id, other[0].id, sdg_note.id]
    # a reader elsewhere with SDG 14: the SDG note first, then the newest of the rest
    page = await any_store.notes.for_reader(city_ids=[], sdgs=[14], limit=3)
    assert page[0].id == sdg_note.id and [n.id for n in page[1:]] == [other[2].id, other[1].id]
    # every note exactly once over all pages
    total = await any_store.notes.count()
    seen = []
    for offset in range(0, total + 3, 3):
        seen += [n.id for n in await any_store.notes.for_reader(sdgs=[14], offset=offset, limit=3)]
    assert len(seen) == total == len(set(seen))
    with_14 = [n.id for n in await any_store.notes.latest(NoteFilter(sdg=14), limit=100)]
    assert seen[: len(with_14)] == with_14


async def test_search_folds_diacritics_and_ranks_best_first(any_store: Store) -> None:
    aid = await author(any_store, "a4")
    # the demo note by Till Vogelsang: "Mit #Sheboygan die Hitzeaktionspläne verglichen …"
    for query in ("Hitzeaktionsplane", "hitzeaktionspläne", "HITZEAKTIONSPLAENE", "Hitzeakt"):
        found = await any_store.notes.search(query)
        assert [n.author_name for n in found] == ["Till Vogelsang (demo)"], query
    strong = await any_store.notes.add(
        aid, "Radweg Radweg Radweg: Radwege überall", city_id=None, department=None, now=T0
    )
    weak = await any_store.notes.add(
        aid, "Ein langer Bericht über vieles, am Rande auch ein Radweg und noch viel mehr Text "
        "zu Parkplätzen, Gebühren, Bussen, Bahnen und Straßen", city_id=None, department=None,
        now=T0 + timedelta(days=1),
    )  # fmt: skip
    found = await any_store.notes.search("radweg")
    assert [n.id for n in found] == [strong.id, weak.id]
    assert [n.id for n in await any_store.notes.search("Straße parkplatze")] == [weak.id]
    # the index follows edits and deletes
    await any_store.notes.edit(strong.id, "Jetzt über Brücken", now=TEST_NOW)
    assert [n.id for n in await any_store.notes.search("radweg")] == [weak.id]
    assert [n.id for n in await any_store.notes.search("brucken")] == [strong.id]
    await any_store.notes.delete(weak.id)
    assert await any_store.notes.search("radweg") == []


async def test_search_finds_either_umlaut_spelling(any_store: Store) -> None:
    aid = await author(any_store, "a6")
    tagged = await any_store.notes.add(
        aid, "Baumkataster mit #Ueberlingen abgeglichen", city_id=None, department=None, now=T0
    )
    written = await any_store.notes.add(
        aid, "Schwammstadt in Münster besichtigt", city_id=None, department=None, now=T0
    )
    for query in ("Überlingen", "ueberlingen", "ÜBERLINGEN", "Überl"):
        assert [n.id for n in await any_store.notes.search(query)] == [tagged.id], query
    for query in ("Münster", "Muenster", "munster", "Schwammstadt münster"):
        assert [n.id for n in await any_store.notes.search(query)] == [written.id], query


async def test_search_is_safe_against_query_syntax_and_sql(any_store: Store) -> None:
    aid = await author(any_store, "a5")
    note = await any_store.notes.add(
        aid, "x' OR 1=1; DROP TABLE notes; -- \"quoted\" NEAR(a b) AND OR NOT *",
        city_id=None, department=None, now=T0,
    )  # fmt: skip
    for query in ('"', "'", "*", "NEAR(", "a AND", "-", ":*", "& | !", "drop table notes;--"):
        await any_store.notes.search(query)  # no error
    assert [n.id for n in await any_store.notes.search("DROP TABLE notes")] == [note.id]
    assert [n.id for n in await any_store.notes.search('"quoted" NEAR')] == [note.id]
    assert await any_store.notes.search("   ;;; ") == []
    assert search_terms("It's a_b C++ Köln!") == ["it", "köln"]  # single letters left out
    assert await any_store.notes.count() >= 16


async def test_since_gives_the_weeks_notes_for_the_digest(any_store: Store) -> None:
    aid = await author(any_store, "a6", name="Digest Author")
    start = datetime(2030, 1, 7, tzinfo=UTC)
    before = await any_store.notes.add(aid, "before", city_id=None, department=None,
                                       now=start - timedelta(seconds=1))  # fmt: skip
    inside = [
        await any_store.notes.add(aid, f"in {i}", city_id=None, department="mobility",
                                  sdgs=[11], now=start + timedelta(days=i))
        for i in range(3)
    ]  # fmt: skip
    week = await any_store.notes.since(start, until=start + timedelta(days=2))
    assert [n.id for n in week] == [inside[1].id, inside[0].id]
    assert week[0].author_name == "Digest Author" and week[0].sdgs == (11,)
    assert before.id not in [n.id for n in await any_store.notes.since(start)]
    assert len(await any_store.notes.since(start, limit=1)) == 1


async def test_deleting_an_author_removes_their_notes_from_search(any_store: Store) -> None:
    aid = await author(any_store, "a7")
    await any_store.notes.add(aid, "Quokka sighting", city_id=None, department=None, now=T0)
    assert len(await any_store.notes.search("quokka")) == 1
    from sqlalchemy import delete

    from storage.tables import participants

    async with any_store.db.write() as conn:
        await conn.execute(delete(participants).where(participants.c.id == aid))
    assert await any_store.notes.search("quokka") == []


async def test_demo_notes_are_seeded_once(any_store: Store) -> None:
    from udx_bot.demo import seed_demo

    before = await any_store.notes.count()
    assert before == 15
    result = await seed_demo(any_store, now=TEST_NOW)
    assert result.notes_added == 0 and await any_store.notes.count() == before
    found = await any_store.notes.search("Hitzeaktionspläne")
    assert found[0].sdgs == (11, 13) and found[0].tagged_cities == ("Sheboygan",)
    assert found[0].city_name == "Esslingen am Neckar" and found[0].department == "sustainability"
