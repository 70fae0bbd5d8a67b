"""Announcements and their audiences."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.engine import Database
from storage.participants import members_only
from storage.tables import announcements, identities, participant_sdgs, participants


@dataclass(frozen=True)
class Announcement:
    id: int
    author_id: int | None
    author_name: str
    audience: dict[str, Any]  # {"sdgs": [...], "cities": [...], "departments": [...], ...}
    text_de: str | None
    text_en: str | None
    status: str  # draft, scheduled, sending, sent, cancelled
    created_at: datetime
    scheduled_at: datetime | None
    sent_at: datetime | None
    number: int | None  # what people see; given when it is sent or scheduled, never reused


NUMBER_TRIES = 5  # two announcements numbered at the same moment on PostgreSQL: one tries again


@dataclass(frozen=True)
class Recipient:
    """A registered participant and the identity their messages go to."""

    participant_id: int
    language: str | None  # the participant's chosen language
    language_code: str | None  # the identity's platform language
    platform: str
    user_id: str
    chat_id: str | None


def _next_number() -> ColumnElement[int]:
    """The next visible number: one more than the highest ever given."""
    taken = announcements.alias("taken")
    return select(func.coalesce(func.max(taken.c.number), 0) + 1).scalar_subquery()


def _announcement(row: Any) -> Announcement:
    data = dict(row._mapping)
    data["audience"] = json.loads(data["audience"] or "{}")
    return Announcement(**data)


class AnnouncementRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        author_id: int | None,
        author_name: str,
        audience: dict[str, Any],
        text_de: str | None,
        text_en: str | None,
        now: datetime,
        scheduled_at: datetime | None = None,
        status: str = "draft",
    ) -> int:
        """A new announcement; a draft (a preview) has no number yet, one made to be sent or
        scheduled at once gets the next."""
        values: dict[str, Any] = dict(
            author_id=author_id,
            author_name=author_name,
            audience=json.dumps(audience, ensure_ascii=False, sort_keys=True),
            text_de=text_de,
            text_en=text_en,
            status=status,
            created_at=now,
            scheduled_at=scheduled_at,
        )
        for attempt in range(NUMBER_TRIES):
            if status != "draft":
                values["number"] = _next_number()
            try:
                async with self.db.write() as conn:
                    result = await conn.execute(announcements.insert().values(**values))
                    pk = result.inserted_primary_key
                    assert pk is not None
                    return int(pk[0])
            except IntegrityError:
                if attempt == NUMBER_TRIES - 1 or status == "draft":
                    raise
        raise AssertionError("unreachable")

    async def get(self, announcement_id: int) -> Announcement | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(announcements).where(announcements.c.id == announcement_id)
                )
            ).first()
        return _announcement(row) if row is not None else None

    async def transition(
        self,
        announcement_id: int,
        to: str,
        *,
        expect: Sequence[str],
        sent_at: datetime | None = None,
    ) -> bool:
        """Move to status ``to`` only from one of ``expect``; False when another press or
        process got there first (so a double click never sends twice). Going out (scheduled,
        sending) gives the announcement its number if it has none yet."""
        values: dict[str, Any] = {"status": to}
        if sent_at is not None:
            values["sent_at"] = sent_at
        numbered = to in ("scheduled", "sending")
        if numbered:
            values["number"] = func.coalesce(announcements.c.number, _next_number())
        for attempt in range(NUMBER_TRIES):
            try:
                async with self.db.write() as conn:
                    result = await conn.execute(
                        update(announcements)
                        .where(
                            announcements.c.id == announcement_id,
                            announcements.c.status.in_(expect),
                        )
                        .values(**values)
                    )
                    return bool(result.rowcount)
            except IntegrityError:
                if attempt == NUMBER_TRIES - 1 or not numbered:
                    raise
        raise AssertionError("unreachable")

    async def by_number(self, number: int) -> Announcement | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(announcements).where(announcements.c.number == number))
            ).first()
        return _announcement(row) if row is not None else None

    async def recent(self, limit: int = 5) -> list[Announcement]:
        """The latest announcements that were sent or scheduled (also those cancelled after
        being scheduled; never previews, sent or dropped), newest first."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(announcements)
                .where(announcements.c.number.is_not(None))
                .order_by(announcements.c.number.desc())
                .limit(limit)
            )
            return [_announcement(r) for r in rows]

    async def due(self, now: datetime) -> list[Announcement]:
        """Scheduled announcements whose time has come, and fan-outs left unfinished."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(announcements)
                .where(
                    or_(
                        and_(
                            announcements.c.status == "scheduled",
                            announcements.c.scheduled_at <= now,
                        ),
                        announcements.c.status == "sending",
                    )
                )
                .order_by(announcements.c.id)
            )
            return [_announcement(r) for r in rows]

    async def recipients(
        self,
        *,
        sdgs: Sequence[int] = (),
        city_ids: Sequence[int] = (),
        departments: Sequence[str] = (),
        among: Sequence[int] | None = None,
    ) -> list[Recipient]:
        """Registered participants matching every given filter (any value within one filter)
        who have an identity the bot can deliver to, one per participant: the platform they
        chose, else their first identity; ``among`` limits it to these participants. One query,
        ordered by participant."""
        query = (
            select(
                participants.c.id,
                participants.c.language,
                participants.c.deliver_platform,
                identities.c.platform,
                identities.c.user_id,
                identities.c.chat_id,
                identities.c.language_code,
            )
            .select_from(
                participants.join(identities, identities.c.participant_id == participants.c.id)
            )
            .where(
                participants.c.city_id.is_not(None),
                participants.c.department.is_not(None),
                members_only(),
                identities.c.blocked_at.is_(None),
            )
            .order_by(participants.c.id, identities.c.id)
        )
        if among is not None:
            query = query.where(participants.c.id.in_(list(among)))
        if city_ids:
            query = query.where(participants.c.city_id.in_(list(city_ids)))
        if departments:
            query = query.where(participants.c.department.in_(list(departments)))
        if sdgs:
            query = query.where(
                exists().where(
                    participant_sdgs.c.participant_id == participants.c.id,
                    participant_sdgs.c.sdg.in_(list(sdgs)),
                )
            )
        chosen: dict[int, tuple[tuple[bool, bool], Recipient]] = {}
        async with self.db.read() as conn:
            for row in await conn.execute(query):
                # the platform they chose, else the first identity, the console last (it
                # shows the message only when the person next opens it)
                rank = (row.platform != row.deliver_platform, row.platform == "console")
                current = chosen.get(row.id)
                if current is None or rank < current[0]:
                    chosen[row.id] = (
                        rank,
                        Recipient(
                            participant_id=row.id,
                            language=row.language,
                            language_code=row.language_code,
                            platform=row.platform,
                            user_id=row.user_id,
                            chat_id=row.chat_id,
                        ),
                    )
        return [recipient for _, recipient in chosen.values()]
