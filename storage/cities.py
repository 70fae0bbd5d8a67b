"""Cities and partnerships."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.sql import insert
from storage.tables import cities, partnerships

T = TypeVar("T")


@dataclass(frozen=True)
class City:
    id: int
    name: str
    slug: str
    country: str
    timezone: str
    language: str


@dataclass(frozen=True)
class CityRow:
    name: str
    slug: str
    country: str
    timezone: str
    language: str


@dataclass(frozen=True)
class PartnershipRow:
    city_slug: str
    partner_slug: str
    since: int | None


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


class CityRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[City]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(cities).order_by(cities.c.country, cities.c.name))
            return [City(**row._mapping) for row in rows]

    async def get(self, city_id: int) -> City | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(cities).where(cities.c.id == city_id))).first()
            return City(**row._mapping) if row else None

    async def count(self) -> int:
        async with self.db.read() as conn:
            return int((await conn.execute(select(func.count()).select_from(cities))).scalar_one())

    async def partner_ids(self, city_id: int) -> set[int]:
        async with self.db.read() as conn:
            return await partner_ids(conn, city_id)

    async def partners(self) -> list[tuple[City, City, int | None]]:
        """Every partnership as (city, partner, since), each pair once."""
        by_id = {c.id: c for c in await self.all()}
        async with self.db.read() as conn:
            rows = await conn.execute(select(partnerships))
            return [(by_id[r.city_id], by_id[r.partner_city_id], r.since) for r in rows]

    async def upsert_cities(self, rows: Sequence[CityRow]) -> ImportResult:
        """Insert new cities and update known ones (by slug), all in one transaction."""
        async with self.db.write() as conn:
            known = set((await conn.execute(select(cities.c.slug))).scalars())
            stmt = insert(self.db.dialect, cities)
            stmt = stmt.on_conflict_do_update(
                index_elements=[cities.c.slug],
                set_={
                    "name": stmt.excluded.name,
                    "country": stmt.excluded.country,
                    "timezone": stmt.excluded.timezone,
                    "language": stmt.excluded.language,
                },
            )
            for chunk in _chunks(rows, 500):
                await conn.execute(stmt, [row.__dict__ for row in chunk])
            updated = sum(1 for row in rows if row.slug in known)
            return ImportResult(created=len(rows) - updated, updated=updated)

    async def upsert_partnerships(self, rows: Sequence[PartnershipRow]) -> ImportResult:
        async with self.db.write() as conn:
            ids = dict((await conn.execute(select(cities.c.slug, cities.c.id))).all())
            existing = set(
                (
                    await conn.execute(
                        select(partnerships.c.city_id, partnerships.c.partner_city_id)
                    )
                ).all()
            )
            values = []
            for row in rows:
                a, b = sorted((ids[row.city_slug], ids[row.partner_slug]))
                values.append({"city_id": a, "partner_city_id": b, "since": row.since})
            stmt = insert(self.db.dialect, partnerships)
            stmt = stmt.on_conflict_do_update(
                index_elements=[partnerships.c.city_id, partnerships.c.partner_city_id],
                set_={"since": stmt.excluded.since},
            )
            for chunk in _chunks(values, 500):
                await conn.execute(stmt, chunk)
            updated = sum(1 for v in values if (v["city_id"], v["partner_city_id"]) in existing)
            return ImportResult(created=len(values) - updated, updated=updated)


async def partner_ids(conn: AsyncConnection, city_id: int) -> set[int]:
    rows = await conn.execute(
        select(partnerships.c.city_id, partnerships.c.partner_city_id).where(
            or_(partnerships.c.city_id == city_id, partnerships.c.partner_city_id == city_id)
        )
    )
    return {b if a == city_id else a for a, b in rows}


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
