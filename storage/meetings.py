"""The meeting of an accepted introduction: the slot chosen (``meetings``) and each person's
answer to "Did you meet?" per round (``meeting_answers``: round 1 is the first ask, round 2
the ask a week after "Not yet")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from storage.engine import Database
from storage.introductions import Introduction
from storage.tables import introductions, meeting_answers, meeting_notes, meetings

OUTCOMES = ("met", "not_yet", "not_fit")
FOLLOW_UP_WINDOW = timedelta(days=90)  # accepted longer ago: no more follow-ups


@dataclass(frozen=True)
class Meeting:
    introduction_id: int
    slot_start: datetime
    slot_end: datetime
    chosen_by: int | None
    chosen_at: datetime


@dataclass(frozen=True)
class Answer:
    introduction_id: int
    participant_id: int
    round: int
    outcome: str
    answered_at: datetime


class MeetingRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def choose(
        self, intro_id: int, start: datetime, end: datetime, by: int, now: datetime
    ) -> Meeting:
        """The slot chosen for the introduction (a later choice replaces it)."""
        async with self.db.write() as conn:
            await conn.execute(delete(meetings).where(meetings.c.introduction_id == intro_id))
            await conn.execute(
                meetings.insert().values(
                    introduction_id=intro_id,
                    slot_start=start,
                    slot_end=end,
                    chosen_by=by,
                    chosen_at=now,
                )
            )
        return Meeting(intro_id, start, end, by, now)

    async def get(self, intro_id: int) -> Meeting | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(meetings).where(meetings.c.introduction_id == intro_id))
            ).first()
        return Meeting(**row._mapping) if row else None

    async def answer(
        self, intro_id: int, participant_id: int, round_: int, outcome: str, now: datetime
    ) -> bool:
        """Store one answer; False when this person answered this round already."""
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        try:
            async with self.db.write() as conn:
                existing = (
                    await conn.execute(
                        select(meeting_answers.c.outcome).where(
                            meeting_answers.c.introduction_id == intro_id,
                            meeting_answers.c.participant_id == participant_id,
                            meeting_answers.c.round == round_,
                        )
                    )
                ).first()
                if existing is not None:
                    return False
                await conn.execute(
                    meeting_answers.insert().values(
                        introduction_id=intro_id,
                        participant_id=participant_id,
                        round=round_,
                        outcome=outcome,
                        answered_at=now,
                    )
                )
        except IntegrityError:  # a concurrent press of the same answer (PostgreSQL)
            return False
        return True

    async def answers(self, intro_id: int) -> list[Answer]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(meeting_answers)
                .where(meeting_answers.c.introduction_id == intro_id)
                .order_by(meeting_answers.c.round, meeting_answers.c.answered_at)
            )
            return [Answer(**r._mapping) for r in rows]

    async def outcome_note(
        self, intro_id: int, note_id: int, participant_id: int, now: datetime
    ) -> None:
        """Record that ``note_id`` tells what came of the introduction ("What came of it?")."""
        async with self.db.write() as conn:
            await conn.execute(
                meeting_notes.insert().values(
                    introduction_id=intro_id,
                    note_id=note_id,
                    participant_id=participant_id,
                    created_at=now,
                )
            )

    async def outcome_notes(self, intro_id: int) -> list[int]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(meeting_notes.c.note_id)
                .where(meeting_notes.c.introduction_id == intro_id)
                .order_by(meeting_notes.c.note_id)
            )
            return list(rows.scalars())

    async def not_a_fit(self, participant_id: int) -> set[int]:
        """Everyone whom ``participant_id`` (or who of ``participant_id``) said "Not a fit"."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(introductions.c.requester_id, introductions.c.target_id)
                .select_from(
                    introductions.join(
                        meeting_answers,
                        meeting_answers.c.introduction_id == introductions.c.id,
                    )
                )
                .where(
                    meeting_answers.c.outcome == "not_fit",
                    or_(
                        introductions.c.requester_id == participant_id,
                        introductions.c.target_id == participant_id,
                    ),
                )
            )
            return {a if b == participant_id else b for a, b in rows}

    async def accepted_since(self, since: datetime) -> list[tuple[Introduction, Meeting | None]]:
        """Accepted introductions decided after ``since``, oldest first, with their meeting."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(introductions, *[c.label(f"m_{c.name}") for c in meetings.c])
                .select_from(
                    introductions.outerjoin(
                        meetings, meetings.c.introduction_id == introductions.c.id
                    )
                )
                .where(introductions.c.status == "accepted", introductions.c.decided_at > since)
                .order_by(introductions.c.decided_at, introductions.c.id)
            )
            found = []
            for r in rows:
                m = r._mapping
                intro = Introduction(**{c.name: m[c.name] for c in introductions.c})
                meeting = (
                    Meeting(**{c.name: m[f"m_{c.name}"] for c in meetings.c})
                    if m["m_introduction_id"] is not None
                    else None
                )
                found.append((intro, meeting))
            return found
