"""A person's own data: everything stored about them (/mydata) and erasing them (/forget).

Notes and introductions are read through their own modules (:func:`storage.notes.authored`,
:func:`storage.introductions.involving`), in the export's one read transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from storage.engine import Database
from storage.introductions import involving
from storage.notes import authored
from storage.participants import load_participants
from storage.tables import announcements, identities, participants

_PROFILE_EXPORT = (
    "id",
    "name",
    "city_name",
    "country",
    "department",
    "language",
    "timezone",
    "role",
    "digest_weekday",
    "digest_minute",
    "digest_enabled",
    "deliver_platform",
    "created_at",
    "registered_at",
    "last_active_at",
)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def export(self, participant_id: int) -> dict[str, Any]:
        """Everything stored about the person, as JSON-ready data."""
        async with self.db.read() as conn:
            found = (await load_participants(conn, [participant_id])).get(participant_id)
            if found is None:
                return {}
            profile = {name: _jsonable(getattr(found, name)) for name in _PROFILE_EXPORT}
            profile["city"] = profile.pop("city_name")
            profile["sdgs"] = list(found.sdgs)
            idents = [
                {k: _jsonable(v) for k, v in r._mapping.items() if k not in ("participant_id",)}
                for r in await conn.execute(
                    select(identities)
                    .where(identities.c.participant_id == participant_id)
                    .order_by(identities.c.id)
                )
            ]
            exported_notes = [
                {
                    "id": note.id,
                    "text": note.text,
                    "city": note.city_name,
                    "department": note.department,
                    "sdgs": list(note.sdgs),
                    "tagged_cities": list(note.tagged_cities),
                    "created_at": _jsonable(note.created_at),
                    "updated_at": _jsonable(note.updated_at),
                }
                for note in await authored(conn, participant_id)
            ]
            exported_intros = [
                {
                    "id": intro.id,
                    "direction": (
                        "requested" if intro.requester_id == participant_id else "received"
                    ),
                    "with": other_name,
                    "status": intro.status,
                    "created_at": _jsonable(intro.created_at),
                    "decided_at": _jsonable(intro.decided_at),
                }
                for intro, other_name in await involving(conn, participant_id)
            ]
            announcement_rows = await conn.execute(
                select(
                    announcements.c.id,
                    announcements.c.text_de,
                    announcements.c.text_en,
                    announcements.c.status,
                    announcements.c.created_at,
                    announcements.c.sent_at,
                )
                .where(announcements.c.author_id == participant_id)
                .order_by(announcements.c.id)
            )
            exported_announcements = [
                {k: _jsonable(v) for k, v in r._mapping.items()} for r in announcement_rows
            ]
        return {
            "profile": profile,
            "identities": idents,
            "notes": exported_notes,
            "introductions": exported_intros,
            "announcements": exported_announcements,
        }

    async def erase(self, participant_id: int) -> bool:
        """Delete the person; their identities, notes, introductions, queued messages and
        everything else keyed to them go with them (foreign keys cascade). Announcements they
        wrote stay for their readers, without the author's name."""
        async with self.db.write() as conn:
            await conn.execute(
                update(announcements)
                .where(announcements.c.author_id == participant_id)
                .values(author_id=None, author_name="")
            )
            result = await conn.execute(
                delete(participants).where(participants.c.id == participant_id)
            )
        return bool(result.rowcount)
