"""Counterparts: the registered people who best match a reader, ranked in SQL.

The order, best first (the same on SQLite and PostgreSQL), is :meth:`CounterpartQuery.sort_key`:

1. people in the reader's partner cities before the rest of the network;
2. the same department as wanted before a related one (same taxonomy group) before any other;
3. more shared SDGs before fewer;
4. recently active before dormant (never active last), then by id, so the order is stable.

That key is the one definition of the ranking: the digest sorts the week's newcomers with it in
memory, and :meth:`CounterpartRepository.rank` is its SQL form (tests/test_counterparts_ranking.py
checks on generated networks that both agree). Never the reader; only registered participants
(city and department set). The partner flag (``city_id IN (partner ids)``) and the department
rank split the network into at most six tiers that indexes find directly; each tier is sorted in
SQL with ``ORDER BY shared DESC, last_active_at DESC, id LIMIT … OFFSET …`` (the shared-SDG count
a correlated subquery restricted to the SDGs that matter), and tiers are read in order only until
the page is full.

What the reader wants (their department or a named one, the related departments from the
taxonomy) is decided above storage, in udx_bot/matching.py, which builds the query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, and_, bindparam, exists, func, literal, select
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from storage.engine import Database
from storage.participants import Participant, members_only, participant_of, participants_in
from storage.tables import participant_sdgs, participants

PAGE_SIZE = 10
SAME, RELATED, OTHER = 0, 1, 2  # department ranks
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class CounterpartQuery:
    """What to rank for whom; udx_bot.matching builds it for a reader."""

    reader_id: int
    partner_city_ids: frozenset[int] = frozenset()
    department: str | None = None  # the department wanted ("same")
    related: tuple[str, ...] = ()  # departments in the same taxonomy group ("related")
    sdgs: tuple[int, ...] = ()  # the goals whose overlap counts
    # filters
    only_department: bool = False  # only people in ``department``
    only_sdgs: bool = False  # only people sharing at least one of ``sdgs``
    city_id: int | None = None  # only people in this city
    exclude_demo: bool = False
    # /find: people paused at this moment (/profile pause) come after everyone else; the
    # in-memory sort_key (digests) does not know pauses
    paused_at: datetime | None = None

    def partner(self, person: Participant) -> bool:
        """Whether ``person`` lives in one of the reader's partner cities."""
        return person.city_id in self.partner_city_ids

    def department_rank(self, department: str | None) -> int:
        """SAME as the department wanted, RELATED (same taxonomy group), or OTHER."""
        if department is not None and department == self.department:
            return SAME
        return RELATED if department in self.related else OTHER

    @cached_property
    def _wanted_sdgs(self) -> frozenset[int]:
        return frozenset(self.sdgs)

    def shared_sdgs(self, person: Participant) -> tuple[int, ...]:
        """The query's SDGs that ``person`` shares, ascending."""
        return tuple(n for n in sorted(person.sdgs) if n in self._wanted_sdgs)

    def sort_key(self, person: Participant) -> tuple[bool, int, int, bool, int, int]:
        """The ranking, smaller first: the order :meth:`CounterpartRepository.rank` reads."""
        active = person.last_active_at
        return (
            not self.partner(person),
            self.department_rank(person.department),
            -len(self._wanted_sdgs.intersection(person.sdgs)),
            active is None,  # never active: last (NULLS LAST)
            -((active - _EPOCH) // _MICROSECOND) if active is not None else 0,
            person.id,
        )


@dataclass(frozen=True)
class Counterpart:
    participant: Participant
    partner_city: bool
    department_rank: int  # SAME, RELATED or OTHER
    shared_sdgs: tuple[int, ...]  # the query's SDGs this person shares, ascending


@dataclass(frozen=True)
class CounterpartPage:
    items: list[Counterpart] = field(default_factory=list)
    page: int = 0
    has_next: bool = False


class CounterpartRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def rank(
        self, query: CounterpartQuery, *, page: int = 0, page_size: int = PAGE_SIZE
    ) -> CounterpartPage:
        """One page of counterparts, best first (see the module docstring).

        The first two ranks (partner city, department) are tiers that indexes can find on
        their own, so the tiers are read in order, each sorted by shared SDGs and activity,
        until the page is full: the expensive sort only ever covers the tiers the page needs.
        """
        params, shape = _parameters(query), _Shape.of(query)
        skip = page * page_size
        need = page_size + 1  # one more tells whether there is a next page
        found: list[tuple[Participant, bool, int]] = []  # (person, partner city, department rank)
        async with self.db.read() as conn:
            for partner, department_rank, tier in self._tiers(query):
                if need <= 0:
                    break
                people_of, count_of = _tier_statements(shape, tier)
                rows = (
                    await conn.execute(people_of, {**params, "limit": need, "offset": skip})
                ).all()
                if rows:
                    skip = 0
                elif skip:
                    size = (await conn.execute(count_of, params)).scalar_one()
                    skip = max(0, skip - int(size))
                found.extend((participant_of(row), partner, department_rank) for row in rows)
                need -= len(rows)
        items = [
            Counterpart(
                participant=person,
                partner_city=partner,
                department_rank=department_rank,
                shared_sdgs=query.shared_sdgs(person),
            )
            for person, partner, department_rank in found[:page_size]
        ]
        has_next = len(found) > page_size
        return CounterpartPage(items=items, page=page, has_next=has_next)

    @staticmethod
    def _tiers(query: CounterpartQuery) -> list[tuple[bool, int, _Tier]]:
        """(partner city, department rank, tier) in ranking order; empty tiers left out."""
        partner_sides: list[tuple[bool, str]]
        if query.city_id is not None:  # one city: it is a partner or it is not
            partner_sides = [(query.city_id in query.partner_city_ids, "")]
        elif query.partner_city_ids:
            partner_sides = [(True, "in"), (False, "not in")]
        else:
            partner_sides = [(False, "")]
        same = query.department
        related = [d for d in query.related if d != same]
        known = [d for d in (same, *related) if d is not None]
        department_sides: list[tuple[int, str]] = []
        if same is not None:
            department_sides.append((SAME, "same"))
        if not query.only_department:
            if related:
                department_sides.append((RELATED, "related"))
            department_sides.append((OTHER, "not known" if known else ""))
        tiers = [
            (partner, rank, _Tier(partner_side, department_side))
            for partner, partner_side in partner_sides
            for rank, department_side in department_sides
        ]
        if query.paused_at is None:
            return tiers
        return [(a, r, t._replace(paused=False)) for a, r, t in tiers] + [
            (a, r, t._replace(paused=True)) for a, r, t in tiers
        ]


class _Tier(NamedTuple):
    """Which people a tier holds: ``partner`` "in", "not in" or "" (the partner cities),
    ``department`` "same", "related", "not known" or "", and paused or not (None: both)."""

    partner: str
    department: str
    paused: bool | None = None


class _Shape(NamedTuple):
    """The filters of a query that change its SQL (not just its values)."""

    only_department: bool
    only_sdgs: bool
    sdgs: bool
    city: bool
    exclude_demo: bool

    @classmethod
    def of(cls, query: CounterpartQuery) -> _Shape:
        return cls(
            query.only_department and query.department is not None,
            query.only_sdgs and bool(query.sdgs),
            bool(query.sdgs),
            query.city_id is not None,
            query.exclude_demo,
        )


def _parameters(query: CounterpartQuery) -> dict[str, Any]:
    """The values of :func:`_tier_statements`' parameters for ``query``."""
    related = [d for d in query.related if d != query.department]
    return {
        "reader": query.reader_id,
        "department": query.department,
        "related": related,
        "known": [d for d in (query.department, *related) if d is not None],
        "sdgs": list(query.sdgs),
        "city": query.city_id,
        "partners": sorted(query.partner_city_ids),
        "paused_at": query.paused_at,
    }


def _expanding(name: str) -> BindParameter[Any]:
    return bindparam(name, expanding=True)


@lru_cache(maxsize=256)
def _tier_statements(shape: _Shape, tier: _Tier) -> tuple[Select[Any], Select[Any]]:
    """One tier's page of people (best first) and its size, as statements built once per shape
    (the values come as parameters: see :func:`_parameters`)."""
    p = participants
    where: list[ColumnElement[bool]] = [
        p.c.id != bindparam("reader"),
        p.c.city_id.is_not(None),
        p.c.department.is_not(None),
        members_only(),  # no strangers, no removed people
    ]
    if shape.only_department:
        where.append(p.c.department == bindparam("department"))
    if shape.only_sdgs:
        where.append(
            exists().where(
                participant_sdgs.c.participant_id == p.c.id,
                participant_sdgs.c.sdg.in_(_expanding("sdgs")),
            )
        )
    if shape.city:
        where.append(p.c.city_id == bindparam("city"))
    if shape.exclude_demo:
        where.append(p.c.is_demo.is_(False))
    if tier.partner == "in":
        where.append(p.c.city_id.in_(_expanding("partners")))
    elif tier.partner == "not in":
        where.append(p.c.city_id.not_in(_expanding("partners")))
    if tier.department == "same":
        where.append(p.c.department == bindparam("department"))
    elif tier.department == "related":
        where.append(p.c.department.in_(_expanding("related")))
    elif tier.department == "not known":
        where.append(p.c.department.not_in(_expanding("known")))
    if tier.paused is not None:
        paused = and_(p.c.paused_until.is_not(None), p.c.paused_until > bindparam("paused_at"))
        where.append(paused if tier.paused else ~paused)
    shared: ColumnElement[int] = (
        select(func.count())
        .select_from(participant_sdgs)
        .where(
            participant_sdgs.c.participant_id == p.c.id,
            participant_sdgs.c.sdg.in_(_expanding("sdgs")),
        )
        .scalar_subquery()
        if shape.sdgs
        else literal(0, Integer)
    )
    shared_label = shared.label("shared")  # ordered by its label: counted once per row
    page = (
        select(p.c.id, shared_label, p.c.last_active_at.label("active"))
        .where(*where)
        .order_by(shared_label.desc(), p.c.last_active_at.desc().nulls_last(), p.c.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    # the people's rows (city, SDGs, partner cities) are read for the page only
    order = (page.c.shared.desc(), page.c.active.desc().nulls_last(), page.c.id)
    return participants_in(page, *order), select(func.count()).select_from(p).where(*where)
