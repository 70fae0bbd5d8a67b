"""A hand-built network for the report tests, on top of the demo seed (demo people are never
counted). Every figure the tests expect follows from the comments below.

Pairs: Esslingen–Sheboygan (ES), Cambridge–Heidelberg (HC), Heidelberg–Palo Alto (HP).
Range: 2026-10-01 to 2026-11-30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from storage import Store
from storage.tables import announcements, digest_runs, outbox

SINCE = date(2026, 10, 1)
UNTIL = date(2026, 11, 30)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


async def build_network(store: Store) -> dict[str, int]:
    """Four people and what they did; returns ids by short name and city ids by name."""
    city = {c.name: c.id for c in await store.cities.all()}
    people = {}
    for key, name, city_name, dep, sdgs in (
        ("e1", "Erika Esslinger", "Esslingen am Neckar", "mobility", [11, 13]),
        ("s1", "Sam Sheboy", "Sheboygan", "environment", [11]),
        ("h1", "Hanna Heidel", "Heidelberg", "mobility", [7]),
        ("c1", "Chris Cam", "Cambridge", "planning", [4]),
    ):
        people[key] = await store.participants.create_profile(
            name=name, city_id=city[city_name], department=dep, sdgs=sdgs, now=at(9, 1)
        )
        await store.membership.admit(people[key], now=at(9, 1))
    e1, s1, h1, c1 = (people[k] for k in ("e1", "s1", "h1", "c1"))
    es, hd, cam = city["Esslingen am Neckar"], city["Heidelberg"], city["Cambridge"]
    sb = city["Sheboygan"]
    add = store.notes.add
    await add(e1, "Bus lanes #SDG11", city_id=es, department="mobility", sdgs=[11], now=at(10, 5))
    await add(e1, "Heat plan", city_id=es, department="mobility", sdgs=[11, 13], now=at(10, 20))
    await add(s1, "Wetlands", city_id=sb, department="environment", sdgs=[11], now=at(11, 3))
    # tags Cambridge: counts for Heidelberg–Cambridge only
    await add(
        h1,
        "Bikes #Cambridge",
        city_id=hd,
        department="mobility",
        sdgs=[7],
        city_ids=[cam],
        now=at(11, 4),
    )
    # no tag: counts for both of Heidelberg's partnerships
    await add(h1, "Schools", city_id=hd, department="mobility", sdgs=[4], now=at(11, 5))
    await add(e1, "Too late", city_id=es, department="mobility", sdgs=[1], now=at(12, 1))
    intro = await store.introductions.request(e1, s1, at(10, 10))
    await store.introductions.decide(intro.id, "accepted", at(10, 11))
    await store.introductions.request(c1, h1, at(11, 6))
    await store.introductions.request(e1, h1, at(11, 7))  # not partners: network only
    async with store.db.write() as conn:
        number = (await conn.execute(select(announcements.c.number))).scalars().all()
        result = await conn.execute(
            announcements.insert().values(
                author_name="Coord",
                text_en="Hello",
                status="sent",
                created_at=at(11, 10),
                sent_at=at(11, 10),
                number=max([n for n in number if n] or [0]) + 1,
            )
        )
        ann_id = result.inserted_primary_key[0]
        for pid, status in ((e1, "sent"), (s1, "failed"), (h1, "sent"), (c1, "pending")):
            await conn.execute(
                outbox.insert().values(
                    key=f"report-test:{ann_id}:{pid}",
                    kind="announcement",
                    ref_id=ann_id,
                    participant_id=pid,
                    platform="telegram",
                    user_id=str(pid),
                    payload="[]",
                    status=status,
                    next_attempt_at=at(11, 10),
                    created_at=at(11, 10),
                )
            )
        for pid, week, status, when in (
            (e1, "2026-W45", "enqueued", at(11, 9)),
            (h1, "2026-W45", "skipped", at(11, 9)),
            (e1, "2026-W46", "enqueued", at(11, 16)),
        ):
            await conn.execute(
                digest_runs.insert().values(
                    participant_id=pid, week=week, status=status, created_at=when
                )
            )
    return {**people, "es": es, "sb": sb, "hd": hd, "cam": cam, "pa": city["Palo Alto"]}
