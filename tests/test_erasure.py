"""/forget leaves no row naming the person: not in the outbox (messages to them, about them, or
quoting them), not in announcements, on SQLite (nor in the file's free pages) and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.tables import metadata, outbox
from tests.counterparts_support import register
from tests.support import TEST_NOW, Chat, FakeClock, person
from udx_bot.config import ConfigError, Settings
from udx_bot.context import Services
from udx_bot.digest_runner import tick
from udx_bot.types import Reply, Section
from udx_bot.usecases.announcements import fan_out

NAME = "Zelda Quornby"
USER = "918273645"
MARKER = "Qwxmarkerzz cadastre of street trees"
CONFIRM = {"en": "Yes, erase everything", "de": "Ja, alles löschen"}


async def _dump(services: Services) -> list[str]:
    """Every value of every row of every table, as text."""
    found: list[str] = []
    async with services.store.db.read() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                found.extend(str(value) for value in row)
    return found


def _naming(values: list[str]) -> list[str]:
    wanted = [NAME.casefold(), USER, MARKER.casefold()[:11]]
    return [v for v in values if any(w in v.casefold() for w in wanted)]


@pytest.mark.parametrize("language", ["en", "de"])
async def test_forget_leaves_no_row_naming_the_person(
    any_services: Services, database: tuple[str, str | None], language: str
) -> None:
    services, store = any_services, any_services.store
    zelda = await register(
        store,
        USER,
        city="Esslingen am Neckar",
        department="mobility",
        sdgs=[11],
        name=NAME,
        language=language,
    )
    bob = await register(
        store,
        "U2",
        city="Sheboygan",
        department="mobility",
        sdgs=[11],
        platform="slack",
        name="Bob Berg",
    )
    cleo = await register(
        store, "3", city="Sheboygan", department="mobility", sdgs=[11], name="Cleo Kim"
    )
    await store.notes.add(
        zelda.id, MARKER, city_id=zelda.city_id, department="mobility", sdgs=[11], now=TEST_NOW
    )
    zelda_chat = Chat(services, person(USER, language=language, name=NAME))
    bob_chat = Chat(services, person("U2", platform="slack", name="Bob Berg"))
    await zelda_chat.send(f"/intro {bob.id}")  # to Bob, naming Zelda
    await Chat(services, person("3", name="Cleo Kim")).send(f"/intro {zelda.id}")  # to Zelda
    await bob_chat.send(f"/intro {zelda.id}")
    # announcements by Zelda: a draft and a sent one, queued for everyone "from Zelda"
    await store.announcements.create(
        author_id=zelda.id,
        author_name=NAME,
        audience={},
        text_de=f"Entwurf {MARKER}",
        text_en=f"Draft {MARKER}",
        now=TEST_NOW,
    )
    sent_id = await store.announcements.create(
        author_id=zelda.id,
        author_name=NAME,
        audience={},
        text_de=f"Hallo {MARKER}",
        text_en=f"Hello {MARKER}",
        now=TEST_NOW,
        status="sending",
    )
    sent = await store.announcements.get(sent_id)
    assert sent is not None
    assert (
        await fan_out(
            store, services.outbox, services.clock, sent, network="UDX", default_language="en"
        )
        >= 2
    )
    # digests quoting her note, built by the digest run, and one queued for Bob for sure
    await tick(services, force=True)
    bob_p = await store.participants.get(bob.id)
    assert bob_p is not None
    await services.outbox.send(
        bob_p,
        [Reply(sections=[Section(f"{NAME}: {MARKER}")])],
        key="digest:x:2026-W01",
        kind="digest",
    )
    async with store.db.write() as conn:  # one already sent to Cleo: it still holds her note
        await conn.execute(
            outbox.update()
            .where(outbox.c.kind == "digest", outbox.c.participant_id == cleo.id)
            .values(status="sent")
        )
    await services.outbox.send(
        bob_p, [Reply(sections=[Section("Cleo Kim wrote a note")])], key="other", kind="digest"
    )
    before = _naming(await _dump(services))
    assert any(MARKER.casefold()[:11] in v.casefold() for v in before)
    async with store.db.read() as conn:
        kinds = {r.kind for r in await conn.execute(select(outbox.c.kind))}
    assert {"introduction", "announcement", "digest"} <= kinds

    ask = await zelda_chat.send("/forget" if language == "en" else "/vergessen")
    await zelda_chat.press(ask.button(CONFIRM[language]))

    assert _naming(await _dump(services)) == []
    async with store.db.read() as conn:  # messages not about her are still there
        left = (await conn.execute(select(outbox.c.key))).scalars().all()
    assert left == ["other"]
    url, _schema = database
    if url.startswith("sqlite"):
        await store.close()
        path = Path(url.split("///", 1)[1])
        raw = b"".join(
            p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file()
        ).lower()
        assert MARKER.lower()[:11].encode() not in raw
        assert NAME.lower().encode() not in raw


async def test_a_digest_naming_the_person_goes_even_where_its_text_would_not_tell(
    any_services: Services, clock: FakeClock
) -> None:
    """A two-letter name and a note edited after the digest was built: the text search would
    miss both; the digest's recorded subjects do not. A digest not about her stays."""
    services, store = any_services, any_services.store
    services.settings = replace(services.settings, digest_empty="send")
    al = await register(  # long ago: not a new colleague in this week's digests
        store,
        "41",
        city="Esslingen am Neckar",
        department="mobility",
        sdgs=[11],
        name="Al",
        now=clock() - timedelta(days=60),
    )
    reader = await register(
        store, "42", city="Sheboygan", department="mobility", sdgs=[11], name="Rea", now=clock()
    )
    other = await register(
        store, "43", city="Krefeld", department="planning", name="Oto", now=clock()
    )
    note = await store.notes.add(
        al.id, "Bike lanes first", city_id=al.city_id, department="mobility", sdgs=[11], now=clock()
    )
    clock.advance(days=1)
    await tick(services, force=True)
    async with store.db.read() as conn:
        queued = dict(
            (r.participant_id, r.payload)
            for r in await conn.execute(select(outbox.c.participant_id, outbox.c.payload))
        )
    assert "Bike lanes first" in queued[reader.id] and "Al" in queued[reader.id]
    assert "Bike lanes" not in queued[other.id], queued[other.id]  # planning in Krefeld
    await store.notes.edit(note.id, "Cycle lanes before car lanes", sdgs=[11], now=clock())

    assert await store.privacy.erase(al.id)
    async with store.db.read() as conn:
        left = set((await conn.execute(select(outbox.c.participant_id))).scalars())
    assert left == {other.id}  # the reader's digest quoted Al: gone; the other one stays


async def test_housekeeping_deletes_messages_delivered_before_the_retention_period(
    any_services: Services, clock: FakeClock
) -> None:
    from udx_bot.scheduler import housekeeping_job

    store = any_services.store
    ada = await register(store, "41", city="Sheboygan", department="mobility")
    for key in ("old", "recent", "pending"):
        assert await any_services.outbox.send(ada, [Reply.text(key)], key=key, kind="digest")
    old, recent = await store.outbox.get("old"), await store.outbox.get("recent")
    assert old is not None and recent is not None
    await store.outbox.mark_sent([old.id], now=clock())
    clock.advance(days=20)
    await store.outbox.mark_sent([recent.id], now=clock())
    clock.advance(days=11)  # old: delivered 31 days ago, recent: 11 days ago
    await housekeeping_job(any_services)
    assert await store.outbox.get("old") is None
    assert await store.outbox.get("recent") is not None
    assert await store.outbox.get("pending") is not None  # never delivered: kept
    shorter = replace(any_services.settings, outbox_retention_days=10)
    await housekeeping_job(replace(any_services, settings=shorter))
    assert await store.outbox.get("recent") is None
    assert await store.outbox.get("pending") is not None


def test_retention_setting() -> None:
    assert Settings.from_env({}).outbox_retention_days == 30
    assert Settings.from_env({"UDX_OUTBOX_RETENTION_DAYS": "7"}).outbox_retention_days == 7
    with pytest.raises(ConfigError, match="UDX_OUTBOX_RETENTION_DAYS"):
        Settings.from_env({"UDX_OUTBOX_RETENTION_DAYS": "soon"})
