"""Joining two platform identities into one participant with a one-time link code (/link)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.introductions import reassign as reassign_introductions
from storage.participants import ROLES, Participant, load_participants
from storage.tables import (
    announcements,
    digest_runs,
    identities,
    link_codes,
    notes,
    outbox,
    participant_sdgs,
    participants,
)

LINK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
LINK_CODE_LENGTH = 6
LINK_CODE_TTL = timedelta(minutes=10)
_PROFILE_FIELDS = (
    "city_id",
    "department",
    "language",
    "timezone",
    "digest_weekday",
    "digest_minute",
    "digest_enabled",
    "deliver_platform",
    "anonymous",
)


class LinkError(Exception):
    """A link code could not be used; ``reason`` is one of "unknown" (also expired or used),
    "own" (the person's own code) or "same_platform" (both sides have the same platform)."""

    def __init__(self, reason: str, platform: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.platform = platform


@dataclass(frozen=True)
class LinkCode:
    code: str
    expires_at: datetime


class LinkRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_link_code(self, participant_id: int, *, now: datetime) -> LinkCode:
        """A new one-time code for the participant (their older codes stop working)."""
        expires = now + LINK_CODE_TTL
        async with self.db.write() as conn:
            await conn.execute(
                delete(link_codes).where(
                    (link_codes.c.participant_id == participant_id)
                    | (link_codes.c.expires_at <= now)
                )
            )
            taken = set((await conn.execute(select(link_codes.c.code))).scalars())
            while True:
                code = "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))
                if code not in taken:
                    break
            await conn.execute(
                link_codes.insert().values(
                    code=code, participant_id=participant_id, expires_at=expires
                )
            )
        return LinkCode(code, expires)

    async def redeem_link_code(
        self, code: str, participant_id: int, *, now: datetime
    ) -> Participant:
        """Join ``participant_id`` into the participant who created ``code`` (whose profile
        wins) and use the code up; returns the joined participant. Raises LinkError."""
        code = code.strip().upper()
        async with self.db.write() as conn:
            row = (await conn.execute(select(link_codes).where(link_codes.c.code == code))).first()
            if row is None or row.expires_at <= now:
                raise LinkError("unknown")
            keep = int(row.participant_id)
            if keep == participant_id:
                raise LinkError("own")
            platforms = await conn.execute(
                select(identities.c.participant_id, identities.c.platform).where(
                    identities.c.participant_id.in_([keep, participant_id])
                )
            )
            by_side: dict[int, set[str]] = {keep: set(), participant_id: set()}
            for pid, platform in platforms:
                by_side[pid].add(platform)
            shared = by_side[keep] & by_side[participant_id]
            if shared:
                raise LinkError("same_platform", sorted(shared)[0])
            await _merge(conn, keep, participant_id)
            await conn.execute(delete(link_codes).where(link_codes.c.code == code))
            return (await load_participants(conn, [keep]))[keep]


async def _merge(conn: AsyncConnection, keep: int, drop: int) -> None:
    """Move everything of ``drop`` to ``keep`` and delete ``drop`` (inside a transaction).

    ``keep``'s profile wins; if ``keep`` has not registered yet but ``drop`` has, ``drop``'s
    profile is taken instead (nobody loses a profile by linking the wrong way round). The
    higher of the two roles stays.
    """
    found = await load_participants(conn, [keep, drop])
    kept, dropped = found[keep], found[drop]
    values: dict[str, Any] = {}
    if not kept.registered and dropped.registered:
        values = {name: getattr(dropped, name) for name in _PROFILE_FIELDS}
        values["registered_at"] = dropped.registered_at
        values["name"] = dropped.name
        await conn.execute(
            delete(participant_sdgs).where(participant_sdgs.c.participant_id == keep)
        )
        await conn.execute(
            update(participant_sdgs)
            .where(participant_sdgs.c.participant_id == drop)
            .values(participant_id=keep)
        )
    if ROLES.index(dropped.role) > ROLES.index(kept.role):
        values["role"] = dropped.role
    if values:
        await conn.execute(update(participants).where(participants.c.id == keep).values(**values))

    await conn.execute(
        update(identities).where(identities.c.participant_id == drop).values(participant_id=keep)
    )
    await conn.execute(update(notes).where(notes.c.author_id == drop).values(author_id=keep))
    await conn.execute(
        update(announcements).where(announcements.c.author_id == drop).values(author_id=keep)
    )
    await conn.execute(
        update(outbox).where(outbox.c.participant_id == drop).values(participant_id=keep)
    )
    await reassign_introductions(conn, keep, drop)
    kept_weeks = select(digest_runs.c.week).where(digest_runs.c.participant_id == keep)
    await conn.execute(
        delete(digest_runs).where(
            digest_runs.c.participant_id == drop, digest_runs.c.week.in_(kept_weeks)
        )
    )
    await conn.execute(
        update(digest_runs).where(digest_runs.c.participant_id == drop).values(participant_id=keep)
    )
    await conn.execute(delete(participants).where(participants.c.id == drop))
