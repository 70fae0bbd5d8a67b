"""Weekly digest bookkeeping: who gets one when, and which weeks are done."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from storage.engine import Database
from storage.sql import insert
from storage.tables import cities, digest_runs, identities, participants


@dataclass(frozen=True)
class DigestSchedule:
    participant_id: int
    timezone: str | None  # the participant's own, else their city's
    weekday: int  # Monday = 0
    minute: int  # minute of the day, local time


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
            )
            .select_from(participants.join(cities, cities.c.id == participants.c.city_id))
            .where(
                participants.c.digest_enabled,
                participants.c.department.is_not(None),
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

    async def done(self, weeks: Iterable[str]) -> set[tuple[int, str]]:
        """(participant id, week) pairs whose digest was handled, for the given weeks."""
        wanted = sorted(set(weeks))
        if not wanted:
            return set()
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(digest_runs.c.participant_id, digest_runs.c.week).where(
                    digest_runs.c.week.in_(wanted)
                )
            )
            return {(pid, week) for pid, week in rows}

    async def record(self, participant_id: int, week: str, status: str, now: datetime) -> bool:
        """Mark the week handled ("enqueued", "empty" or "skipped"); False if it already was."""
        stmt = (
            insert(self.db.dialect, digest_runs)
            .values(participant_id=participant_id, week=week, status=status, created_at=now)
            .on_conflict_do_nothing()
        )
        async with self.db.write() as conn:
            return bool((await conn.execute(stmt)).rowcount)

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
