"""A person's own data: everything stored about them (/mydata) and erasing them (/forget).

Notes and introductions are read through their own modules (:func:`storage.notes.authored`,
:func:`storage.introductions.involving`), in the export's one read transaction.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.introductions import involving
from storage.notes import authored
from storage.participants import load_participants
from storage.tables import (
    announcements,
    digest_runs,
    identities,
    introductions,
    link_codes,
    membership_requests,
    outbox,
    outbox_subjects,
    participants,
)

MIN_QUOTED = 3  # shorter names or notes are not looked for in digests
DIGEST_PAGE = 500
QUOTED_PREFIX = 40

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
    "anonymous",
    "created_at",
    "registered_at",
    "last_active_at",
    "member_since",
    "removed_at",
)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _message_text(payload: str) -> str:
    """The text a queued or sent message carries: its documents' section texts, in order (the
    payload is a JSON list of reply documents; see udx_bot.types.Reply.to_json)."""
    texts: list[str] = []
    for document in json.loads(payload):
        for section in json.loads(document).get("sections", []):
            texts += [part for part in (section.get("heading"), section.get("text")) if part]
    return "\n\n".join(texts)


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
            codes = [
                {"code": code, "expires_at": _jsonable(expires)}
                for code, expires in await conn.execute(
                    select(link_codes.c.code, link_codes.c.expires_at)
                    .where(link_codes.c.participant_id == participant_id)
                    .order_by(link_codes.c.expires_at)
                )
            ]
            addressed = [outbox.c.participant_id == participant_id] + [
                and_(outbox.c.platform == i["platform"], outbox.c.user_id == i["user_id"])
                for i in idents
            ]
            messages = [
                {
                    "id": row.id,
                    "kind": row.kind,
                    "platform": row.platform,
                    "status": row.status,
                    "created_at": _jsonable(row.created_at),
                    "sent_at": _jsonable(row.sent_at),
                    "text": _message_text(row.payload),
                }
                for row in await conn.execute(
                    select(
                        outbox.c.id,
                        outbox.c.kind,
                        outbox.c.platform,
                        outbox.c.status,
                        outbox.c.created_at,
                        outbox.c.sent_at,
                        outbox.c.payload,
                    )
                    .where(or_(*addressed))
                    .order_by(outbox.c.id)
                )
            ]
            runs = [
                {"week": week, "status": status, "created_at": _jsonable(created)}
                for week, status, created in await conn.execute(
                    select(digest_runs.c.week, digest_runs.c.status, digest_runs.c.created_at)
                    .where(digest_runs.c.participant_id == participant_id)
                    .order_by(digest_runs.c.week)
                )
            ]
            requests = [
                {
                    "status": status,
                    "created_at": _jsonable(created),
                    "decided_at": _jsonable(decided),
                }
                for status, created, decided in await conn.execute(
                    select(
                        membership_requests.c.status,
                        membership_requests.c.created_at,
                        membership_requests.c.decided_at,
                    )
                    .where(membership_requests.c.participant_id == participant_id)
                    .order_by(membership_requests.c.id)
                )
            ]
        return {
            "profile": profile,
            "identities": idents,
            "notes": exported_notes,
            "introductions": exported_intros,
            "announcements": exported_announcements,
            "link_codes": codes,
            "messages": messages,
            "digest_runs": runs,
            "membership_requests": requests,
        }

    async def erase(self, participant_id: int) -> bool:
        """Delete the person and every row that names them, in one transaction.

        Their identities, notes, introductions, link codes and the messages addressed to them
        go with the participant row (foreign keys cascade). Messages *about* them are deleted
        here first, found through the outbox's ``kind``/``ref_id``: introduction messages of
        their introductions, announcement messages of announcements they wrote, every message
        that records them among its subjects (``outbox_subjects``: digests, the coordinators'
        copies of a request to join), and digests
        quoting their name or a note of theirs. Announcements they wrote are deleted too (drafts
        and sent ones: a sent one was delivered already; keeping its text would keep them)."""
        async with self.db.write() as conn:
            person = (
                await conn.execute(
                    select(participants.c.name).where(participants.c.id == participant_id)
                )
            ).first()
            if person is None:
                return False
            ids = (
                await conn.execute(
                    select(identities.c.platform, identities.c.user_id).where(
                        identities.c.participant_id == participant_id
                    )
                )
            ).all()
            intro_ids = select(introductions.c.id).where(
                or_(
                    introductions.c.requester_id == participant_id,
                    introductions.c.target_id == participant_id,
                )
            )
            authored_ids = select(announcements.c.id).where(
                announcements.c.author_id == participant_id
            )
            about = [
                outbox.c.participant_id == participant_id,
                and_(outbox.c.kind == "introduction", outbox.c.ref_id.in_(intro_ids)),
                and_(outbox.c.kind == "announcement", outbox.c.ref_id.in_(authored_ids)),
            ]
            about += [
                and_(outbox.c.platform == platform, outbox.c.user_id == user_id)
                for platform, user_id in ids
            ]
            named = select(outbox_subjects.c.outbox_id).where(
                outbox_subjects.c.participant_id == participant_id
            )
            about.append(outbox.c.id.in_(named))
            await conn.execute(delete(outbox).where(or_(*about)))
            notes_of = await authored(conn, participant_id)
            # digests queued before their subjects were recorded (revision 0005): found by
            # their text, which quotes a note's beginning (its first QUOTED_PREFIX characters)
            quoted = [person.name, *[n.text[:QUOTED_PREFIX] for n in notes_of]]
            await _delete_digests_quoting(conn, quoted)
            await conn.execute(
                delete(announcements).where(announcements.c.author_id == participant_id)
            )
            result = await conn.execute(
                delete(participants).where(participants.c.id == participant_id)
            )
            if notes_of and self.db.dialect == "sqlite":
                # FTS5 keeps a deleted note's words in its index until segments merge: merge
                # them all now (with secure_delete, the freed pages are zeroed)
                await conn.exec_driver_sql("INSERT INTO notes_fts(notes_fts) VALUES ('optimize')")
        return bool(result.rowcount)

    async def prune_sent_messages(self, *, before: datetime) -> int:
        """Delete the messages delivered before ``before`` (the retention period): a sent row
        keeps the text it carried. Returns how many were deleted."""
        async with self.db.write() as conn:
            result = await conn.execute(
                delete(outbox).where(outbox.c.status == "sent", outbox.c.sent_at < before)
            )
        return int(result.rowcount or 0)


async def _delete_digests_quoting(conn: AsyncConnection, texts: list[str]) -> None:
    """Delete the digest messages (any status) without recorded subjects whose text contains
    one of ``texts``: a name or a note. Texts shorter than MIN_QUOTED characters are not looked
    for (they would match unrelated digests). Digest rows are read in pages of DIGEST_PAGE;
    sent ones are pruned after the retention period, so the scan stays bounded."""
    wanted = [t.casefold() for t in texts if len(t.strip()) >= MIN_QUOTED]
    if not wanted:
        return
    recorded = select(outbox_subjects.c.outbox_id)  # whom these name is known: not guessed
    last = 0
    while True:
        rows = (
            await conn.execute(
                select(outbox.c.id, outbox.c.payload)
                .where(outbox.c.kind == "digest", outbox.c.id > last, ~outbox.c.id.in_(recorded))
                .order_by(outbox.c.id)
                .limit(DIGEST_PAGE)
            )
        ).all()
        if not rows:
            return
        last = rows[-1].id
        hits = [
            r.id
            for r in rows
            if any(w in text for text in [_payload_text(r.payload)] for w in wanted)
        ]
        if hits:
            await conn.execute(delete(outbox).where(outbox.c.id.in_(hits)))


def _payload_text(payload: str) -> str:
    """Every string in an outbox payload (a JSON list of JSON documents), casefolded."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for document in json.loads(payload):
        walk(json.loads(document) if isinstance(document, str) else document)
    return "\n".join(found).casefold()
