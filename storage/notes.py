"""Exchange notes: what a department learned with its partner city.

Listings select only the ids of one page (newest first, with LIMIT, driven by the indexes on
``created_at``), then load those few notes with author, city, SDGs and tagged cities in three
small queries. Full-text search (storage/note_search.py) runs on ``notes.search_text``, the text
folded in Python, through SQLite FTS5 or PostgreSQL's full-text search.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    false,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.note_search import matching_ids, search_text
from storage.tables import (
    cities,
    note_cities,
    note_sdgs,
    note_translations,
    notes,
    participants,
)


@dataclass(frozen=True)
class NoteTranslation:
    """A note's machine translation (storage/note_translations.py keeps them)."""

    text_hash: str  # of the original text and the backend (udx_bot.translation.text_hash)
    backend: str
    source_language: str
    target_language: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Note:
    id: int
    author_id: int
    author_name: str
    city_id: int | None  # the author's city when the note was written
    city_name: str | None
    department: str | None  # the author's department key when the note was written
    text: str  # exactly as typed
    created_at: datetime
    updated_at: datetime | None
    sdgs: tuple[int, ...] = ()
    tagged_city_ids: tuple[int, ...] = ()
    tagged_cities: tuple[str, ...] = ()  # names, in the order of tagged_city_ids
    # into the other language, once made; listings attach it (NoteTranslationRepository.attach)
    translation: NoteTranslation | None = None


@dataclass(frozen=True)
class NoteFilter:
    """What /notes may be narrowed to; all given conditions must hold."""

    sdg: int | None = None
    city_id: int | None = None  # written in that city or tagged with it
    department: str | None = None
    author_id: int | None = None


_NEWEST_FIRST = (notes.c.created_at.desc(), notes.c.id.desc())


class NoteRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Writing -----------------------------------------------------------------------------
    async def add(
        self,
        author_id: int,
        note_text: str,
        *,
        city_id: int | None,
        department: str | None,
        sdgs: Iterable[int] = (),
        city_ids: Iterable[int] = (),
        now: datetime,
    ) -> Note:
        """Save a note with its tags; returns it as listings show it."""
        async with self.db.write() as conn:
            result = await conn.execute(
                notes.insert().values(
                    author_id=author_id,
                    city_id=city_id,
                    department=department,
                    text=note_text,
                    search_text=search_text(note_text),
                    created_at=now,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            note_id = int(pk[0])
            await _set_tags(conn, note_id, sdgs, city_ids)
            loaded = await _load(conn, [note_id])
        return loaded[0]

    async def edit(
        self,
        note_id: int,
        note_text: str,
        *,
        sdgs: Iterable[int] = (),
        city_ids: Iterable[int] = (),
        now: datetime,
    ) -> Note | None:
        """Replace a note's text and tags (the caller checks who may); None if it is gone."""
        async with self.db.write() as conn:
            result = await conn.execute(
                update(notes)
                .where(notes.c.id == note_id)
                .values(text=note_text, search_text=search_text(note_text), updated_at=now)
            )
            if result.rowcount == 0:
                return None
            # the old translation goes with the old text (the job makes a new one)
            await conn.execute(
                delete(note_translations).where(note_translations.c.note_id == note_id)
            )
            await conn.execute(delete(note_sdgs).where(note_sdgs.c.note_id == note_id))
            await conn.execute(delete(note_cities).where(note_cities.c.note_id == note_id))
            await _set_tags(conn, note_id, sdgs, city_ids)
            loaded = await _load(conn, [note_id])
        return loaded[0]

    async def delete(self, note_id: int) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(delete(notes).where(notes.c.id == note_id))
            return bool(result.rowcount)

    # Reading -----------------------------------------------------------------------------
    async def get(self, note_id: int) -> Note | None:
        async with self.db.read() as conn:
            found = await _load(conn, [note_id])
        return found[0] if found else None

    async def count(self) -> int:
        async with self.db.read() as conn:
            return int((await conn.execute(select(func.count()).select_from(notes))).scalar_one())

    async def find(self, author_id: int, note_text: str) -> int | None:
        """The id of this author's note with exactly this text (for idempotent seeding)."""
        async with self.db.read() as conn:
            found = await conn.execute(
                select(notes.c.id)
                .where(notes.c.author_id == author_id, notes.c.text == note_text)
                .limit(1)
            )
            return found.scalar_one_or_none()

    async def demo_authors(self) -> dict[str, int]:
        """Demo participants by name (seeding attaches the demo notes to them)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(participants.c.name, participants.c.id).where(participants.c.is_demo)
            )
            return {name: int(pid) for name, pid in rows}

    async def latest(
        self, where: NoteFilter | None = None, *, offset: int = 0, limit: int = 10
    ) -> list[Note]:
        """Notes newest first, narrowed by ``where``; one page of them."""
        async with self.db.read() as conn:
            ids = await _page(conn, _filter(where or NoteFilter()), offset, limit)
            return await _load(conn, ids)

    async def for_reader(
        self,
        *,
        city_ids: Iterable[int] = (),
        sdgs: Iterable[int] = (),
        offset: int = 0,
        limit: int = 10,
    ) -> list[Note]:
        """Every note, those that concern the reader first, each part newest first.

        A note concerns the reader when it was written in one of ``city_ids`` (their partner
        cities), tags one of them, or has one of ``sdgs`` (their SDGs). Two LIMITed queries:
        the reader's part, then (once that runs out) the rest.
        """
        relevant = _relevant(set(city_ids), set(sdgs))
        async with self.db.read() as conn:
            if relevant is None:
                return await _load(conn, await _page(conn, None, offset, limit))
            first = await _page(conn, relevant, offset, limit)
            if len(first) == limit:
                return await _load(conn, first)
            if first or offset == 0:
                rest_offset = 0
            else:  # the page lies past the reader's part: how long was it?
                counted = await conn.execute(
                    select(func.count()).select_from(notes).where(relevant)
                )
                rest_offset = offset - int(counted.scalar_one())
            rest = await _page(conn, not_(relevant), max(rest_offset, 0), limit - len(first))
            return await _load(conn, first + rest)

    async def search(self, query: str, *, offset: int = 0, limit: int = 10) -> list[Note]:
        """Notes whose text has every word of ``query`` (words of 3+ letters also as the start
        of a longer word), case and diacritics ignored; best matches first."""
        async with self.db.read() as conn:
            ids = await matching_ids(conn, self.db.dialect, query, offset=offset, limit=limit)
            return await _load(conn, ids)

    async def since(
        self, since: datetime, *, until: datetime | None = None, limit: int = 500
    ) -> list[Note]:
        """Notes written from ``since`` (inclusive) to ``until`` (exclusive), newest first, with
        author, city, department, SDGs and tagged cities (for the weekly digest)."""
        condition = notes.c.created_at >= since
        if until is not None:
            condition = and_(condition, notes.c.created_at < until)
        async with self.db.read() as conn:
            return await _load(conn, await _page(conn, condition, 0, limit))


def _filter(where: NoteFilter) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    if where.sdg is not None:
        conditions.append(
            notes.c.id.in_(select(note_sdgs.c.note_id).where(note_sdgs.c.sdg == where.sdg))
        )
    if where.city_id is not None:
        conditions.append(
            or_(
                notes.c.city_id == where.city_id,
                notes.c.id.in_(
                    select(note_cities.c.note_id).where(note_cities.c.city_id == where.city_id)
                ),
            )
        )
    if where.department is not None:
        conditions.append(notes.c.department == where.department)
    if where.author_id is not None:
        conditions.append(notes.c.author_id == where.author_id)
    return and_(*conditions) if conditions else None


def _relevant(city_ids: set[int], sdgs: set[int]) -> ColumnElement[bool] | None:
    """The reader's part; never NULL, so ``not_()`` of it is the exact rest."""
    parts: list[ColumnElement[bool]] = []
    if city_ids:
        ids = sorted(city_ids)
        parts.append(and_(notes.c.city_id.is_not(None), notes.c.city_id.in_(ids)))
        parts.append(
            notes.c.id.in_(select(note_cities.c.note_id).where(note_cities.c.city_id.in_(ids)))
        )
    if sdgs:
        parts.append(
            notes.c.id.in_(select(note_sdgs.c.note_id).where(note_sdgs.c.sdg.in_(sorted(sdgs))))
        )
    return or_(false(), *parts) if parts else None


async def _page(
    conn: AsyncConnection, condition: ColumnElement[bool] | None, offset: int, limit: int
) -> list[int]:
    if limit <= 0:
        return []
    query: Select[Any] = select(notes.c.id)
    if condition is not None:
        query = query.where(condition)
    query = query.order_by(*_NEWEST_FIRST).limit(limit).offset(offset)
    return [int(r) for r in (await conn.execute(query)).scalars()]


async def _set_tags(
    conn: AsyncConnection, note_id: int, sdgs: Iterable[int], city_ids: Iterable[int]
) -> None:
    chosen_sdgs = sorted(set(sdgs))
    if chosen_sdgs:
        await conn.execute(
            note_sdgs.insert(), [{"note_id": note_id, "sdg": n} for n in chosen_sdgs]
        )
    chosen_cities = list(dict.fromkeys(city_ids))
    if chosen_cities:
        await conn.execute(
            note_cities.insert(), [{"note_id": note_id, "city_id": c} for c in chosen_cities]
        )


_SELECT_NOTE = select(
    notes.c.id,
    notes.c.author_id,
    participants.c.name.label("author_name"),
    notes.c.city_id,
    cities.c.name.label("city_name"),
    notes.c.department,
    notes.c.text,
    notes.c.created_at,
    notes.c.updated_at,
).select_from(
    notes.join(participants, participants.c.id == notes.c.author_id).outerjoin(
        cities, cities.c.id == notes.c.city_id
    )
)


async def _load(conn: AsyncConnection, ids: Sequence[int]) -> list[Note]:
    """Notes by id, in the order given (missing ids are left out)."""
    if not ids:
        return []
    rows = {
        r.id: dict(r._mapping) for r in await conn.execute(_SELECT_NOTE.where(notes.c.id.in_(ids)))
    }
    sdgs: dict[int, list[int]] = {}
    for note_id, sdg in await conn.execute(
        select(note_sdgs.c.note_id, note_sdgs.c.sdg)
        .where(note_sdgs.c.note_id.in_(ids))
        .order_by(note_sdgs.c.sdg)
    ):
        sdgs.setdefault(note_id, []).append(sdg)
    tagged: dict[int, list[tuple[int, str]]] = {}
    for note_id, city_id, name in await conn.execute(
        select(note_cities.c.note_id, note_cities.c.city_id, cities.c.name)
        .join(cities, cities.c.id == note_cities.c.city_id)
        .where(note_cities.c.note_id.in_(ids))
        .order_by(cities.c.name)
    ):
        tagged.setdefault(note_id, []).append((city_id, name))
    result = []
    for note_id in ids:
        row = rows.get(note_id)
        if row is None:
            continue
        pairs = tagged.get(note_id, [])
        result.append(
            Note(
                **row,
                sdgs=tuple(sdgs.get(note_id, ())),
                tagged_city_ids=tuple(c for c, _ in pairs),
                tagged_cities=tuple(n for _, n in pairs),
            )
        )
    return result


async def authored(conn: AsyncConnection, author_id: int) -> list[Note]:
    """Every note of one author, oldest first (for the person's data export)."""
    ids = await conn.execute(
        select(notes.c.id)
        .where(notes.c.author_id == author_id)
        .order_by(notes.c.created_at, notes.c.id)
    )
    return await _load(conn, [int(i) for i in ids.scalars()])
