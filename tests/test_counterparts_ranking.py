"""The counterpart ranking has one definition, CounterpartQuery.sort_key; /find reads it in SQL
(CounterpartRepository.rank, paged) and the digest in memory. On generated networks, on SQLite
and on PostgreSQL, both give the same people in the same order, page after page."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from storage import Store, open_store
from storage.cities import CityRow
from storage.counterparts import CounterpartQuery
from storage.participants import Participant
from storage.tables import participant_sdgs, participants, partnerships
from tests.support import TEST_NOW
from udx_bot.matching import counterpart_key, counterpart_query

CITIES = ("Alpha", "Beta", "Gamma", "Delta")
# two departments of one taxonomy group ("built"), one of another, one the taxonomy lacks
DEPARTMENTS = ("mobility", "planning", "building", "culture", "unknown-desk")
SDGS = (11, 13, 16)
# near and equal activity times, so ties and microsecond differences are ranked too
ACTIVE = (
    None,
    TEST_NOW,
    TEST_NOW + timedelta(microseconds=1),
    TEST_NOW - timedelta(days=30),
)
PAIRS = tuple(itertools.combinations(range(len(CITIES)), 2))
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Person:
    city: int | None
    department: str | None
    sdgs: frozenset[int]
    active: datetime | None
    demo: bool


CITY = st.sampled_from(range(len(CITIES)))
people = st.builds(
    Person,  # mostly registered: a city and a department
    city=st.sampled_from((None, *range(len(CITIES)))),
    department=st.sampled_from((None, *DEPARTMENTS)),
    sdgs=st.frozensets(st.sampled_from(SDGS)),
    active=st.sampled_from(ACTIVE),
    demo=st.sampled_from((False, False, False, True)),
)
readers = st.builds(
    Person,
    city=CITY,
    department=st.sampled_from(DEPARTMENTS),
    sdgs=st.frozensets(st.sampled_from(SDGS)),
    active=st.just(TEST_NOW),
    demo=st.just(False),
)


@dataclasses.dataclass(frozen=True)
class Filters:
    department: str | None
    sdgs: tuple[int, ...]
    city: int | None
    exclude_demo: bool


def _sometimes(values: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    """None three times in four: most queries have no such filter."""
    return st.sampled_from((False, False, False, True)).flatmap(
        lambda given: values if given else st.none()
    )


filters = st.builds(
    Filters,
    department=_sometimes(st.sampled_from(DEPARTMENTS)),
    sdgs=_sometimes(st.lists(st.sampled_from(SDGS), min_size=1, max_size=2).map(tuple)).map(
        lambda sdgs: sdgs or ()
    ),
    city=_sometimes(CITY),
    exclude_demo=st.booleans(),
)


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated database without the demo network, with four cities."""
    if request.param == "sqlite":
        store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'ranking.sqlite3'}")
    else:
        url, schema = request.getfixturevalue("pg_schema")
        store = await open_store(url, schema=schema)
    await store.cities.upsert_cities(
        [CityRow(name, name.lower(), "DE", "Europe/Berlin", "de") for name in CITIES]
    )
    try:
        yield store
    finally:
        await store.close()


async def _build(
    store: Store, reader: Person, others: list[Person], pairs: set[tuple[int, int]]
) -> tuple[Participant, list[Participant], list[int]]:
    """Replace the network by the generated one: (reader, everyone else, city ids)."""
    city_ids = sorted(c.id for c in await store.cities.all())
    async with store.db.write() as conn:
        await conn.execute(delete(participant_sdgs))
        await conn.execute(delete(participants))
        await conn.execute(delete(partnerships))
        for a, b in sorted(pairs):
            await conn.execute(
                insert(partnerships).values(city_id=city_ids[a], partner_city_id=city_ids[b])
            )
        ids = []
        for n, person in enumerate([reader, *others]):
            city = city_ids[person.city] if person.city is not None else None
            registered = city is not None and person.department is not None
            row = await conn.execute(
                insert(participants)
                .values(
                    name=f"P{n}",
                    city_id=city,
                    department=person.department,
                    is_demo=person.demo,
                    created_at=TEST_NOW,
                    registered_at=TEST_NOW if registered else None,
                    member_since=TEST_NOW,
                    last_active_at=person.active,
                )
                .returning(participants.c.id)
            )
            pid = row.scalar_one()
            ids.append(pid)
            for sdg in sorted(person.sdgs):
                await conn.execute(insert(participant_sdgs).values(participant_id=pid, sdg=sdg))
    loaded = await store.participants.get_many(ids)
    return loaded[ids[0]], [loaded[i] for i in ids[1:]], city_ids


def _admitted(query: CounterpartQuery, person: Participant) -> bool:
    """The filters /find applies, written out in Python."""
    return (
        person.id != query.reader_id
        and person.registered
        and (not query.only_department or person.department == query.department)
        and (not query.only_sdgs or bool(set(person.sdgs) & set(query.sdgs)))
        and (query.city_id is None or person.city_id == query.city_id)
        and not (query.exclude_demo and person.is_demo)
    )


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    reader=readers,
    others=st.lists(people, min_size=3, max_size=12),
    pairs=st.sets(st.sampled_from(PAIRS)),
    wanted=filters,
    page_size=st.integers(1, 4),
)
async def test_sql_and_memory_rank_alike(
    empty_store: Store,
    reader: Person,
    others: list[Person],
    pairs: set[tuple[int, int]],
    wanted: Filters,
    page_size: int,
) -> None:
    store = empty_store
    me, everyone, city_ids = await _build(store, reader, others, pairs)
    query = counterpart_query(
        me,
        department=wanted.department,
        sdgs=wanted.sdgs,
        city_id=city_ids[wanted.city] if wanted.city is not None else None,
    )
    query = dataclasses.replace(query, exclude_demo=wanted.exclude_demo)

    expected = sorted((p for p in everyone if _admitted(query, p)), key=query.sort_key)
    if not wanted.department and not wanted.sdgs and wanted.city is None:
        # the digest's key (the reader's own query) orders them the same way
        partners = set(query.partner_city_ids)
        assert expected == sorted(expected, key=lambda p: counterpart_key(me, p, partners))

    ranked = []
    for page in itertools.count():
        found = await store.counterparts.rank(query, page=page, page_size=page_size)
        ranked += found.items
        assert len(found.items) <= page_size
        if not found.has_next:
            break
        assert len(found.items) == page_size
    assert [c.participant.id for c in ranked] == [p.id for p in expected]
    for item in ranked:
        person = item.participant
        assert item.partner_city == query.partner(person)
        assert item.department_rank == query.department_rank(person.department)
        assert item.shared_sdgs == query.shared_sdgs(person)
