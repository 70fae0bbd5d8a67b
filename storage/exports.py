"""Coordinators' exports: notes, participants and introductions as plain rows (demo people
left out). Names come with the person's ``anonymous`` flag; udx_bot/reports/exports.py shows an
anonymous person by city and department only."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from storage.engine import Database
from storage.tables import (
    cities,
    introductions,
    note_cities,
    note_sdgs,
    notes,
    participant_sdgs,
    participants,
)

Row = dict[str, Any]


class ExportRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def notes(self) -> list[Row]:
        """Every note, oldest first: author (name, anonymous, city, department), SDGs, tagged
        cities, date, text."""
        p, c, tagged = participants, cities, cities.alias("tagged")
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(
                    notes.c.id,
                    notes.c.created_at,
                    notes.c.text,
                    notes.c.department,
                    c.c.name.label("city"),
                    p.c.name.label("author"),
                    p.c.anonymous,
                )
                .join(p, p.c.id == notes.c.author_id)
                .outerjoin(c, c.c.id == notes.c.city_id)
                .where(p.c.is_demo.is_(False))
                .order_by(notes.c.created_at, notes.c.id)
            )
            found = [dict(r._mapping) for r in rows]
            sdgs: dict[int, list[int]] = defaultdict(list)
            for note_id, sdg in await conn.execute(
                select(note_sdgs.c.note_id, note_sdgs.c.sdg).order_by(note_sdgs.c.sdg)
            ):
                sdgs[note_id].append(sdg)
            towns: dict[int, list[str]] = defaultdict(list)
            for note_id, name in await conn.execute(
                select(note_cities.c.note_id, tagged.c.name)
                .join(tagged, tagged.c.id == note_cities.c.city_id)
                .order_by(tagged.c.name)
            ):
                towns[note_id].append(name)
        for row in found:
            row["sdgs"], row["tagged_cities"] = sdgs[row["id"]], towns[row["id"]]
        return found

    async def participants(self) -> list[Row]:
        """Every registered person: name, anonymous, city, department, SDGs, role, since."""
        p, c = participants, cities
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(
                    p.c.id,
                    p.c.name,
                    p.c.anonymous,
                    c.c.name.label("city"),
                    p.c.department,
                    p.c.role,
                    p.c.registered_at,
                )
                .outerjoin(c, c.c.id == p.c.city_id)
                .where(p.c.is_demo.is_(False), p.c.registered_at.is_not(None))
                .where(p.c.member_since.is_not(None))  # members only: no strangers, no removed
                .order_by(c.c.name, p.c.id)
            )
            found = [dict(r._mapping) for r in rows]
            sdgs: dict[int, list[int]] = defaultdict(list)
            for pid, sdg in await conn.execute(
                select(participant_sdgs.c.participant_id, participant_sdgs.c.sdg).order_by(
                    participant_sdgs.c.sdg
                )
            ):
                sdgs[pid].append(sdg)
        for row in found:
            row["sdgs"] = sdgs[row["id"]]
        return found

    async def introductions(self) -> list[Row]:
        """Every introduction: both people (name, anonymous, city, department), status, dates."""
        r, t = participants.alias("r"), participants.alias("t")
        rc, tc = cities.alias("rc"), cities.alias("tc")
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(
                    introductions.c.id,
                    introductions.c.status,
                    introductions.c.created_at,
                    introductions.c.decided_at,
                    r.c.name.label("requester"),
                    r.c.anonymous.label("requester_anonymous"),
                    rc.c.name.label("requester_city"),
                    r.c.department.label("requester_department"),
                    t.c.name.label("target"),
                    t.c.anonymous.label("target_anonymous"),
                    tc.c.name.label("target_city"),
                    t.c.department.label("target_department"),
                )
                .join(r, r.c.id == introductions.c.requester_id)
                .join(t, t.c.id == introductions.c.target_id)
                .outerjoin(rc, rc.c.id == r.c.city_id)
                .outerjoin(tc, tc.c.id == t.c.city_id)
                .where(r.c.is_demo.is_(False), t.c.is_demo.is_(False))
                .order_by(introductions.c.created_at, introductions.c.id)
            )
            return [dict(row._mapping) for row in rows]
