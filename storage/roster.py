"""Who is in the network and with which role: roles (``udx-bot grant|revoke``, UDX_ADMINS) and
pre-registration from a file, for people who may not have written to the bot yet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.participants import (
    ROLES,
    Participant,
    load_participants,
    registration_stamp,
    replace_sdgs,
)
from storage.tables import identities, participants


@dataclass(frozen=True)
class ParticipantImportRow:
    platform: str
    user_id: str
    name: str
    city_id: int
    department: str
    sdgs: tuple[int, ...]
    language: str | None  # None: leave as it is
    role: str | None  # None: leave as it is (participant for someone new)


async def _ensure(
    conn: AsyncConnection, platform: str, user_id: str, now: datetime
) -> tuple[int, bool]:
    """(participant id, created) behind a platform identity; a new identity gets an
    unregistered participant without activity (they have not written yet)."""
    pid = (
        await conn.execute(
            select(identities.c.participant_id).where(
                identities.c.platform == platform, identities.c.user_id == user_id
            )
        )
    ).scalar()
    if pid is not None:
        return int(pid), False
    result = await conn.execute(participants.insert().values(name=user_id, created_at=now))
    pk = result.inserted_primary_key
    assert pk is not None
    new_id = int(pk[0])
    await conn.execute(
        identities.insert().values(
            participant_id=new_id,
            platform=platform,
            user_id=user_id,
            chat_id=user_id if platform == "telegram" else None,
            created_at=now,
        )
    )
    return new_id, True


async def _make_member(conn: AsyncConnection, participant_id: int, now: datetime) -> None:
    await conn.execute(
        update(participants)
        .where(participants.c.id == participant_id, participants.c.member_since.is_(None))
        .values(member_since=now, removed_at=None)
    )


class RosterRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_role(
        self, platform: str, user_id: str, role: str, *, now: datetime
    ) -> tuple[Participant, str]:
        """Give the person behind ``platform:user_id`` a role (creating them unregistered when
        unknown); returns them and their previous role."""
        if role not in ROLES:
            raise ValueError(role)
        async with self.db.write() as conn:
            pid, _ = await _ensure(conn, platform, user_id, now)
            before = (
                await conn.execute(select(participants.c.role).where(participants.c.id == pid))
            ).scalar_one()
            await conn.execute(
                update(participants).where(participants.c.id == pid).values(role=role)
            )
            if role != "participant":  # a coordinator or admin is a member of the network
                await _make_member(conn, pid, now)
            found = (await load_participants(conn, [pid]))[pid]
        return found, str(before)

    async def apply_admins(self, keys: Iterable[str], *, now: datetime) -> int:
        """Make each ``platform:user_id`` an admin (UDX_ADMINS at start-up); returns how many
        changed."""
        changed = 0
        for key in keys:
            platform, _, user_id = key.partition(":")
            _, before = await self.set_role(platform, user_id, "admin", now=now)
            changed += before != "admin"
        return changed

    async def import_rows(
        self, rows: Iterable[ParticipantImportRow], *, now: datetime
    ) -> tuple[int, int]:
        """Pre-register people (or update them) as members, all in one transaction;
        (created, updated)."""
        created = updated = 0
        async with self.db.write() as conn:
            for row in rows:
                pid, is_new = await _ensure(conn, row.platform, row.user_id, now)
                values: dict[str, Any] = {
                    "name": row.name,
                    "city_id": row.city_id,
                    "department": row.department,
                }
                if row.language is not None:
                    values["language"] = row.language
                if row.role is not None:
                    values["role"] = row.role
                await conn.execute(
                    update(participants).where(participants.c.id == pid).values(**values)
                )
                await replace_sdgs(conn, pid, row.sdgs)
                await registration_stamp(conn, pid, now)
                await _make_member(conn, pid, now)  # an admin's file: they are in
                created += is_new
                updated += not is_new
        return created, updated
