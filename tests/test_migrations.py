"""Migrations on databases that already hold data: rows survive, and ids are never reused."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from storage import open_store
from storage.engine import Database
from storage.migrate import current_revision, head_revision, upgrade
from storage.tables import cities, metadata, note_sdgs, participants
from tests.support import SEED_NOW, TEST_NOW
from udx_bot.demo import data_path, seed_demo
from udx_bot.imports import import_cities

AUTOINCREMENT_TABLES = (
    "announcements", "cities", "identities", "introductions", "notes", "outbox", "participants",
    "invitations", "membership_requests",
)  # fmt: skip


async def _filled_at_0001(url: str, schema: str | None = None) -> dict[str, int]:
    """A database at revision 0001 with the demo network, one note deleted; its row counts."""
    db = Database.from_url(url, schema=schema)
    assert await upgrade(db, "0001") == (None, "0001")
    await db.dispose()
    store = await open_store(url, migrate=False, schema=schema)
    await seed_demo(store, now=SEED_NOW)
    newest = (await store.notes.latest(limit=1))[0]
    assert await store.notes.delete(newest.id)
    counts = await _counts(store.db)
    await store.close()
    return counts


# tables a later revision creates: not there at 0001, empty after the upgrade
LATER_TABLES = ("outbox_subjects", "invitations", "membership_requests")


async def _counts(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        return {
            name: int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
            for name, table in metadata.tables.items()
            if name not in LATER_TABLES
        }


async def _upgrade_keeps_rows_and_never_reuses(url: str, schema: str | None = None) -> None:
    before = await _filled_at_0001(url, schema)
    store = await open_store(url, schema=schema)  # upgrades to head
    try:
        assert await current_revision(store.db) == head_revision()
        assert await _counts(store.db) == before
        async with store.db.read() as conn:
            for name in LATER_TABLES:
                later = select(func.count()).select_from(metadata.tables[name])
                assert (await conn.execute(later)).scalar_one() == 0, name
            # everyone registered before the upgrade is a member (0006): nobody is locked out
            strangers = select(func.count()).where(
                participants.c.registered_at.is_not(None), participants.c.member_since.is_(None)
            )
            assert (await conn.execute(strangers)).scalar_one() == 0
        assert before["note_sdgs"] > 0  # the tags survived the recreated notes table
        # full-text search still finds the notes written before the upgrade
        assert await store.notes.search("heat")
        newest = (await store.notes.latest(limit=1))[0]
        author = newest.author_id
        assert await store.notes.delete(newest.id)
        added = await store.notes.add(
            author, "after the upgrade #sdg13", city_id=None, department=None, sdgs=[13],
            now=TEST_NOW,
        )  # fmt: skip
        assert added.id > newest.id
        assert [n.id for n in await store.notes.search("after upgrade")] == [added.id]
        assert await store.notes.delete(added.id)
        again = await store.notes.add(
            author, "and again", city_id=None, department=None, now=TEST_NOW
        )
        assert again.id > added.id
        async with store.db.read() as conn:  # foreign keys are on again: the tags went too
            left = select(func.count()).where(note_sdgs.c.note_id.in_([newest.id, added.id]))
            assert (await conn.execute(left)).scalar_one() == 0
    finally:
        await store.close()


async def test_sqlite_upgrade_keeps_the_rows_and_ids_are_not_reused(tmp_path: Path) -> None:
    await _upgrade_keeps_rows_and_never_reuses(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")


async def test_postgresql_upgrade_keeps_the_rows_and_ids_are_not_reused(
    pg_schema: tuple[str, str],
) -> None:
    url, schema = pg_schema
    await _upgrade_keeps_rows_and_never_reuses(url, schema)


def _sqlite_schema(path: Path) -> dict[str, Any]:
    """Each object's CREATE statement as a set of lines (order, quoting and the brackets
    around defaults vary between a recreated and a freshly created table)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT IN ('alembic_version', 'sqlite_sequence')"
        ).fetchall()
    shapes: dict[str, Any] = {}
    for name, sql in rows:
        text = re.sub(r"DEFAULT \(([^()]*)\)", r"DEFAULT \1", sql.replace('"', ""))
        shapes[name] = frozenset(line.strip().rstrip(",") for line in text.splitlines())
    return shapes


async def test_migrated_sqlite_schema_is_the_table_definitions_with_autoincrement(
    tmp_path: Path,
) -> None:
    migrated = tmp_path / "migrated.sqlite3"
    db = Database.from_url(f"sqlite+aiosqlite:///{migrated}")
    await upgrade(db)
    await db.dispose()
    created = tmp_path / "created.sqlite3"
    engine = create_engine(f"sqlite:///{created}")
    metadata.create_all(engine)
    engine.dispose()
    shapes = _sqlite_schema(migrated)
    reference = _sqlite_schema(created)
    fts = {name for name in shapes if name.startswith("notes_fts")}
    assert {name: shape for name, shape in shapes.items() if name not in fts} == reference
    assert fts >= {"notes_fts", "notes_fts_insert", "notes_fts_delete", "notes_fts_update"}
    for name in AUTOINCREMENT_TABLES:
        assert "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in shapes[name], name
    with sqlite3.connect(migrated) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_durham_county_becomes_county_durham_and_keeps_its_id(tmp_path: Path) -> None:
    """0008_city_names: a database seeded with the old name keeps the city (and all that points
    at it) under the corrected name; re-importing the shipped cities.csv adds no second row."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'durham.sqlite3'}"
    db = Database.from_url(url)
    assert (await upgrade(db, "0006_membership"))[1] == "0006_membership"
    async with db.write() as conn:
        await conn.execute(
            cities.insert().values(
                name="Durham County",
                slug="durhamcounty",
                country="GB",
                timezone="Europe/London",
                language="en",
            )
        )
        old_id = (await conn.execute(select(cities.c.id))).scalar_one()
    await db.dispose()
    store = await open_store(url)  # upgrades to head
    try:
        found = await store.cities.get(old_id)
        assert found is not None and (found.name, found.slug) == ("County Durham", "countydurham")
        await import_cities(store, data_path("cities.csv"), now=TEST_NOW)
        durham = [c for c in await store.cities.all() if "Durham" in c.name]
        assert [(c.id, c.name) for c in durham] == [(old_id, "County Durham")]
    finally:
        await store.close()
