"""Notes' machine translations (udx_bot/translation): which notes still need one, keeping one,
and loading them with the notes.

A translation is keyed by a hash of the original text and the backend (``text_hash``): an edit
deletes it (storage/notes.py), a note whose stored hash no longer matches is not shown
translated. Keeping one also indexes the translated words for /search: ``notes.search_text``
becomes the original's and the translation's folded text together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.note_search import search_text
from storage.notes import Note, NoteTranslation
from storage.tables import note_translations, notes, participants


@dataclass(frozen=True)
class Untranslated:
    """A note that needs a translation, with its author's language (the hint for detection)."""

    id: int
    text: str
    author_language: str | None


class NoteTranslationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def pending(
        self, *, limit: int = 20, after_id: int = 0, skip: Collection[int] = ()
    ) -> list[Untranslated]:
        """Notes with no translation yet, oldest first, from ids above ``after_id``, leaving
        out those in ``skip``."""
        passed_over = [notes.c.id.not_in(sorted(skip))] if skip else []
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(notes.c.id, notes.c.text, participants.c.language)
                .select_from(
                    notes.join(participants, participants.c.id == notes.c.author_id).outerjoin(
                        note_translations, note_translations.c.note_id == notes.c.id
                    )
                )
                .where(note_translations.c.note_id.is_(None), notes.c.id > after_id, *passed_over)
                .order_by(notes.c.id)
                .limit(limit)
            )
            return [Untranslated(int(i), t, lang) for i, t, lang in rows]

    async def keep(self, note_id: int, original: str, translation: NoteTranslation) -> bool:
        """Store a note's translation and index it for /search; False (nothing stored) when the
        note is gone or was edited since ``original`` was read."""
        async with self.db.write() as conn:
            result = await conn.execute(
                update(notes)
                .where(notes.c.id == note_id, notes.c.text == original)
                .values(search_text=search_text(f"{original}\n{translation.text}"))
            )
            if not result.rowcount:
                return False
            await conn.execute(
                delete(note_translations).where(note_translations.c.note_id == note_id)
            )
            await conn.execute(
                note_translations.insert().values(
                    note_id=note_id,
                    text_hash=translation.text_hash,
                    backend=translation.backend,
                    source_language=translation.source_language,
                    target_language=translation.target_language,
                    text=translation.text,
                    created_at=translation.created_at,
                )
            )
        return True

    async def attach(self, found: Sequence[Note]) -> list[Note]:
        """The notes with their translations (for listings)."""
        async with self.db.read() as conn:
            translations = await load_translations(conn, [n.id for n in found])
        return [dataclasses.replace(n, translation=translations.get(n.id)) for n in found]

    async def get(self, note_id: int) -> NoteTranslation | None:
        async with self.db.read() as conn:
            return (await load_translations(conn, [note_id])).get(note_id)


async def load_translations(
    conn: AsyncConnection, ids: Sequence[int]
) -> dict[int, NoteTranslation]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(note_translations).where(note_translations.c.note_id.in_(list(ids)))
    )
    return {
        int(r.note_id): NoteTranslation(
            r.text_hash, r.backend, r.source_language, r.target_language, r.text, r.created_at
        )
        for r in rows
    }
