"""Coordinator reports: what each partnership did, month by month, counted by the database.

A note counts for a partnership when its author's city is one of the pair; a note that tags
partner cities of its author's city (#Sheboygan) counts only for the partnerships it tags. An
introduction counts for a partnership when the two people are in its two cities, in the month
it was requested (met and with an outcome too: storage/report_meetings.py). Announcements
and digests count for the partnerships of their recipients' cities. Demo people are never
counted, and profiles count only for members (no strangers, no removed people). Months are UTC
calendar months ("2026-11"). Every figure is one GROUP BY query, so a report over 100,000 notes
takes about a second and a half on SQLite (bench: ``report_build_s``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    Select,
    and_,
    distinct,
    exists,
    func,
    not_,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.report_data import MonthStats, Pair, PairKey, ReportData
from storage.report_meetings import funnel
from storage.sql import month
from storage.tables import (
    announcements,
    cities,
    digest_runs,
    introductions,
    note_cities,
    note_sdgs,
    notes,
    outbox,
    participant_sdgs,
    participants,
    partnerships,
)


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def build(
        self,
        since: datetime,
        until: datetime,
        city_ids: set[int] | None = None,
        pair: PairKey | None = None,
    ) -> ReportData:
        """Every figure from ``since`` up to ``until``; ``city_ids``: only the partnerships
        with one of these cities; ``pair``: only that partnership."""
        async with self.db.read() as conn:
            return await _Build(conn, self.db.dialect, since, until, city_ids, pair).run()


class _Build:
    def __init__(
        self,
        conn: AsyncConnection,
        dialect: str,
        since: datetime,
        until: datetime,
        city_ids: set[int] | None,
        pair: PairKey | None,
    ) -> None:
        self.conn, self.dialect, self.since, self.until = conn, dialect, since, until
        self.city_ids, self.pair = city_ids, pair
        self.data = ReportData(since, until, filtered=city_ids is not None or pair is not None)
        self.months: set[str] = set()

    async def run(self) -> ReportData:
        await self._pairs()
        sides = self._sides()
        await self._notes(sides)
        await self._introductions(sides)
        await self._active(sides)
        await self._announcements(sides)
        await self._digests(sides)
        await self._profiles(sides)
        self.data.months = sorted(self.months | set(_months(self.since, self.until)))
        return self.data

    def _cell(self, key: PairKey | None, m: str) -> MonthStats:
        self.months.add(m)
        table = self.data.network if key is None else self.data.by_pair.setdefault(key, {})
        return table.setdefault(m, MonthStats())

    async def _rows(self, stmt: Any) -> list[Any]:
        return list(await self.conn.execute(stmt))

    async def _tally(self, stmt: Any, into: dict[PairKey, dict[Any, int]]) -> None:
        """Rows of (city, partner, key, count) into ``into[(city, partner)][key]``."""
        for a, b, key, count in await self._rows(stmt):
            into.setdefault((a, b), {})[key] = count

    async def _pairs(self) -> None:
        a, b = cities.alias("a"), cities.alias("b")
        p = partnerships
        stmt = (
            select(p.c.city_id, p.c.partner_city_id, a.c.name, b.c.name.label("partner"))
            .join(a, a.c.id == p.c.city_id)
            .join(b, b.c.id == p.c.partner_city_id)
            .order_by(a.c.name, b.c.name)
        )
        stmt = stmt.where(*self._only(p.c.city_id, p.c.partner_city_id))
        self.data.pairs = [Pair(*row) for row in await self._rows(stmt)]

    def _sides(self, *, every: bool = False) -> CTE:
        """Each partnership twice, once from each city: (a, b, home, other); only those asked
        for unless ``every``."""
        p = partnerships
        both = union_all(
            select(
                p.c.city_id.label("a"),
                p.c.partner_city_id.label("b"),
                p.c.city_id.label("home"),
                p.c.partner_city_id.label("other"),
            ),
            select(p.c.city_id, p.c.partner_city_id, p.c.partner_city_id, p.c.city_id),
        ).subquery("both_sides")
        if every:
            return select(both).cte("every_side")
        return select(both).where(*self._only(both.c.a, both.c.b)).cte("sides")

    def _only(self, a: Any, b: Any) -> list[Any]:
        """The conditions that keep only the partnerships asked for."""
        where = []
        if self.city_ids is not None:
            ids = list(self.city_ids)
            where.append(or_(a.in_(ids), b.in_(ids)))
        if self.pair is not None:
            where += [a == self.pair[0], b == self.pair[1]]
        return where

    def _note_rows(self, sides: CTE) -> CTE:
        """(a, b, month, note id, author, department) for every counted note."""
        n, nc, s = notes, note_cities, sides
        tagged = note_cities.alias("tagged")
        tags_partner = exists().where(nc.c.note_id == n.c.id, nc.c.city_id == s.c.other)
        all_partners = self._sides(every=True)  # a tag of any partner, asked for or not
        tags_any_partner = (
            exists()
            .where(tagged.c.note_id == n.c.id)
            .where(all_partners.c.home == n.c.city_id, all_partners.c.other == tagged.c.city_id)
        )
        return (
            select(
                s.c.a,
                s.c.b,
                month(self.dialect, n.c.created_at).label("m"),
                n.c.id.label("note_id"),
                n.c.author_id,
                n.c.department,
            )
            .join(s, s.c.home == n.c.city_id)
            .join(participants, participants.c.id == n.c.author_id)
            .where(participants.c.is_demo.is_(False))
            .where(n.c.created_at >= self.since, n.c.created_at < self.until)
            .where(or_(tags_partner, not_(tags_any_partner)))
            .cte("note_rows")
        )

    async def _notes(self, sides: CTE) -> None:
        rows = self._note_rows(sides)
        self._note_cte = rows
        for a, b, m, count in await self._rows(
            select(rows.c.a, rows.c.b, rows.c.m, func.count()).group_by(
                rows.c.a, rows.c.b, rows.c.m
            )
        ):
            self._cell((a, b), m).notes = count
        n = notes
        stmt = (
            select(month(self.dialect, n.c.created_at).label("m"), func.count())
            .join(participants, participants.c.id == n.c.author_id)
            .where(participants.c.is_demo.is_(False), *self._in_range(n.c.created_at))
            .group_by("m")
        )
        for m, count in await self._rows(stmt):
            self._cell(None, m).notes = count
        await self._tally(
            select(rows.c.a, rows.c.b, note_sdgs.c.sdg, func.count())
            .join(note_sdgs, note_sdgs.c.note_id == rows.c.note_id)
            .group_by(rows.c.a, rows.c.b, note_sdgs.c.sdg),
            self.data.sdg_notes,
        )
        await self._tally(
            select(rows.c.a, rows.c.b, rows.c.department, func.count())
            .where(rows.c.department.is_not(None))
            .group_by(rows.c.a, rows.c.b, rows.c.department),
            self.data.department_notes,
        )

    def _in_range(self, column: Any) -> list[Any]:
        return [column >= self.since, column < self.until]

    def _intro_rows(self, sides: CTE) -> CTE:
        i = introductions
        r, t = participants.alias("r"), participants.alias("t")
        return (
            select(
                sides.c.a,
                sides.c.b,
                month(self.dialect, i.c.created_at).label("m"),
                i.c.id,
                i.c.requester_id,
                i.c.status,
            )
            .join(r, r.c.id == i.c.requester_id)
            .join(t, t.c.id == i.c.target_id)
            .join(sides, and_(sides.c.home == r.c.city_id, sides.c.other == t.c.city_id))
            .where(r.c.is_demo.is_(False), t.c.is_demo.is_(False))
            .where(*self._in_range(i.c.created_at))
            .cte("intro_rows")
        )

    async def _introductions(self, sides: CTE) -> None:
        rows = self._intro_rows(sides)
        self._intro_cte = rows
        stmt = select(rows.c.a, rows.c.b, rows.c.m, *funnel(rows.c.id, rows.c.status))
        for a, b, m, *figures in await self._rows(stmt.group_by(rows.c.a, rows.c.b, rows.c.m)):
            self._cell((a, b), m).set_funnel(*figures)
        i, r, t = introductions, participants.alias("r"), participants.alias("t")
        m = month(self.dialect, i.c.created_at).label("m")
        net = (
            select(m, *funnel(i.c.id, i.c.status))
            .join(r, r.c.id == i.c.requester_id)
            .join(t, t.c.id == i.c.target_id)
            .where(r.c.is_demo.is_(False), t.c.is_demo.is_(False))
            .where(*self._in_range(i.c.created_at))
            .group_by("m")
        )
        for mm, *figures in await self._rows(net):
            self._cell(None, mm).set_funnel(*figures)

    async def _active(self, sides: CTE) -> None:
        """People who wrote a note or asked for an introduction, per partnership and month."""
        notes_, intros = self._note_cte, self._intro_cte
        people = union(
            select(notes_.c.a, notes_.c.b, notes_.c.m, notes_.c.author_id.label("pid")),
            select(intros.c.a, intros.c.b, intros.c.m, intros.c.requester_id),
        ).subquery("people")
        for a, b, m, count in await self._rows(
            select(people.c.a, people.c.b, people.c.m, func.count(distinct(people.c.pid))).group_by(
                people.c.a, people.c.b, people.c.m
            )
        ):
            self._cell((a, b), m).active = count
        n, i = notes, introductions
        everyone = union(
            select(
                month(self.dialect, n.c.created_at).label("m"), n.c.author_id.label("pid")
            ).where(*self._in_range(n.c.created_at)),
            select(month(self.dialect, i.c.created_at), i.c.requester_id).where(
                *self._in_range(i.c.created_at)
            ),
        ).subquery("everyone")
        stmt = (
            select(everyone.c.m, func.count(distinct(everyone.c.pid)))
            .join(participants, participants.c.id == everyone.c.pid)
            .where(participants.c.is_demo.is_(False))
            .group_by(everyone.c.m)
        )
        for m, count in await self._rows(stmt):
            self._cell(None, m).active = count

    async def _announcements(self, sides: CTE) -> None:
        an, o = announcements, outbox
        m = month(self.dialect, an.c.sent_at).label("m")
        sent = [an.c.sent_at.is_not(None), *self._in_range(an.c.sent_at)]
        for mm, count in await self._rows(select(m, func.count()).where(*sent).group_by("m")):
            self._cell(None, mm).announcements = count
        base = (
            select(m, o.c.status, func.count())
            .join(an, and_(o.c.kind == "announcement", o.c.ref_id == an.c.id))
            .where(*sent)
        )
        for mm, status, count in await self._rows(base.group_by("m", o.c.status)):
            self._cell(None, mm).deliveries[status] = count
        per_pair = (
            select(sides.c.a, sides.c.b, m, o.c.status, func.count())
            .join(an, and_(o.c.kind == "announcement", o.c.ref_id == an.c.id))
            .join(participants, participants.c.id == o.c.participant_id)
            .join(sides, sides.c.home == participants.c.city_id)
            .where(*sent)
            .group_by(sides.c.a, sides.c.b, "m", o.c.status)
        )
        for a, b, mm, status, count in await self._rows(per_pair):
            self._cell((a, b), mm).deliveries[status] = count

    async def _digests(self, sides: CTE) -> None:
        d = digest_runs
        m = month(self.dialect, d.c.created_at).label("m")
        where = [d.c.status == "enqueued", *self._in_range(d.c.created_at)]
        stmt = (
            select(m, func.count(distinct(d.c.participant_id)))
            .join(participants, participants.c.id == d.c.participant_id)
            .where(participants.c.is_demo.is_(False), *where)
            .group_by("m")
        )
        for mm, count in await self._rows(stmt):
            self._cell(None, mm).digests = count
        per_pair = (
            select(sides.c.a, sides.c.b, m, func.count(distinct(d.c.participant_id)))
            .join(participants, participants.c.id == d.c.participant_id)
            .join(sides, sides.c.home == participants.c.city_id)
            .where(participants.c.is_demo.is_(False), *where)
            .group_by(sides.c.a, sides.c.b, "m")
        )
        for a, b, mm, count in await self._rows(per_pair):
            self._cell((a, b), mm).digests = count

    async def _profiles(self, sides: CTE) -> None:
        """SDGs and departments from the profiles of the registered people in the two cities
        (as they are now: profiles keep no history)."""
        p = participants
        people: Select[Any] = (
            select(sides.c.a, sides.c.b, p.c.id, p.c.department)
            .join(sides, sides.c.home == p.c.city_id)
            .where(p.c.is_demo.is_(False), p.c.registered_at.is_not(None))
            .where(p.c.member_since.is_not(None))  # no strangers, no removed people
            .where(p.c.registered_at < self.until)
        )
        ppl = people.subquery("ppl")
        await self._tally(
            select(ppl.c.a, ppl.c.b, participant_sdgs.c.sdg, func.count())
            .join(participant_sdgs, participant_sdgs.c.participant_id == ppl.c.id)
            .group_by(ppl.c.a, ppl.c.b, participant_sdgs.c.sdg),
            self.data.sdg_profiles,
        )
        await self._tally(
            select(ppl.c.a, ppl.c.b, ppl.c.department, func.count())
            .where(ppl.c.department.is_not(None))
            .group_by(ppl.c.a, ppl.c.b, ppl.c.department),
            self.data.department_people,
        )


def _months(since: datetime, until: datetime) -> list[str]:
    """Every UTC month from ``since``'s up to the one ``until`` (exclusive) falls in."""
    last = until - timedelta(microseconds=1)
    year, number = since.year, since.month
    found = []
    while (year, number) <= (last.year, last.month):
        found.append(f"{year:04d}-{number:02d}")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return found
