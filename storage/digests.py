"""Weekly digest bookkeeping: who gets one when, and which weeks are done."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from storage.engine import Database
from storage.notes import NoteTranslation
from storage.participants import members_only
from storage.sql import insert
from storage.tables import (
    announcements,
    cities,
    digest_runs,
    identities,
    introductions,
    note_cities,
    note_sdgs,
    note_translations,
    notes,
    participants,
    partnerships,
)


@dataclass(frozen=True)
class DigestSchedule:
    participant_id: int
    timezone: str | None  # the participant's own, else their city's
    weekday: int  # Monday = 0
    minute: int  # minute of the day, local time
    registered_at: datetime | None  # a slot before this was not theirs yet


# A week recorded so is not "had": the digest was missed while the bot was down, and
# ``udx-bot digest send`` still sends it.
MISSED = "skipped"


class DigestRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def schedules(self) -> list[DigestSchedule]:
        """Everyone registered, reachable on a chat platform, with the digest switched on."""
        query = (
            select(
                participants.c.id,
                func.coalesce(participants.c.timezone, cities.c.timezone),
                participants.c.digest_weekday,
                participants.c.digest_minute,
                participants.c.registered_at,
            )
            .select_from(participants.join(cities, cities.c.id == participants.c.city_id))
            .where(
                participants.c.digest_enabled,
                participants.c.department.is_not(None),
                members_only(),
                # someone the outbox can deliver to (not only the console, not demo people)
                select(identities.c.id)
                .where(
                    identities.c.participant_id == participants.c.id,
                    identities.c.platform != "console",
                )
                .exists(),
            )
            .order_by(participants.c.id)
        )
        async with self.db.read() as conn:
            return [DigestSchedule(*row) for row in await conn.execute(query)]

    async def done(
        self, weeks: Iterable[str], *, missed_counts: bool = True
    ) -> set[tuple[int, str]]:
        """(participant id, week) pairs whose digest was handled, for the given weeks; without
        ``missed_counts`` a week recorded as missed (:data:`MISSED`) is not among them."""
        wanted = sorted(set(weeks))
        if not wanted:
            return set()
        query = select(digest_runs.c.participant_id, digest_runs.c.week).where(
            digest_runs.c.week.in_(wanted)
        )
        if not missed_counts:
            query = query.where(digest_runs.c.status != MISSED)
        async with self.db.read() as conn:
            return {(pid, week) for pid, week in await conn.execute(query)}

    async def record(self, participant_id: int, week: str, status: str, now: datetime) -> bool:
        """Mark the week handled ("enqueued", "empty" or "skipped"); False if it already was.
        A week recorded as missed may still be handled (``udx-bot digest send``)."""
        stmt = (
            insert(self.db.dialect, digest_runs)
            .values(participant_id=participant_id, week=week, status=status, created_at=now)
            .on_conflict_do_nothing()
        )
        async with self.db.write() as conn:
            if (await conn.execute(stmt)).rowcount:
                return True
            if status == MISSED:
                return False
            result = await conn.execute(
                update(digest_runs)
                .where(
                    digest_runs.c.participant_id == participant_id,
                    digest_runs.c.week == week,
                    digest_runs.c.status == MISSED,
                )
                .values(status=status, created_at=now)
            )
            return bool(result.rowcount)

    async def status(self, participant_id: int, week: str) -> str | None:
        async with self.db.read() as conn:
            return (
                await conn.execute(
                    select(digest_runs.c.status).where(
                        digest_runs.c.participant_id == participant_id,
                        digest_runs.c.week == week,
                    )
                )
            ).scalar_one_or_none()


@dataclass(frozen=True)
class DigestNote:
    id: int
    author_id: int
    author_name: str
    city_id: int | None
    city_name: str | None
    department: str | None
    text: str
    created_at: datetime
    sdgs: tuple[int, ...]
    tagged_city_ids: tuple[int, ...]
    translation: NoteTranslation | None = None  # into the other language (udx_bot/translation)


@dataclass(frozen=True)
class DigestAnnouncement:
    id: int
    author_name: str
    text_de: str | None
    text_en: str | None
    sent_at: datetime
    audience: dict[str, Any]  # as stored (see storage.announcements.Announcement)
    author_id: int | None = None  # None once the author was erased


@dataclass(frozen=True)
class OpenIntroduction:
    id: int
    requester_id: int
    target_id: int
    created_at: datetime


@dataclass
class WeekData:
    """Everything new between ``since`` and ``until``, loaded once for all digests of a run."""

    since: datetime
    until: datetime
    notes: list[DigestNote]
    joined: list[int]  # participants registered in the window
    announcements: list[DigestAnnouncement]
    introductions: list[OpenIntroduction]
    partners: dict[int, set[int]]  # city id -> partner city ids


class DigestReadRepository:
    """The read model behind digests: bulk queries, so building 10,000 digests does not cost
    10,000 rounds of queries."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def week(self, since: datetime, until: datetime, intro_ttl_days: int = 14) -> WeekData:
        async with self.db.read() as conn:
            note_rows = (
                await conn.execute(
                    select(
                        notes.c.id,
                        notes.c.author_id,
                        participants.c.name,
                        notes.c.city_id,
                        cities.c.name,
                        notes.c.department,
                        notes.c.text,
                        notes.c.created_at,
                        note_translations.c.text_hash,
                        note_translations.c.backend,
                        note_translations.c.source_language,
                        note_translations.c.target_language,
                        note_translations.c.text,
                        note_translations.c.created_at,
                    )
                    .select_from(
                        notes.join(participants, participants.c.id == notes.c.author_id)
                        .outerjoin(cities, cities.c.id == notes.c.city_id)
                        .outerjoin(note_translations, note_translations.c.note_id == notes.c.id)
                    )
                    .where(notes.c.created_at >= since, notes.c.created_at < until)
                    .order_by(notes.c.created_at.desc(), notes.c.id.desc())
                )
            ).all()
            ids = [row[0] for row in note_rows]
            sdgs: dict[int, list[int]] = {}
            tagged: dict[int, list[int]] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for note_id, sdg in await conn.execute(
                    select(note_sdgs.c.note_id, note_sdgs.c.sdg).where(
                        note_sdgs.c.note_id.in_(chunk)
                    )
                ):
                    sdgs.setdefault(note_id, []).append(sdg)
                for note_id, city_id in await conn.execute(
                    select(note_cities.c.note_id, note_cities.c.city_id).where(
                        note_cities.c.note_id.in_(chunk)
                    )
                ):
                    tagged.setdefault(note_id, []).append(city_id)
            joined = list(
                (
                    await conn.execute(
                        select(participants.c.id).where(
                            participants.c.registered_at >= since,
                            participants.c.registered_at < until,
                            participants.c.is_demo.is_(False),  # demo people are no news
                            members_only(),
                        )
                    )
                ).scalars()
            )
            announcement_rows = (
                await conn.execute(
                    select(
                        announcements.c.id,
                        announcements.c.author_name,
                        announcements.c.text_de,
                        announcements.c.text_en,
                        announcements.c.sent_at,
                        announcements.c.audience,
                        announcements.c.author_id,
                    )
                    .where(
                        announcements.c.sent_at >= since,
                        announcements.c.sent_at < until,
                        announcements.c.status == "sent",
                    )
                    .order_by(announcements.c.sent_at)
                )
            ).all()
            intro_rows = (
                await conn.execute(
                    select(
                        introductions.c.id,
                        introductions.c.requester_id,
                        introductions.c.target_id,
                        introductions.c.created_at,
                    )
                    .where(
                        introductions.c.status == "open",
                        introductions.c.created_at >= until - timedelta(days=intro_ttl_days),
                    )
                    .order_by(introductions.c.created_at)
                )
            ).all()
            partners: dict[int, set[int]] = {}
            for a, b in await conn.execute(
                select(partnerships.c.city_id, partnerships.c.partner_city_id)
            ):
                partners.setdefault(a, set()).add(b)
                partners.setdefault(b, set()).add(a)
        return WeekData(
            since=since,
            until=until,
            notes=[
                DigestNote(
                    *row[:7],
                    row[7],
                    tuple(sorted(sdgs.get(row[0], ()))),
                    tuple(tagged.get(row[0], ())),
                    NoteTranslation(*row[8:14]) if row[8] is not None else None,
                )
                for row in note_rows
            ],
            joined=joined,
            announcements=[
                DigestAnnouncement(*row[:5], json.loads(row[5] or "{}"), author_id=row[6])
                for row in announcement_rows
            ],
            introductions=[OpenIntroduction(*row) for row in intro_rows],
            partners=partners,
        )
