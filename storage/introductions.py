"""Introductions with consent: a request from one participant to meet another, which the other
accepts or declines; unanswered requests expire after :data:`EXPIRY`.

Expiry is applied lazily: every query treats open requests older than 14 days as expired (and
writes that down when it writes anyway); :meth:`IntroductionRepository.expire_due` does it in bulk
for a scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.tables import introductions, outbox, participants

EXPIRY = timedelta(days=14)
MAX_OPEN = 5  # open requests a person may have at once


@dataclass(frozen=True)
class Introduction:
    id: int
    requester_id: int
    target_id: int
    status: str  # open, accepted, declined, expired
    created_at: datetime
    decided_at: datetime | None

    def expires_at(self) -> datetime:
        return self.created_at + EXPIRY


class IntroductionError(Exception):
    """Why a request could not be made (nothing was stored)."""


class TooManyOpen(IntroductionError):
    pass


class AlreadyRequested(IntroductionError):
    """An open (or accepted, or declined) request for this pair exists."""

    def __init__(self, existing: Introduction) -> None:
        super().__init__(existing.status)
        self.existing = existing


def _effective(row: Row[Any], now: datetime) -> Introduction:
    intro = Introduction(**row._mapping)
    if intro.status == "open" and now - intro.created_at >= EXPIRY:
        return Introduction(
            intro.id,
            intro.requester_id,
            intro.target_id,
            "expired",
            intro.created_at,
            intro.expires_at(),
        )
    return intro


async def _expire(conn: AsyncConnection, now: datetime) -> int:
    result = await conn.execute(
        update(introductions)
        .where(introductions.c.status == "open", introductions.c.created_at <= now - EXPIRY)
        .values(status="expired", decided_at=now)
    )
    return int(result.rowcount or 0)


async def involving(conn: AsyncConnection, participant_id: int) -> list[tuple[Introduction, str]]:
    """Every request the person made or received, oldest first, with the other side's name;
    statuses as stored (for the person's data export)."""
    other = participants.alias("other")
    other_id = case(
        (introductions.c.requester_id == participant_id, introductions.c.target_id),
        else_=introductions.c.requester_id,
    )
    rows = await conn.execute(
        select(introductions, other.c.name.label("other_name"))
        .select_from(introductions.join(other, other.c.id == other_id))
        .where(
            (introductions.c.requester_id == participant_id)
            | (introductions.c.target_id == participant_id)
        )
        .order_by(introductions.c.created_at, introductions.c.id)
    )
    return [
        (Introduction(**{c.name: r._mapping[c.name] for c in introductions.c}), r.other_name)
        for r in rows
    ]


async def reassign(conn: AsyncConnection, keep: int, drop: int) -> None:
    """Move ``drop``'s requests to ``keep`` when two participants are joined (inside the
    joining transaction). One between the two sides is moot; an open one duplicating an open
    one of the kept side would break the one-open-per-pair rule: both are deleted."""
    await conn.execute(
        delete(introductions).where(
            ((introductions.c.requester_id == drop) & (introductions.c.target_id == keep))
            | ((introductions.c.requester_id == keep) & (introductions.c.target_id == drop))
        )
    )
    kept_open = introductions.alias("kept_open")
    for mine, theirs in (
        (introductions.c.requester_id, introductions.c.target_id),
        (introductions.c.target_id, introductions.c.requester_id),
    ):
        kept_mine = kept_open.c[mine.name]
        kept_theirs = kept_open.c[theirs.name]
        duplicate = (
            select(kept_open.c.id)
            .where(kept_mine == keep, kept_theirs == theirs, kept_open.c.status == "open")
            .exists()
        )
        await conn.execute(
            delete(introductions).where(mine == drop, introductions.c.status == "open", duplicate)
        )
        await conn.execute(update(introductions).where(mine == drop).values({mine.name: keep}))


class IntroductionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def expire_due(self, now: datetime) -> int:
        """Mark open requests older than 14 days expired; returns how many."""
        async with self.db.write() as conn:
            return await _expire(conn, now)

    async def get(self, intro_id: int, now: datetime) -> Introduction | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(introductions).where(introductions.c.id == intro_id))
            ).first()
        return _effective(row, now) if row else None

    async def between(self, a: int, b: int, now: datetime) -> list[Introduction]:
        """Every request between two people, either direction, newest first."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(introductions)
                .where(
                    or_(
                        and_(introductions.c.requester_id == a, introductions.c.target_id == b),
                        and_(introductions.c.requester_id == b, introductions.c.target_id == a),
                    )
                )
                .order_by(introductions.c.created_at.desc(), introductions.c.id.desc())
            )
            return [_effective(r, now) for r in rows]

    async def open_count(self, requester_id: int, now: datetime) -> int:
        async with self.db.read() as conn:
            return await self._open_count(conn, requester_id, now)

    @staticmethod
    async def _open_count(conn: AsyncConnection, requester_id: int, now: datetime) -> int:
        return int(
            (
                await conn.execute(
                    select(func.count())
                    .select_from(introductions)
                    .where(
                        introductions.c.requester_id == requester_id,
                        introductions.c.status == "open",
                        introductions.c.created_at > now - EXPIRY,
                    )
                )
            ).scalar_one()
        )

    async def request(
        self, requester_id: int, target_id: int, now: datetime, *, max_open: int = MAX_OPEN
    ) -> Introduction:
        """Store an open request; raises :class:`TooManyOpen` or :class:`AlreadyRequested`
        (a request in this direction that is open, accepted or declined) and stores nothing."""
        if requester_id == target_id:
            raise ValueError("a person cannot be introduced to themself")
        try:
            async with self.db.write() as conn:
                await _expire(conn, now)
                existing = (
                    await conn.execute(
                        select(introductions)
                        .where(
                            introductions.c.requester_id == requester_id,
                            introductions.c.target_id == target_id,
                            introductions.c.status.in_(("open", "accepted", "declined")),
                        )
                        .order_by(introductions.c.id.desc())
                    )
                ).first()
                if existing is not None:
                    raise AlreadyRequested(_effective(existing, now))
                if await self._open_count(conn, requester_id, now) >= max_open:
                    raise TooManyOpen()
                result = await conn.execute(
                    introductions.insert().values(
                        requester_id=requester_id,
                        target_id=target_id,
                        status="open",
                        created_at=now,
                    )
                )
                pk = result.inserted_primary_key
                assert pk is not None
                intro_id = int(pk[0])
        except IntegrityError:  # a concurrent request for the same pair won (PostgreSQL)
            raced = await self.between(requester_id, target_id, now)
            if raced:
                raise AlreadyRequested(raced[0]) from None
            raise
        intro = await self.get(intro_id, now)
        assert intro is not None
        return intro

    async def open_involving(
        self, participant_id: int, now: datetime
    ) -> list[tuple[Introduction, str]]:
        """The person's open requests, sent and received, oldest first, with the other
        side's name."""
        async with self.db.read() as conn:
            return [
                (intro, name)
                for intro, name in await involving(conn, participant_id)
                if intro.status == "open" and now - intro.created_at < EXPIRY
            ]

    async def withdraw(self, intro_id: int, requester_id: int, now: datetime) -> bool:
        """Delete an open request the requester made, and its messages still queued (the
        request to the counterpart, if not delivered yet). False if there is none to withdraw:
        not theirs, answered or expired."""
        async with self.db.write() as conn:
            await _expire(conn, now)
            result = await conn.execute(
                delete(introductions).where(
                    introductions.c.id == intro_id,
                    introductions.c.requester_id == requester_id,
                    introductions.c.status == "open",
                )
            )
            if not result.rowcount:
                return False
            await conn.execute(
                delete(outbox).where(
                    outbox.c.kind == "introduction",
                    outbox.c.ref_id == intro_id,
                    outbox.c.status == "pending",
                )
            )
            return True

    async def recently_expired(self, now: datetime, *, within: timedelta) -> list[Introduction]:
        """Requests that expired (unanswered) in the last ``within``, oldest first."""
        async with self.db.write() as conn:
            await _expire(conn, now)
            rows = await conn.execute(
                select(introductions)
                .where(
                    introductions.c.status == "expired", introductions.c.decided_at > now - within
                )
                .order_by(introductions.c.decided_at, introductions.c.id)
            )
            return [Introduction(**r._mapping) for r in rows]

    async def decide(self, intro_id: int, status: str, now: datetime) -> Introduction | None:
        """Accept or decline an open, unexpired request; None when it is no longer open."""
        if status not in ("accepted", "declined"):
            raise ValueError(status)
        async with self.db.write() as conn:
            await _expire(conn, now)
            result = await conn.execute(
                update(introductions)
                .where(introductions.c.id == intro_id, introductions.c.status == "open")
                .values(status=status, decided_at=now)
            )
            if not result.rowcount:
                return None
        return await self.get(intro_id, now)
